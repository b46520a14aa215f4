import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import * as logService from './log-service.js';
import type { PhaseRequest } from './phase-service.js';
import type { PhaseKind } from './phase-store.js';
import * as phaseOutputService from './phase-output-service.js';

/** What plans and applies produce: logs (their `log-read-url`) and the JSON plan. */

interface LogParams {
  kind: string;
  id: string;
  expiry: string;
  signature: string;
}

function byteCount(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new BadRequestError(`${name} must be a whole number of bytes`);
  return Number(raw);
}

const PLAN_SELECTORS: Record<string, (params: Record<string, string>) => PhaseRequest> = {
  '/api/v2/plans/:id': (params) => ({ id: params.id as string }),
  '/api/v2/runs/:run_id/plan': (params) => ({ runId: params.run_id as string }),
};

export async function runOutputRoutes(app: FastifyInstance): Promise<void> {
  // cli-protocol.md §6.4: no token; the CLI sets `limit` and `offset` and nothing else.
  app.get<{ Params: LogParams; Querystring: { offset?: string; limit?: string } }>(
    '/_logs/:kind/:id/:expiry/:signature',
    { config: { auth: 'none' } },
    async (request, reply) => {
      const log = await logService.read(request.ctx, {
        ...request.params,
        offset: byteCount('offset', request.query.offset) ?? 0,
        limit: byteCount('limit', request.query.limit),
      });
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(log);
    },
  );

  for (const [path, selector] of Object.entries(PLAN_SELECTORS)) {
    // plans.mdx (and OpenAPI getPlanJSONSchema): 307 to a short-lived URL, 204 before the plan has finished.
    for (const [download, urlOf] of [
      ['json-output', phaseOutputService.jsonOutputUrl],
      ['json-schema', phaseOutputService.jsonSchemaUrl],
    ] as const) {
      app.get<{ Params: Record<string, string> }>(`${path}/${download}`, async (request, reply) => {
        const url = await urlOf(request.ctx, selector(request.params));
        return url ? reply.redirect(url, 307) : reply.code(204).send();
      });
    }
    // Plain JSON, not JSON:API (cli-protocol.md §6.5).
    app.get<{ Params: Record<string, string> }>(`${path}/json-output-redacted`, async (request, reply) => {
      const content = await phaseOutputService.redactedJsonOutput(request.ctx, selector(request.params));
      return content ? reply.type('application/json').send(content) : reply.code(204).send();
    });
  }

  // applies.mdx: 307 to a short-lived URL; 404 when terraform uploaded its state after all.
  app.get<{ Params: { id: string } }>('/api/v2/applies/:id/errored-state', async (request, reply) => {
    return reply.redirect(await phaseOutputService.erroredStateUrl(request.ctx, request.params.id), 307);
  });

  // Where those redirects lead; JSON all (a plan's JSON, provider schemas, a raw state file).
  for (const kind of ['plans', 'applies'] as const satisfies readonly PhaseKind[]) {
    app.get<{ Params: { id: string; name: string; expiry: string; signature: string } }>(
      `/_blobs/${kind}/:id/:name/:expiry/:signature`,
      { config: { auth: 'none' } },
      async (request, reply) => {
        const { id, name, expiry, signature } = request.params;
        return reply.type('application/json').send(await phaseOutputService.download(request.ctx, kind, id, name, expiry, signature));
      },
    );
  }
}
