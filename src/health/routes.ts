import type { FastifyInstance } from 'fastify';
import { readiness } from './service.js';

/**
 * Probes for load balancers and orchestrators, without a token and outside the JSON:API (plain
 * JSON): `/healthz` says the process serves HTTP, `/readyz` whether it can do its work (README "Health").
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { auth: 'none' } }, async (_request, reply) => reply.type('application/json').send({ status: 'ok' }));

  app.get('/readyz', { config: { auth: 'none' } }, async (request, reply) => {
    const checks = await readiness(request.ctx);
    const ready = checks.every((c) => c.ok);
    return reply
      .code(ready ? 200 : 503)
      .type('application/json')
      .send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
