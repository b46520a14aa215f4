import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
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

export async function teamMemberRoutes(app: FastifyInstance): Promise<void> {
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
