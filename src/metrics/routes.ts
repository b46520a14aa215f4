import type { FastifyInstance } from 'fastify';
import { secretsEqual } from '../auth/secrets.js';
import { NotFoundError } from '../errors.js';

/**
 * `GET /metrics`, Prometheus text format, outside the JSON:API. It says how busy the server is and how
 * many runs each status holds, so it is not public: it answers only the bearer token of
 * TERRACE_METRICS_TOKEN (compared in constant time), and without that setting it is off (404).
 */
export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/metrics', { config: { auth: 'none' } }, async (request, reply) => {
    const expected = request.ctx.config.metricsToken;
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (expected === undefined) throw new NotFoundError('metrics are off: set TERRACE_METRICS_TOKEN');
    if (!secretsEqual(given, expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain').send('a valid metrics token is required\n');
    }
    return reply.type(app.metrics.registry.contentType).send(await app.metrics.registry.metrics());
  });
}
