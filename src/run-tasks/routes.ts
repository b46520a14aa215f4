import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { literals, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { includedDocument, includedPage } from '../jsonapi/include-registry.js';
import { InvalidError } from '../errors.js';
import * as runTaskService from './service.js';
import { IncludeQuery, PagedIncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';

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

interface OrganizationParams {
  organization_name: string;
}
interface TaskParams {
  task_id: string;
}
interface WorkspaceParams {
  workspace_id: string;
}
interface WorkspaceTaskParams extends WorkspaceParams {
  workspace_task_id: string;
}

export async function runTaskRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrganizationParams; Querystring: PagedIncludeQuery }>(
    '/api/v2/organizations/:organization_name/tasks',
    withQuery(PagedIncludeQuery),
    async (request, reply) => {
      return reply.send(await includedPage(request, 'tasks', INCLUDES, (page) => runTaskService.list(request.ctx, request.params.organization_name, page)));
    },
  );

  app.post<{ Params: OrganizationParams; Querystring: IncludeQuery }>(
    '/api/v2/organizations/:organization_name/tasks',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const view = await runTaskService.create(request.ctx, request.params.organization_name, taskInput(request.body));
      return reply.code(201).send(await includedDocument(request, 'tasks', view, INCLUDES));
    },
  );

  app.get<{ Params: TaskParams; Querystring: IncludeQuery }>('/api/v2/tasks/:task_id', withQuery(IncludeQuery), async (request, reply) => {
    return reply.send(await includedDocument(request, 'tasks', await runTaskService.show(request.ctx, request.params.task_id), INCLUDES));
  });

  app.patch<{ Params: TaskParams; Querystring: IncludeQuery }>('/api/v2/tasks/:task_id', withQuery(IncludeQuery), async (request, reply) => {
    const view = await runTaskService.update(request.ctx, request.params.task_id, taskInput(request.body));
    return reply.send(await includedDocument(request, 'tasks', view, INCLUDES));
  });

  app.delete<{ Params: TaskParams }>('/api/v2/tasks/:task_id', async (request, reply) => {
    await runTaskService.destroy(request.ctx, request.params.task_id);
    return reply.code(204).send();
  });

  app.get<{ Params: WorkspaceParams; Querystring: PagedIncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/tasks',
    withQuery(PagedIncludeQuery),
    async (request, reply) => {
      return reply.send(
        await includedPage(request, 'workspace-tasks', [], (page) => runTaskService.listWorkspaceTasks(request.ctx, request.params.workspace_id, page)),
      );
    },
  );

  app.post<{ Params: WorkspaceParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/tasks',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const association = await runTaskService.createWorkspaceTask(request.ctx, request.params.workspace_id, workspaceTaskInput(request.body));
      // The docs' table says 204, their sample shows the document; go-tfe reads the document.
      return reply.code(201).send(await includedDocument(request, 'workspace-tasks', association, []));
    },
  );

  app.get<{ Params: WorkspaceTaskParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/tasks/:workspace_task_id',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const association = await runTaskService.showWorkspaceTask(request.ctx, request.params.workspace_id, request.params.workspace_task_id);
      return reply.send(await includedDocument(request, 'workspace-tasks', association, []));
    },
  );

  app.patch<{ Params: WorkspaceTaskParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/tasks/:workspace_task_id',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const association = await runTaskService.updateWorkspaceTask(
        request.ctx,
        request.params.workspace_id,
        request.params.workspace_task_id,
        workspaceTaskInput(request.body),
      );
      return reply.send(await includedDocument(request, 'workspace-tasks', association, []));
    },
  );

  app.delete<{ Params: WorkspaceTaskParams }>('/api/v2/workspaces/:workspace_id/tasks/:workspace_task_id', async (request, reply) => {
    await runTaskService.destroyWorkspaceTask(request.ctx, request.params.workspace_id, request.params.workspace_task_id);
    return reply.code(204).send();
  });
}
