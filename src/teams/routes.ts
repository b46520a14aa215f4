import { includedDocument } from '../jsonapi/include-registry.js';
import { type TBoolean, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ORGANIZATION_ACCESS_FLAGS, type OrganizationAccessFlag } from '../auth/organization-access.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { QueryText, splitList, withQuery } from '../jsonapi/query.js';
import * as teamService from './service.js';
import { listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

/** teams.mdx "Available Related Resources". */
const INCLUDES = ['users', 'organization-memberships'] as const;

const OrganizationAccessAttributes = Type.Partial(
  Type.Object(Object.fromEntries(ORGANIZATION_ACCESS_FLAGS.map((flag) => [flag, Type.Boolean()])) as Record<OrganizationAccessFlag, TBoolean>),
);

const TeamAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  'sso-team-id': Type.Optional(Type.Union([Type.String(), Type.Null()])),
  visibility: Type.Optional(Type.Union([Type.Literal('secret'), Type.Literal('organization')])),
  'allow-member-token-management': Type.Optional(Type.Boolean()),
  // The update table of teams.mdx names it so; its samples, the OpenAPI schema and go-tfe say allow-member-token-management.
  'allow-team-token-management': Type.Optional(Type.Boolean()),
  'organization-access': Type.Optional(OrganizationAccessAttributes),
});

function teamInput(body: unknown): teamService.TeamInput {
  const { attributes: a } = parseResourceBody(body, 'teams', TeamAttributes);
  return {
    name: a.name,
    visibility: a.visibility,
    ssoTeamId: a['sso-team-id'],
    allowMemberTokenManagement: a['allow-member-token-management'] ?? a['allow-team-token-management'],
    organizationAccess: a['organization-access'],
  };
}

/** teams.mdx "List teams" query parameters. */
const ListFilters = { q: QueryText, 'filter[names]': QueryText };

interface OrganizationParams {
  organization_name: string;
}

export async function teamRoutes(app: FastifyInstance): Promise<void> {
  const list = '/api/v2/organizations/:organization_name/teams' as const;
  listRoute(app, list, 'teams', INCLUDES, ListFilters, (ctx, p, page, query) =>
    teamService.list(ctx, p.organization_name, { search: query.q, names: splitList(query['filter[names]']), page }),
  );

  // 200, not 201: the status table of teams.mdx "Create a Team" and the OpenAPI createTeam both say so.
  app.post<{ Params: OrganizationParams; Querystring: IncludeQuery }>(list, withQuery(IncludeQuery), async (request, reply) => {
    const view = await teamService.create(request.ctx, request.params.organization_name, teamInput(request.body));
    return reply.send(await includedDocument(request, 'teams', view, INCLUDES));
  });

  memberRoutes(app, '/api/v2/teams/:team_id', 'teams', INCLUDES, { service: teamService, input: teamInput });
}
