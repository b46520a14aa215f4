import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as runTaskService from './service.js';
import type { RunTaskView, WorkspaceRunTask } from './service.js';

/**
 * run-tasks.mdx "Show a Run Task". `hmac-key` is write-only: always null. `enabled` is a boolean (the
 * docs' samples quote it; go-tfe decodes a boolean). The associations are `workspace-tasks`, as go-tfe
 * reads them.
 */
export function serializeRunTask({ task, workspaceTaskIds }: RunTaskView): ResourceObject {
  return resource(
    'tasks',
    task.id,
    {
      name: task.name,
      url: task.url,
      description: task.description,
      category: task.category,
      enabled: task.enabled,
      'hmac-key': null,
      'global-configuration': {
        enabled: task.globalEnabled,
        stages: task.globalStages,
        'enforcement-level': task.globalEnforcementLevel,
      },
      'created-at': timestamp(task.createdAt),
    },
    {
      organization: toOne('organizations', task.organizationName),
      'workspace-tasks': toMany('workspace-tasks', workspaceTaskIds),
    },
    { self: apiPath('tasks', task.id) },
  );
}

/** run-tasks.mdx "Show Workspace Run Task": `stage` (deprecated) is the first of `stages`. */
export function serializeWorkspaceRunTask(association: WorkspaceRunTask): ResourceObject {
  return resource(
    'workspace-tasks',
    association.id,
    {
      'enforcement-level': association.enforcementLevel,
      stage: association.stages[0] ?? null,
      stages: association.stages,
      'created-at': timestamp(association.createdAt),
    },
    {
      task: toOne('tasks', association.taskId),
      workspace: toOne('workspaces', association.workspaceId),
    },
    { self: `${apiPath('workspaces', association.workspaceId)}/tasks/${encodeURIComponent(association.id)}` },
  );
}

registerResourceType<RunTaskView>('tasks', {
  serialize: serializeRunTask,
  load: runTaskService.readableViews,
});

registerResourceType<WorkspaceRunTask>('workspace-tasks', {
  serialize: serializeWorkspaceRunTask,
  load: (ctx, ids) => runTaskService.visibleWorkspaceTasks(ctx, ids),
});
