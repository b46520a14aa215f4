import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { document } from '../jsonapi/document.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryString } from '../jsonapi/query.js';
import * as agentService from './service.js';

import { serializeAgent } from './serialize.js';
const ISO_8601 = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d))?$/;

/** `filter[last-ping-since]`: an ISO 8601 date, such as 2020-08-11T10:41:23Z. */
function parseLastPingSince(query: Query): Date | undefined {
  const raw = queryString(query, 'filter[last-ping-since]');
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  if (!ISO_8601.test(raw) || Number.isNaN(date.getTime())) {
    throw new InvalidError('filter[last-ping-since] must be an ISO 8601 date, such as 2020-08-11T10:41:23Z', { parameter: 'filter[last-ping-since]' });
  }
  return date;
}

interface PoolParams {
  agent_pool_id: string;
}
interface AgentParams {
  agent_id: string;
}

export async function agentRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: PoolParams }>('/api/v2/agent-pools/:agent_pool_id/agents', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const page = parsePage(query);
    const { views, total } = await agentService.list(ctx, request.params.agent_pool_id, { lastPingSince: parseLastPingSince(query), page });
    return reply.send(document(views.map(serializeAgent), paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total)));
  });

  app.get<{ Params: AgentParams }>('/api/v2/agents/:agent_id', async (request, reply) => {
    return reply.send(document(serializeAgent(await agentService.show(request.ctx, request.params.agent_id))));
  });

  app.delete<{ Params: AgentParams }>('/api/v2/agents/:agent_id', async (request, reply) => {
    await agentService.destroy(request.ctx, request.params.agent_id);
    return reply.code(204).send();
  });
}
