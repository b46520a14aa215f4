import type { FastifyInstance } from 'fastify';
import { document } from '../jsonapi/document.js';
import { listPage, PageQuery } from '../jsonapi/pagination.js';
import { withQuery } from '../jsonapi/query.js';
import * as outputService from './service.js';

import { serializeOutput } from './serialize.js';
export async function stateVersionOutputRoutes(app: FastifyInstance): Promise<void> {
  const outputs = '/api/v2/state-versions/:state_version_id/outputs';
  app.get<{ Params: { state_version_id: string }; Querystring: PageQuery }>(outputs, withQuery(PageQuery), async (request, reply) => {
    const ctx = request.ctx;
    const { items: outputs, parts } = await listPage(request, (page) => outputService.listForStateVersion(ctx, request.params.state_version_id, page));
    return reply.send(document(outputs.map(serializeOutput), parts));
  });

  app.get<{ Params: { output_id: string } }>('/api/v2/state-version-outputs/:output_id', async (request, reply) => {
    return reply.send(document(serializeOutput(await outputService.show(request.ctx, request.params.output_id))));
  });

  app.get<{ Params: { workspace_id: string } }>('/api/v2/workspaces/:workspace_id/current-state-version-outputs', async (request, reply) => {
    return reply.send(document((await outputService.listCurrent(request.ctx, request.params.workspace_id)).map(serializeOutput)));
  });
}
