import { type ResourceObject, resource, timestamp, toOne } from '../jsonapi/document.js';
import type * as tagService from './service.js';

export function serializeTag(tag: tagService.Tag): ResourceObject {
  return resource(
    'tags',
    tag.id,
    { name: tag.name, 'created-at': timestamp(tag.createdAt), 'instance-count': tag.instanceCount },
    { organization: toOne('organizations', tag.organizationName) },
  );
}
