import { includedDocument } from '../jsonapi/include-registry.js';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { IncludeParameters } from '../jsonapi/include.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as agentPoolService from './service.js';
import { createRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const PoolAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  'organization-scoped': Type.Optional(Type.Boolean()),
});

/** agents.mdx "Available Related Resources". */
const INCLUDES = ['workspaces'] as const;

const SORT_FIELDS: readonly agentPoolService.AgentPoolSortField[] = ['name', 'created-at'];

/** agents.mdx "List Agent Pools" query parameters; the allowed-scope filters in both spellings (below). */
const ListQuery = querySchema({
  ...PageParameters,
  ...IncludeParameters,
  q: QueryText,
  sort: QueryText,
  'filter[allowed_workspaces][name]': QueryText,
  'filter[allowed-workspaces][name]': QueryText,
  'filter[allowed_projects][name]': QueryText,
  'filter[allowed-projects][name]': QueryText,
});
type ListQuery = Static<typeof ListQuery>;

function parseSort(raw = 'created-at'): agentPoolService.ListOptions['sort'] {
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

interface OrganizationParams {
  organization_name: string;
}

export async function agentPoolRoutes(app: FastifyInstance): Promise<void> {
  const list = '/api/v2/organizations/:organization_name/agent-pools';
  app.get<{ Params: OrganizationParams; Querystring: ListQuery }>(list, withQuery(ListQuery), async (request, reply) => {
    const { ctx, query } = request;
    const {
      items: views,
      total: matching,
      organizationTotal: total,
      parts,
    } = await listPage(request, (page) =>
      agentPoolService.list(ctx, request.params.organization_name, {
        search: query.q || undefined,
        // agents.mdx spells it with an underscore, the OpenAPI spec with a hyphen.
        allowedWorkspaceName: query['filter[allowed_workspaces][name]'] ?? query['filter[allowed-workspaces][name]'],
        allowedProjectName: query['filter[allowed_projects][name]'] ?? query['filter[allowed-projects][name]'],
        sort: parseSort(query.sort),
        page,
      }),
    );
    return reply.send(
      await includedDocument(request, 'agent-pools', views, INCLUDES, {
        links: parts.links,
        meta: { ...parts.meta, 'status-counts': { total, matching } },
      }),
    );
  });

  createRoute(app, list, 'agent-pools', INCLUDES, (ctx, p, body) => agentPoolService.create(ctx, p.organization_name, poolInput(body)));
  memberRoutes(app, '/api/v2/agent-pools/:agent_pool_id', 'agent-pools', INCLUDES, { service: agentPoolService, input: poolInput });
}
