import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidError } from '../errors.js';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { document, type ResourceObject } from '../jsonapi/document.js';
import { parseInclude } from '../jsonapi/include.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryString } from '../jsonapi/query.js';
import { serializeWorkspace } from '../workspaces/serialize.js';
import * as workspaceService from '../workspaces/service.js';
import { serializeAgentPool } from './serialize.js';
import * as agentPoolService from './service.js';

const PoolAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  'organization-scoped': Type.Optional(Type.Boolean()),
});

/** agents.mdx "Available Related Resources". */
const INCLUDES = ['workspaces'] as const;

const SORT_FIELDS: readonly agentPoolService.AgentPoolSortField[] = ['name', 'created-at'];

function parseSort(query: Query): agentPoolService.ListOptions['sort'] {
  const raw = queryString(query, 'sort') ?? 'created-at';
  const descending = raw.startsWith('-');
  const field = SORT_FIELDS.find((f) => f === (descending ? raw.slice(1) : raw));
  if (!field) throw new InvalidError(`sort must be one of ${SORT_FIELDS.join(', ')}, optionally prefixed with "-"`, { parameter: 'sort' });
  return { field, descending };
}

/** The scope relationships' types: allowed and excluded workspaces, allowed projects (OpenAPI `agent-pools`). */
const SCOPE_TYPES: Record<keyof agentPoolService.PoolScope, string> = {
  allowedWorkspaceIds: 'workspaces',
  allowedProjectIds: 'projects',
  excludedWorkspaceIds: 'workspaces',
};

function poolInput(body: unknown): agentPoolService.AgentPoolInput {
  const { attributes, relationships } = parseResourceBody(body, 'agent-pools', PoolAttributes);
  const input: agentPoolService.AgentPoolInput = { name: attributes.name, organizationScoped: attributes['organization-scoped'] };
  for (const list of Object.keys(SCOPE_TYPES) as (keyof agentPoolService.PoolScope)[]) {
    const name = agentPoolService.SCOPE_RELATIONSHIPS[list];
    if (relationships[name] !== undefined) input[list] = parseLinkageIds(relationships[name], SCOPE_TYPES[list], `/data/relationships/${name}`, 'invalid');
  }
  return input;
}

/** `include=workspaces`: the workspaces running on the pools that the caller may read. */
async function includedFor(request: FastifyRequest, views: agentPoolService.AgentPoolView[]): Promise<ResourceObject[]> {
  const include = parseInclude(request.query as Query, INCLUDES);
  if (!include.has('workspaces') || views.length === 0) return [];
  const organizationId = (views[0] as agentPoolService.AgentPoolView).pool.organizationId;
  const workspaces = await workspaceService.readableViews(
    request.ctx,
    organizationId,
    views.flatMap((v) => v.workspaceIds),
  );
  return workspaces.map(serializeWorkspace);
}

async function poolDocument(request: FastifyRequest, view: agentPoolService.AgentPoolView) {
  return document(serializeAgentPool(view), { included: await includedFor(request, [view]) });
}

interface OrganizationParams {
  organization_name: string;
}
interface PoolParams {
  agent_pool_id: string;
}

export async function agentPoolRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/agent-pools', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const page = parsePage(query);
    const { views, matching, total } = await agentPoolService.list(ctx, request.params.organization_name, {
      search: queryString(query, 'q') || undefined,
      // agents.mdx spells it with an underscore, the OpenAPI spec with a hyphen.
      allowedWorkspaceName: queryString(query, 'filter[allowed_workspaces][name]') ?? queryString(query, 'filter[allowed-workspaces][name]'),
      allowedProjectName: queryString(query, 'filter[allowed_projects][name]') ?? queryString(query, 'filter[allowed-projects][name]'),
      sort: parseSort(query),
      page,
    });
    const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, matching);
    return reply.send(
      document(views.map(serializeAgentPool), {
        included: await includedFor(request, views),
        links: parts.links,
        meta: { ...parts.meta, 'status-counts': { total, matching } },
      }),
    );
  });

  app.post<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/agent-pools', async (request, reply) => {
    const view = await agentPoolService.create(request.ctx, request.params.organization_name, poolInput(request.body));
    return reply.code(201).send(await poolDocument(request, view));
  });

  app.get<{ Params: PoolParams }>('/api/v2/agent-pools/:agent_pool_id', async (request, reply) => {
    return reply.send(await poolDocument(request, await agentPoolService.show(request.ctx, request.params.agent_pool_id)));
  });

  app.patch<{ Params: PoolParams }>('/api/v2/agent-pools/:agent_pool_id', async (request, reply) => {
    const view = await agentPoolService.update(request.ctx, request.params.agent_pool_id, poolInput(request.body));
    return reply.send(await poolDocument(request, view));
  });

  app.delete<{ Params: PoolParams }>('/api/v2/agent-pools/:agent_pool_id', async (request, reply) => {
    await agentPoolService.destroy(request.ctx, request.params.agent_pool_id);
    return reply.code(204).send();
  });
}
