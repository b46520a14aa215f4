import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { documentWith } from '../jsonapi/include-registry.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryBoolean, queryEnum, querySchema, withQuery } from '../jsonapi/query.js';
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

const MembersQuery = querySchema({
  ...PageParameters,
  'filter[status]': queryEnum(STATUSES),
  'filter[is_service_account]': QueryBoolean,
  sort: queryEnum(ORDERS),
});

export async function teamMemberRoutes(app: FastifyInstance): Promise<void> {
  const members = '/api/v2/teams/:team_id/relationships/organization-memberships';
  app.get<{ Params: TeamParams; Querystring: Static<typeof MembersQuery> }>(members, withQuery(MembersQuery), async (request, reply) => {
    const { ctx, query } = request;
    const { items: views, parts } = await listPage(request, (page) =>
      membershipService.listForTeam(ctx, request.params.team_id, {
        status: query['filter[status]'],
        isServiceAccount: query['filter[is_service_account]'],
        order: query.sort ?? 'created',
        page,
      }),
    );
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
