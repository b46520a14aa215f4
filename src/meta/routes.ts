import type { FastifyInstance } from 'fastify';

/**
 * `GET /api/meta/ip-ranges` (ip-ranges.mdx): without a token, plain JSON. HashiCorp's own ranges mean
 * nothing here (spec README); Terrace publishes its configured ones (TERRACE_IP_RANGES), which serve
 * the API and are where its notifications and VCS requests come from. It runs no Sentinel.
 */
export async function metaRoutes(app: FastifyInstance): Promise<void> {
  // The ranges are read once with the configuration: they last changed when this server started.
  // HTTP dates have whole seconds.
  const lastModified = new Date(Math.floor(Date.now() / 1000) * 1000);

  app.get('/api/meta/ip-ranges', { config: { auth: 'none' } }, async (request, reply) => {
    reply.header('last-modified', lastModified.toUTCString());
    // An unreadable date is ignored, as HTTP says (RFC 9110 §13.1.3).
    const since = Date.parse(request.headers['if-modified-since'] ?? '');
    if (!Number.isNaN(since) && since >= lastModified.getTime()) return reply.code(304).send();
    const ranges = request.ctx.config.ipRanges;
    return reply.type('application/json').send({ api: ranges, notifications: ranges, sentinel: [], vcs: ranges });
  });
}
