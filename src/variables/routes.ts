import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as variableService from './service.js';
import { CreateVariableAttributes, UpdateVariableAttributes } from './variable-resource.js';

import { serializeVariable } from './serialize.js';
/** The deprecated top-level `filter.organization.name` / `filter.workspace.name` of a create body (variables.mdx). */
function filterWorkspace(body: unknown): variableService.WorkspaceSelector | undefined {
  const filter = (body as { filter?: { organization?: { name?: unknown }; workspace?: { name?: unknown } } } | null | undefined)?.filter;
  const organizationName = filter?.organization?.name;
  const workspaceName = filter?.workspace?.name;
  if (typeof organizationName !== 'string' || typeof workspaceName !== 'string') return undefined;
  return { organizationName, workspaceName };
}

interface WorkspaceParams {
  workspace_id: string;
}
interface WorkspaceVariableParams extends WorkspaceParams {
  variable_id: string;
}
interface VariableParams {
  variable_id: string;
}

/** variables.mdx "List Variables" (deprecated): both filters, or neither for a paginated list of every readable one. */
const LegacyListQuery = querySchema({ ...PageParameters, 'filter[organization][name]': QueryText, 'filter[workspace][name]': QueryText });

export async function variableRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: WorkspaceParams }>('/api/v2/workspaces/:workspace_id/vars', async (request, reply) => {
    const views = await variableService.list(request.ctx, { id: request.params.workspace_id });
    return reply.send(document(views.map((view) => serializeVariable(view, 'workspace'))));
  });

  app.post<{ Params: WorkspaceParams }>('/api/v2/workspaces/:workspace_id/vars', async (request, reply) => {
    const ctx = request.ctx;
    const { attributes } = parseResourceBody(request.body, 'vars', CreateVariableAttributes);
    const view = await variableService.create(ctx, { id: request.params.workspace_id }, attributes);
    return reply.code(201).send(document(serializeVariable(view, 'workspace')));
  });

  app.get<{ Params: WorkspaceVariableParams }>('/api/v2/workspaces/:workspace_id/vars/:variable_id', async (request, reply) => {
    const { workspace_id: workspaceId, variable_id: variableId } = request.params;
    const view = await variableService.show(request.ctx, { workspaceId, variableId });
    return reply.send(document(serializeVariable(view, 'workspace')));
  });

  app.patch<{ Params: WorkspaceVariableParams }>('/api/v2/workspaces/:workspace_id/vars/:variable_id', async (request, reply) => {
    const ctx = request.ctx;
    const { workspace_id: workspaceId, variable_id: variableId } = request.params;
    const { attributes } = parseResourceBody(request.body, 'vars', UpdateVariableAttributes);
    const view = await variableService.update(ctx, { workspaceId, variableId }, attributes);
    return reply.send(document(serializeVariable(view, 'workspace')));
  });

  app.delete<{ Params: WorkspaceVariableParams }>('/api/v2/workspaces/:workspace_id/vars/:variable_id', async (request, reply) => {
    const { workspace_id: workspaceId, variable_id: variableId } = request.params;
    await variableService.destroy(request.ctx, { workspaceId, variableId });
    return reply.code(204).send();
  });

  // The deprecated /vars endpoints (variables.mdx).
  app.get<{ Querystring: Static<typeof LegacyListQuery> }>('/api/v2/vars', withQuery(LegacyListQuery), async (request, reply) => {
    const { ctx, query } = request;
    const organizationName = query['filter[organization][name]'];
    const workspaceName = query['filter[workspace][name]'];
    if (organizationName === undefined && workspaceName === undefined) {
      // Across workspaces the list can grow without bound, so it is paginated.
      const { items: views, parts } = await listPage(request, (page) => variableService.listReadable(ctx, page));
      return reply.send(
        document(
          views.map((view) => serializeVariable(view, 'legacy')),
          parts,
        ),
      );
    }
    if (organizationName === undefined || workspaceName === undefined) {
      const missing = organizationName === undefined ? 'filter[organization][name]' : 'filter[workspace][name]';
      throw new InvalidError(`${missing} is required with the other filter`, { parameter: missing });
    }
    const views = await variableService.list(ctx, { organizationName, workspaceName });
    return reply.send(document(views.map((view) => serializeVariable(view, 'legacy'))));
  });

  app.post('/api/v2/vars', async (request, reply) => {
    const ctx = request.ctx;
    const { attributes, relationships } = parseResourceBody(request.body, 'vars', CreateVariableAttributes);
    const workspaceId = relationshipId(relationships, 'workspace', 'workspaces');
    const selector = workspaceId !== undefined ? { id: workspaceId } : filterWorkspace(request.body);
    if (!selector) {
      throw new InvalidError('the workspace is required: relationships.workspace, or filter.organization.name with filter.workspace.name', {
        pointer: '/data/relationships/workspace',
      });
    }
    const view = await variableService.create(ctx, selector, attributes);
    return reply.code(201).send(document(serializeVariable(view, 'legacy')));
  });

  app.patch<{ Params: VariableParams }>('/api/v2/vars/:variable_id', async (request, reply) => {
    const ctx = request.ctx;
    const { attributes } = parseResourceBody(request.body, 'vars', UpdateVariableAttributes);
    const view = await variableService.update(ctx, { variableId: request.params.variable_id }, attributes);
    return reply.send(document(serializeVariable(view, 'legacy')));
  });

  app.delete<{ Params: VariableParams }>('/api/v2/vars/:variable_id', async (request, reply) => {
    await variableService.destroy(request.ctx, { variableId: request.params.variable_id });
    return reply.code(204).send();
  });
}
