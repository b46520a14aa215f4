import type { FastifyInstance } from 'fastify';
import { BadRequestError, InvalidError } from '../errors.js';
import * as actionService from './action-service.js';

/**
 * The optional `{"comment": …}` of apply, discard, cancel and force-cancel (run.mdx). The CLI sends
 * `{}` with its JSON:API media type; no body at all is fine too.
 */
function comment(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the request body must be a JSON object', { pointer: '' });
  const value = (body as Record<string, unknown>).comment;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidError('comment must be a string', { pointer: '/comment' });
  return value;
}

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
      await act(request.ctx, request.params.run_id, comment(request.body));
      return reply.code(202).send();
    });
  }

  app.post<{ Params: RunParams }>('/api/v2/runs/:run_id/actions/force-execute', async (request, reply) => {
    await actionService.forceExecute(request.ctx, request.params.run_id);
    return reply.code(202).send();
  });
}
