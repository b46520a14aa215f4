import { type ResourceObject, resource, timestamp } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import type { ReservedTagKey } from './service.js';

/** reserved-tag-keys.mdx "Create a reserved tag key" (no relationships or links in the docs). */
export function serializeReservedTagKey(reserved: ReservedTagKey): ResourceObject {
  return resource('reserved-tag-keys', reserved.id, {
    key: reserved.key,
    'disable-overrides': reserved.disableOverrides,
    'created-at': timestamp(reserved.createdAt),
    'updated-at': timestamp(reserved.updatedAt),
  });
}

registerResourceType<ReservedTagKey>('reserved-tag-keys', { serialize: serializeReservedTagKey });
