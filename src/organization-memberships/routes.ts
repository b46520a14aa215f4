import { documentWith, includedDocument } from '../jsonapi/include-registry.js';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { IncludeParameters } from '../jsonapi/include.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, queryEnum, querySchema, splitList, withQuery } from '../jsonapi/query.js';
import * as membershipService from './service.js';
import { listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

/** organization-memberships.mdx "Available Related Resources"; the caller's own list may also include `organization` (openapi listUserOrganizationMemberships). */
const INCLUDES = ['user', 'teams'] as const;
const OWN_INCLUDES = ['user', 'teams', 'organization'] as const;

const InviteAttributes = Type.Object({ email: Type.String() });

const STATUSES: readonly membershipService.MembershipStatus[] = ['invited', 'active'];

/** organization-memberships.mdx "List Memberships for an Organization" query parameters. */
const ListQuery = querySchema({
  ...PageParameters,
  ...IncludeParameters,
  q: QueryText,
  'filter[email]': QueryText,
  'filter[status]': queryEnum(STATUSES),
});

interface OrganizationParams {
  organization_name: string;
}

export async function organizationMembershipRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/organization-memberships', async (request, reply) => {
    const ctx = request.ctx;
    const { attributes, relationships } = parseResourceBody(request.body, 'organization-memberships', InviteAttributes);
    const teamIds = relationships.teams === undefined ? [] : parseLinkageIds(relationships.teams, 'teams', '/data/relationships/teams', 'invalid');
    const view = await membershipService.invite(ctx, request.params.organization_name, { email: attributes.email, teamIds });
    // The documented response carries the invited user in `included` without an include parameter.
    return reply.code(201).send(await documentWith(ctx, 'organization-memberships', view, ['user']));
  });

  const list = '/api/v2/organizations/:organization_name/organization-memberships';
  app.get<{ Params: OrganizationParams; Querystring: Static<typeof ListQuery> }>(list, withQuery(ListQuery), async (request, reply) => {
    const { ctx, query } = request;
    const {
      items: views,
      statusCounts,
      parts,
    } = await listPage(request, (page) =>
      membershipService.listForOrganization(ctx, request.params.organization_name, {
        search: query.q,
        emails: splitList(query['filter[email]']),
        status: query['filter[status]'],
        page,
      }),
    );
    return reply.send(
      await includedDocument(request, 'organization-memberships', views, INCLUDES, {
        links: parts.links,
        meta: { 'status-counts': statusCounts, ...parts.meta },
      }),
    );
  });

  listRoute(app, '/api/v2/organization-memberships', 'organization-memberships', OWN_INCLUDES, {}, (ctx, _p, page) => membershipService.listOwn(ctx, page));

  memberRoutes(app, '/api/v2/organization-memberships/:id', 'organization-memberships', INCLUDES, {
    show: (ctx, p) => membershipService.show(ctx, p.id),
    destroy: (ctx, p) => membershipService.destroy(ctx, p.id),
  });
}
