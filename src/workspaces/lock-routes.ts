import { Type } from '@sinclair/typebox';
import { WORKSPACE_INCLUDES } from './serialize.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseAttributes } from '../jsonapi/body.js';
import * as lockService from './lock-service.js';
import type { WorkspaceView } from './service.js';
import type { Ctx } from '../context.js';
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

/** What each action does to the workspace, given the request body (only lock reads one: its reason). */
const ACTIONS: Record<string, (ctx: Ctx, workspaceId: string, body: unknown) => Promise<WorkspaceView>> = {
  lock: (ctx, workspaceId, body) => lockService.lock(ctx, workspaceId, lockReason(body)),
  unlock: (ctx, workspaceId) => lockService.unlock(ctx, workspaceId),
  'force-unlock': (ctx, workspaceId) => lockService.forceUnlock(ctx, workspaceId),
};

/** Lock, unlock and force-unlock answer with the workspace document: the CLI decodes it (cli-protocol.md §5.3). */
export async function lockRoutes(app: FastifyInstance): Promise<void> {
  for (const [action, apply] of Object.entries(ACTIONS)) {
    app.post<{ Params: IdParams; Querystring: IncludeQuery }>(
      `/api/v2/workspaces/:workspace_id/actions/${action}`,
      withQuery(IncludeQuery),
      async (request, reply) => {
        const view = await apply(request.ctx, request.params.workspace_id, request.body);
        return reply.send(await includedDocument(request, 'workspaces', view, WORKSPACE_INCLUDES));
      },
    );
  }
}
