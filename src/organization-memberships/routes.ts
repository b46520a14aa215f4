import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { document, type ResourceObject, resource, toMany, toOne } from '../jsonapi/document.js';
import { parseInclude } from '../jsonapi/include.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryList, queryString } from '../jsonapi/query.js';
import { serializeUser } from '../users/routes.js';
import * as userService from '../users/service.js';
import * as membershipService from './service.js';

/** organization-memberships.mdx "Available Related Resources" lists `user` and `teams`; teams are served by the teams issue. */
const INCLUDES = ['user'] as const;

const InviteAttributes = Type.Object({ email: Type.String() });

function serializeMembership(view: membershipService.MembershipView): ResourceObject {
  const { membership } = view;
  return resource(
    'organization-memberships',
    membership.id,
    { status: membership.status, 'created-at': membership.createdAt.toISOString() },
    {
      teams: toMany('teams', view.teamIds),
      user: toOne('users', membership.userId),
      organization: toOne('organizations', membership.organizationName),
    },
    { self: `/api/v2/organization-memberships/${membership.id}` },
  );
}

/** The included users the caller may see (a hidden user is left out, not an error). */
async function includedUsers(ctx: Ctx, views: membershipService.MembershipView[], include: ReadonlySet<string>): Promise<ResourceObject[]> {
  if (!include.has('user')) return [];
  const users: ResourceObject[] = [];
  for (const userId of new Set(views.map((v) => v.membership.userId))) {
    try {
      users.push(serializeUser(await userService.show(ctx, userId)));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return users;
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
    const { attributes, relationships } = parseResourceBody(request.body, 'organization-memberships', InviteAttributes);
    const teamIds = relationships.teams === undefined ? [] : parseLinkageIds(relationships.teams, 'teams', '/data/relationships/teams', 'invalid');
    const view = await membershipService.invite(request.ctx, request.params.organization_name, { email: attributes.email, teamIds });
    return reply.code(201).send(document(serializeMembership(view)));
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
        included: await includedUsers(ctx, views, include),
        links: parts.links,
        meta: { 'status-counts': statusCounts, ...parts.meta },
      }),
    );
  });

  app.get('/api/v2/organization-memberships', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const include = parseInclude(query, INCLUDES);
    const page = parsePage(query);
    const { views, total } = await membershipService.listOwn(ctx, page);
    return reply.send(
      document(views.map(serializeMembership), {
        included: await includedUsers(ctx, views, include),
        ...paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total),
      }),
    );
  });

  app.get<{ Params: MembershipParams }>('/api/v2/organization-memberships/:id', async (request, reply) => {
    const include = parseInclude(request.query as Query, INCLUDES);
    const view = await membershipService.show(request.ctx, request.params.id);
    return reply.send(document(serializeMembership(view), { included: await includedUsers(request.ctx, [view], include) }));
  });

  app.delete<{ Params: MembershipParams }>('/api/v2/organization-memberships/:id', async (request, reply) => {
    await membershipService.destroy(request.ctx, request.params.id);
    return reply.code(204).send();
  });
}
