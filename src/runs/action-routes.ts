import type { FastifyInstance } from 'fastify';
import { parseCommentBody } from '../jsonapi/body.js';
import * as actionService from './action-service.js';

interface RunParams {
  run_id: string;
}

const COMMENTED_ACTIONS = {
  apply: actionService.apply,
  discard: actionService.discard,
  cancel: actionService.cancel,
  'force-cancel': actionService.forceCancel,
} as const;

/** Actions answer 202 with no body: each is a request the server carries out (run.mdx). */
export async function actionRoutes(app: FastifyInstance): Promise<void> {
  for (const [name, act] of Object.entries(COMMENTED_ACTIONS)) {
    app.post<{ Params: RunParams }>(`/api/v2/runs/:run_id/actions/${name}`, async (request, reply) => {
      await act(request.ctx, request.params.run_id, parseCommentBody(request.body));
      return reply.code(202).send();
    });
  }

  app.post<{ Params: RunParams }>('/api/v2/runs/:run_id/actions/force-execute', async (request, reply) => {
    await actionService.forceExecute(request.ctx, request.params.run_id);
    return reply.code(202).send();
  });
}
