import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { documentWith } from '../jsonapi/include-registry.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryBoolean, queryEnum } from '../jsonapi/query.js';
import * as membershipService from '../organization-memberships/service.js';
import { parseLinkageIds } from '../jsonapi/body.js';
import * as teamMemberService from './member-service.js';

interface TeamParams {
  team_id: string;
}

/** The `data` of a relationships request: at least one `{ type, id }` (team-members.mdx). */
function references(body: unknown, type: teamMemberService.MemberReference): string[] {
  const ids = parseLinkageIds(body, type, '', 'bad-request');
  if (ids.length === 0) throw new BadRequestError(`data must list at least one ${type}`, { pointer: '/data' });
  return ids;
}

const STATUSES = ['active', 'invited', 'inactive'] as const;
const ORDERS = ['status', '-status'] as const;

export async function teamMemberRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: TeamParams; Querystring: Query }>('/api/v2/teams/:team_id/relationships/organization-memberships', async (request, reply) => {
    const { ctx, query } = request;
    const page = parsePage(query);
    const { views, total } = await membershipService.listForTeam(ctx, request.params.team_id, {
      status: queryEnum(query, 'filter[status]', STATUSES),
      isServiceAccount: queryBoolean(query, 'filter[is_service_account]'),
      order: queryEnum(query, 'sort', ORDERS) ?? 'created',
      page,
    });
    const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total);
    return reply.send(await documentWith(ctx, 'organization-memberships', views, [], parts));
  });

  for (const type of ['users', 'organization-memberships'] as const) {
    const path = `/api/v2/teams/:team_id/relationships/${type}`;
    app.post<{ Params: TeamParams }>(path, async (request, reply) => {
      await teamMemberService.add(request.ctx, request.params.team_id, type, references(request.body, type));
      return reply.code(204).send();
    });
    app.delete<{ Params: TeamParams }>(path, async (request, reply) => {
      await teamMemberService.remove(request.ctx, request.params.team_id, type, references(request.body, type));
      return reply.code(204).send();
    });
  }
}
