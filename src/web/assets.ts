import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { SETTINGS_STYLESHEET, STYLESHEET } from './stylesheet.js';

const packages = createRequire(import.meta.url);

/**
 * The web UI's only static files, read once at start-up from the installed packages (no CDN, no client
 * build): htmx, its Server-Sent Events extension, and the stylesheet.
 */
function loadAssets(): Map<string, { body: Buffer; type: string }> {
  return new Map([
    ['htmx.min.js', { body: readFileSync(packages.resolve('htmx.org/dist/htmx.min.js')), type: 'text/javascript; charset=utf-8' }],
    ['htmx-sse.js', { body: readFileSync(packages.resolve('htmx-ext-sse/sse.js')), type: 'text/javascript; charset=utf-8' }],
    ['terrace.css', { body: Buffer.from(STYLESHEET + SETTINGS_STYLESHEET), type: 'text/css; charset=utf-8' }],
  ]);
}

export async function webAssetRoutes(app: FastifyInstance): Promise<void> {
  const assets = loadAssets();
  app.get<{ Params: { file: string } }>('/_assets/:file', async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) return reply.callNotFound();
    // An hour: a new release's files reach browsers the same day.
    return reply.headers({ 'content-type': asset.type, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).send(asset.body);
  });
}
