import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseAttributes } from '../jsonapi/body.js';
import * as actionService from './action-service.js';

const CommentBody = Type.Object({ comment: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])) });

/**
 * The optional `{"comment": …}` of apply, discard, cancel and force-cancel (run.mdx). The CLI sends
 * `{}` with its JSON:API media type; no body at all is fine too.
 */
function comment(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the request body must be a JSON object', { pointer: '' });
  return parseAttributes(body, CommentBody, '').comment ?? undefined;
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
