import { type ResourceObject, resource, timestamp, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as runTriggerService from './service.js';
import type { RunTrigger } from './service.js';

/** run-triggers.mdx "Show a Run Trigger". */
export function serializeRunTrigger(trigger: RunTrigger): ResourceObject {
  return resource(
    'run-triggers',
    trigger.id,
    { 'workspace-name': trigger.workspaceName, 'sourceable-name': trigger.sourceableName, 'created-at': timestamp(trigger.createdAt) },
    { workspace: toOne('workspaces', trigger.workspaceId), sourceable: toOne('workspaces', trigger.sourceableId) },
    { self: apiPath('run-triggers', trigger.id) },
  );
}

registerResourceType<RunTrigger>('run-triggers', {
  serialize: serializeRunTrigger,
  load: (ctx, ids) => runTriggerService.visible(ctx, ids),
});
