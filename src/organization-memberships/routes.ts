import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import { InvalidError } from '../errors.js';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { document, type ResourceObject } from '../jsonapi/document.js';
import { parseInclude, visibleOnly } from '../jsonapi/include.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryList, queryString } from '../jsonapi/query.js';
import { serializeOrganization } from '../organizations/serialize.js';
import * as organizationService from '../organizations/service.js';
import { serializeTeam } from '../teams/serialize.js';
import { serializeUser } from '../users/serialize.js';
import * as userService from '../users/service.js';
import { serializeMembership } from './serialize.js';
import * as membershipService from './service.js';

/** organization-memberships.mdx "Available Related Resources"; the caller's own list may also include `organization` (openapi listUserOrganizationMemberships). */
const INCLUDES = ['user', 'teams'] as const;
const OWN_INCLUDES = ['user', 'teams', 'organization'] as const;

const InviteAttributes = Type.Object({ email: Type.String() });

async function included(ctx: Ctx, views: membershipService.MembershipView[], include: ReadonlySet<string>): Promise<ResourceObject[]> {
  const resources: ResourceObject[] = [];
  if (include.has('user')) {
    for (const userId of new Set(views.map((v) => v.membership.userId))) {
      const user = await visibleOnly(() => userService.show(ctx, userId));
      if (user) resources.push(serializeUser(user));
    }
  }
  if (include.has('teams')) resources.push(...(await membershipService.teamsOf(ctx, views)).map(serializeTeam));
  if (include.has('organization')) {
    for (const name of new Set(views.map((v) => v.membership.organizationName))) {
      const organization = await visibleOnly(() => organizationService.show(ctx, name));
      if (organization) resources.push(serializeOrganization(organization));
    }
  }
  return resources;
}

function parseStatus(query: Query): membershipService.MembershipStatus | undefined {
  const status = queryString(query, 'filter[status]');
  if (status === undefined || status === 'invited' || status === 'active') return status;
  throw new InvalidError('filter[status] must be invited or active', { parameter: 'filter[status]' });
}

interface OrganizationParams {
  organization_name: string;
}

interface MembershipParams {
  id: string;
}

export async function organizationMembershipRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/organization-memberships', async (request, reply) => {
    const ctx = request.ctx;
    const { attributes, relationships } = parseResourceBody(request.body, 'organization-memberships', InviteAttributes);
    const teamIds = relationships.teams === undefined ? [] : parseLinkageIds(relationships.teams, 'teams', '/data/relationships/teams', 'invalid');
    const view = await membershipService.invite(ctx, request.params.organization_name, { email: attributes.email, teamIds });
    // The documented response carries the invited user in `included` without an include parameter.
    return reply.code(201).send(document(serializeMembership(view), { included: await included(ctx, [view], new Set(['user'])) }));
  });

  app.get<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/organization-memberships', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const include = parseInclude(query, INCLUDES);
    const page = parsePage(query);
    const { views, total, statusCounts } = await membershipService.listForOrganization(ctx, request.params.organization_name, {
      search: queryString(query, 'q'),
      emails: queryList(query, 'filter[email]'),
      status: parseStatus(query),
      page,
    });
    const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total);
    return reply.send(
      document(views.map(serializeMembership), {
        included: await included(ctx, views, include),
        links: parts.links,
        meta: { 'status-counts': statusCounts, ...parts.meta },
      }),
    );
  });

  app.get('/api/v2/organization-memberships', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const include = parseInclude(query, OWN_INCLUDES);
    const page = parsePage(query);
    const { views, total } = await membershipService.listOwn(ctx, page);
    return reply.send(
      document(views.map(serializeMembership), {
        included: await included(ctx, views, include),
        ...paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total),
      }),
    );
  });

  app.get<{ Params: MembershipParams }>('/api/v2/organization-memberships/:id', async (request, reply) => {
    const ctx = request.ctx;
    const include = parseInclude(request.query as Query, INCLUDES);
    const view = await membershipService.show(ctx, request.params.id);
    return reply.send(document(serializeMembership(view), { included: await included(ctx, [view], include) }));
  });

  app.delete<{ Params: MembershipParams }>('/api/v2/organization-memberships/:id', async (request, reply) => {
    await membershipService.destroy(request.ctx, request.params.id);
    return reply.code(204).send();
  });
}
