import type { FastifyInstance } from 'fastify';
import { parseLinkageIds } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageQuery } from '../jsonapi/pagination.js';
import * as consumerService from './consumer-service.js';
import { serializeWorkspace } from './serialize.js';
import { withQuery } from '../jsonapi/query.js';

interface IdParams {
  workspace_id: string;
}

const PATH = '/api/v2/workspaces/:workspace_id/relationships/remote-state-consumers';

export async function consumerRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: IdParams; Querystring: PageQuery }>(PATH, withQuery(PageQuery), async (request, reply) => {
    const ctx = request.ctx;
    const { items: views, parts } = await listPage(request, (page) => consumerService.list(ctx, request.params.workspace_id, page));
    return reply.send(document(views.map(serializeWorkspace), parts));
  });

  const changes: [method: 'post' | 'patch' | 'delete', how: consumerService.ConsumerChange][] = [
    ['post', 'add'],
    ['patch', 'replace'],
    ['delete', 'remove'],
  ];
  for (const [method, how] of changes) {
    app[method]<{ Params: IdParams }>(PATH, async (request, reply) => {
      await consumerService.change(request.ctx, request.params.workspace_id, how, parseLinkageIds(request.body, 'workspaces', '', 'bad-request'));
      return reply.code(204).send();
    });
  }
}
