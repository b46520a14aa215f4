import { documentWith, includedDocument } from '../jsonapi/include-registry.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryList, queryString } from '../jsonapi/query.js';
import * as membershipService from './service.js';

/** organization-memberships.mdx "Available Related Resources"; the caller's own list may also include `organization` (openapi listUserOrganizationMemberships). */
const INCLUDES = ['user', 'teams'] as const;
const OWN_INCLUDES = ['user', 'teams', 'organization'] as const;

const InviteAttributes = Type.Object({ email: Type.String() });

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
    return reply.code(201).send(await documentWith(ctx, 'organization-memberships', view, ['user']));
  });

  app.get<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/organization-memberships', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const page = parsePage(query);
    const { views, total, statusCounts } = await membershipService.listForOrganization(ctx, request.params.organization_name, {
      search: queryString(query, 'q'),
      emails: queryList(query, 'filter[email]'),
      status: parseStatus(query),
      page,
    });
    const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total);
    return reply.send(
      await includedDocument(request, 'organization-memberships', views, INCLUDES, {
        links: parts.links,
        meta: { 'status-counts': statusCounts, ...parts.meta },
      }),
    );
  });

  app.get('/api/v2/organization-memberships', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const page = parsePage(query);
    const { views, total } = await membershipService.listOwn(ctx, page);
    const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total);
    return reply.send(await includedDocument(request, 'organization-memberships', views, OWN_INCLUDES, parts));
  });

  app.get<{ Params: MembershipParams }>('/api/v2/organization-memberships/:id', async (request, reply) => {
    const view = await membershipService.show(request.ctx, request.params.id);
    return reply.send(await includedDocument(request, 'organization-memberships', view, INCLUDES));
  });

  app.delete<{ Params: MembershipParams }>('/api/v2/organization-memberships/:id', async (request, reply) => {
    await membershipService.destroy(request.ctx, request.params.id);
    return reply.code(204).send();
  });
}
