import { Type } from '@sinclair/typebox';
import { WORKSPACE_INCLUDES } from './serialize.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseAttributes } from '../jsonapi/body.js';
import * as lockService from './lock-service.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const Reason = Type.String({ maxLength: MAX_TEXT_LENGTH });

/**
 * The lock reason: `{"reason": …}` as workspaces.mdx documents, or the CLI's
 * `{"data": {"type": "", "attributes": {"reason": …}}}`, whose empty type is not checked (cli-protocol.md §4.4).
 */
function lockReason(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (!isObject(body)) throw new BadRequestError('the request body must be a JSON object', { pointer: '' });
  const attributes = isObject(body.data) && isObject(body.data.attributes) ? body.data.attributes : undefined;
  const [reason, pointer] = body.reason !== undefined ? [body.reason, '/reason'] : [attributes?.reason, '/data/attributes/reason'];
  return reason === undefined || reason === null ? '' : parseAttributes(reason, Reason, pointer);
}

interface IdParams {
  workspace_id: string;
}

/** Lock, unlock and force-unlock answer with the workspace document: the CLI decodes it (cli-protocol.md §5.3). */
export async function lockRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: IdParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/actions/lock',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const reason = lockReason(request.body);
      return reply.send(
        await includedDocument(request, 'workspaces', await lockService.lock(request.ctx, request.params.workspace_id, reason), WORKSPACE_INCLUDES),
      );
    },
  );

  app.post<{ Params: IdParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/actions/unlock',
    withQuery(IncludeQuery),
    async (request, reply) => {
      return reply.send(await includedDocument(request, 'workspaces', await lockService.unlock(request.ctx, request.params.workspace_id), WORKSPACE_INCLUDES));
    },
  );

  app.post<{ Params: IdParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/actions/force-unlock',
    withQuery(IncludeQuery),
    async (request, reply) => {
      return reply.send(
        await includedDocument(request, 'workspaces', await lockService.forceUnlock(request.ctx, request.params.workspace_id), WORKSPACE_INCLUDES),
      );
    },
  );
}
