import { type ResourceObject, resource, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as commentService from './service.js';
import type { Comment } from './service.js';

/** comments.mdx "Show a Comment". */
export function serializeComment(comment: Comment): ResourceObject {
  return resource(
    'comments',
    comment.id,
    { body: comment.body },
    { 'run-event': toOne('run-events', comment.runEventId) },
    { self: apiPath('comments', comment.id) },
  );
}

registerResourceType<Comment>('comments', {
  serialize: serializeComment,
  load: (ctx, ids) => commentService.visible(ctx, ids),
});
