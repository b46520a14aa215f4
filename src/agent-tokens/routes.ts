import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { serializeToken } from '../auth/token-resource.js';
import { BadRequestError } from '../errors.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageQuery } from '../jsonapi/pagination.js';
import * as agentTokenService from './service.js';
import { withQuery } from '../jsonapi/query.js';

const TokenAttributes = Type.Object({ description: Type.Optional(Type.String()) });

/** The documented `authentication-tokens`, and `agent-tokens`, which go-tfe's AgentTokenGenerateOptions sends. */
const REQUEST_TYPES = ['authentication-tokens', 'agent-tokens'];

function parseDescription(body: unknown): string | undefined {
  const type = (body as { data?: { type?: unknown } } | null)?.data?.type;
  if (typeof type !== 'string' || !REQUEST_TYPES.includes(type)) {
    throw new BadRequestError('data.type must be "authentication-tokens"', { pointer: '/data/type' });
  }
  return parseResourceBody(body, type, TokenAttributes).attributes.description;
}

interface PoolParams {
  agent_pool_id: string;
}

/** Show and delete of an agent token go through `/authentication-tokens/:id` (team-tokens/routes.ts), shared with user and team tokens. */
export async function agentTokenRoutes(app: FastifyInstance): Promise<void> {
  const path = '/api/v2/agent-pools/:agent_pool_id/authentication-tokens';

  app.get<{ Params: PoolParams; Querystring: PageQuery }>(path, withQuery(PageQuery), async (request, reply) => {
    const ctx = request.ctx;
    const { items: tokens, parts } = await listPage(request, (page) => agentTokenService.list(ctx, request.params.agent_pool_id, page));
    return reply.send(
      document(
        tokens.map((t) => serializeToken(t)),
        parts,
      ),
    );
  });

  app.post<{ Params: PoolParams }>(path, async (request, reply) => {
    const { token, secret } = await agentTokenService.create(request.ctx, request.params.agent_pool_id, parseDescription(request.body));
    return reply.code(201).send(document(serializeToken(token, secret)));
  });
}
