import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { literals, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { InvalidError } from '../errors.js';
import * as runTaskService from './service.js';
import { createRoute, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const Stages = Type.Array(literals(runTaskService.STAGES));
const EnforcementLevel = literals(runTaskService.ENFORCEMENT_LEVELS);

const TaskAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  category: Type.Optional(Type.String()),
  'hmac-key': Type.Optional(Type.Union([Type.String(), Type.Null()])),
  // The docs' sample payloads quote it.
  enabled: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')])),
  'global-configuration': Type.Optional(
    Type.Object({
      enabled: Type.Optional(Type.Boolean()),
      stages: Type.Optional(Stages),
      'enforcement-level': Type.Optional(EnforcementLevel),
    }),
  ),
});

const WorkspaceTaskAttributes = Type.Object({
  'enforcement-level': Type.Optional(EnforcementLevel),
  /** Deprecated: one stage. */
  stage: Type.Optional(literals(runTaskService.STAGES)),
  stages: Type.Optional(Stages),
});

/** run-tasks.mdx "List Run Tasks", "Show a Run Task". */
const INCLUDES = ['workspace_tasks', 'workspace_tasks.workspace'] as const;

function taskInput(body: unknown): runTaskService.RunTaskInput {
  const { attributes: a, relationships } = parseResourceBody(body, 'tasks', TaskAttributes);
  if (relationships['agent-pool'] !== undefined && relationships['agent-pool'] !== null) {
    // Request forwarding through agents needs the private-run-tasks entitlement, which Terrace has not.
    throw new InvalidError('run tasks through an agent pool are not available: Terrace calls the task URL itself', {
      pointer: '/data/relationships/agent-pool',
    });
  }
  const global = a['global-configuration'];
  return {
    name: a.name,
    url: a.url,
    description: a.description,
    category: a.category,
    hmacKey: a['hmac-key'],
    enabled: a.enabled === undefined ? undefined : a.enabled === true || a.enabled === 'true',
    global: global && {
      enabled: global.enabled,
      stages: global.stages,
      enforcementLevel: global['enforcement-level'],
    },
  };
}

function workspaceTaskInput(body: unknown): runTaskService.WorkspaceRunTaskInput {
  const { attributes: a, relationships } = parseResourceBody(body, 'workspace-tasks', WorkspaceTaskAttributes);
  return {
    taskId: relationshipId(relationships, 'task', 'tasks'),
    enforcementLevel: a['enforcement-level'],
    // `stages` wins over the deprecated `stage`.
    stages: a.stages ?? (a.stage ? [a.stage] : undefined),
  };
}

export async function runTaskRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/organizations/:organization_name/tasks', 'tasks', INCLUDES, {}, (ctx, p, page) =>
    runTaskService.list(ctx, p.organization_name, page),
  );

  createRoute(app, '/api/v2/organizations/:organization_name/tasks', 'tasks', INCLUDES, (ctx, p, body) =>
    runTaskService.create(ctx, p.organization_name, taskInput(body)),
  );
  memberRoutes(app, '/api/v2/tasks/:task_id', 'tasks', INCLUDES, { service: runTaskService, input: taskInput });

  listRoute(app, '/api/v2/workspaces/:workspace_id/tasks', 'workspace-tasks', [], {}, (ctx, p, page) =>
    runTaskService.listWorkspaceTasks(ctx, p.workspace_id, page),
  );

  // The docs' table says 204 for a creation, their sample shows the document; go-tfe reads the document.
  createRoute(app, '/api/v2/workspaces/:workspace_id/tasks', 'workspace-tasks', [], (ctx, p, body) =>
    runTaskService.createWorkspaceTask(ctx, p.workspace_id, workspaceTaskInput(body)),
  );
  memberRoutes(app, '/api/v2/workspaces/:workspace_id/tasks/:workspace_task_id', 'workspace-tasks', [], {
    show: (ctx, p) => runTaskService.showWorkspaceTask(ctx, p.workspace_id, p.workspace_task_id),
    update: (ctx, p, body) => runTaskService.updateWorkspaceTask(ctx, p.workspace_id, p.workspace_task_id, workspaceTaskInput(body)),
    destroy: (ctx, p) => runTaskService.destroyWorkspaceTask(ctx, p.workspace_id, p.workspace_task_id),
  });
}
