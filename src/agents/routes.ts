import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as agentService from './service.js';

import { serializeAgent } from './serialize.js';
const ISO_8601 = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d))?$/;

/** `filter[last-ping-since]`: an ISO 8601 date, such as 2020-08-11T10:41:23Z. */
function parseLastPingSince(raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  if (!ISO_8601.test(raw) || Number.isNaN(date.getTime())) {
    throw new InvalidError('filter[last-ping-since] must be an ISO 8601 date, such as 2020-08-11T10:41:23Z', { parameter: 'filter[last-ping-since]' });
  }
  return date;
}

const ListQuery = querySchema({ ...PageParameters, 'filter[last-ping-since]': QueryText });

interface PoolParams {
  agent_pool_id: string;
}
interface AgentParams {
  agent_id: string;
}

export async function agentRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: PoolParams; Querystring: Static<typeof ListQuery> }>(
    '/api/v2/agent-pools/:agent_pool_id/agents',
    withQuery(ListQuery),
    async (request, reply) => {
      const { ctx, query } = request;
      const { items: views, parts } = await listPage(request, (page) =>
        agentService.list(ctx, request.params.agent_pool_id, {
          lastPingSince: parseLastPingSince(query['filter[last-ping-since]']),
          page,
        }),
      );
      return reply.send(document(views.map(serializeAgent), parts));
    },
  );

  app.get<{ Params: AgentParams }>('/api/v2/agents/:agent_id', async (request, reply) => {
    return reply.send(document(serializeAgent(await agentService.show(request.ctx, request.params.agent_id))));
  });

  app.delete<{ Params: AgentParams }>('/api/v2/agents/:agent_id', async (request, reply) => {
    await agentService.destroy(request.ctx, request.params.agent_id);
    return reply.code(204).send();
  });
}
