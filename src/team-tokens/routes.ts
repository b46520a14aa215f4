import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseTokenRequest, serializeToken } from '../auth/token-resource.js';
import { InvalidError } from '../errors.js';
import { parseLinkageIds } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as teamTokenService from './service.js';

interface TeamParams {
  team_id: string;
}

interface OrganizationParams {
  organization_name: string;
}

interface TokenParams {
  id: string;
}

const SORT_FIELDS: readonly teamTokenService.TeamTokenSortField[] = ['team-name', 'created-by', 'expired-at', 'last-used-at'];

/** `sort`: a field, `-` for descending; by default ascending expiration ("Legacy team tokens", "List team tokens"). */
function parseSort(raw = 'expired-at'): teamTokenService.ListOptions['sort'] {
  const field = raw.replace(/^-/, '') as teamTokenService.TeamTokenSortField;
  if (!SORT_FIELDS.includes(field)) throw new InvalidError(`sort must be one of ${SORT_FIELDS.join(', ')}, optionally with a leading -`, { parameter: 'sort' });
  return { field, descending: raw.startsWith('-') };
}

/** team-tokens.mdx "List team tokens" query parameters. */
const ListQuery = querySchema({ ...PageParameters, q: QueryText, sort: QueryText });

export async function teamTokenRoutes(app: FastifyInstance): Promise<void> {
  const legacy = '/api/v2/teams/:team_id/authentication-token';

  app.post<{ Params: TeamParams }>(legacy, async (request, reply) => {
    const { expiredAt } = parseTokenRequest(request.body);
    const { token, secret } = await teamTokenService.generate(request.ctx, request.params.team_id, { description: null, expiredAt });
    return reply.code(201).send(document(serializeToken(token, secret)));
  });

  app.get<{ Params: TeamParams }>(legacy, async (request, reply) => {
    return reply.send(document(serializeToken(await teamTokenService.showLegacy(request.ctx, request.params.team_id))));
  });

  app.delete<{ Params: TeamParams }>(legacy, async (request, reply) => {
    await teamTokenService.destroyLegacy(request.ctx, request.params.team_id);
    return reply.code(204).send();
  });

  app.post<{ Params: TeamParams }>('/api/v2/teams/:team_id/authentication-tokens', async (request, reply) => {
    const { description, expiredAt } = parseTokenRequest(request.body);
    const input = { description: teamTokenService.requireDescription(description), expiredAt };
    const { token, secret } = await teamTokenService.generate(request.ctx, request.params.team_id, input);
    return reply.code(201).send(document(serializeToken(token, secret)));
  });

  const list = '/api/v2/organizations/:organization_name/team-tokens';
  app.get<{ Params: OrganizationParams; Querystring: Static<typeof ListQuery> }>(list, withQuery(ListQuery), async (request, reply) => {
    const { ctx, query } = request;
    const { items: tokens, parts } = await listPage(request, (page) =>
      teamTokenService.listForOrganization(ctx, request.params.organization_name, {
        search: query.q,
        sort: parseSort(query.sort),
        page,
      }),
    );
    return reply.send(
      document(
        tokens.map((t) => serializeToken(t)),
        parts,
      ),
    );
  });

  app.delete<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/team-tokens', async (request, reply) => {
    const ids = parseLinkageIds(request.body, 'authentication-tokens', '', 'bad-request');
    await teamTokenService.destroyMany(request.ctx, request.params.organization_name, ids);
    return reply.code(204).send();
  });

  // User, team and agent tokens share these paths (user-tokens.mdx, team-tokens.mdx, agent-tokens.mdx).
  app.get<{ Params: TokenParams }>('/api/v2/authentication-tokens/:id', async (request, reply) => {
    return reply.send(document(serializeToken(await teamTokenService.showAny(request.ctx, request.params.id))));
  });

  app.delete<{ Params: TokenParams }>('/api/v2/authentication-tokens/:id', async (request, reply) => {
    await teamTokenService.destroyAny(request.ctx, request.params.id);
    return reply.code(204).send();
  });
}
