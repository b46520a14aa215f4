import type { FastifyInstance } from 'fastify';
import { API_VERSION_HEADERS, DISCOVERY_DOCUMENT } from './document.js';

export async function discoveryRoutes(app: FastifyInstance): Promise<void> {
  app.get('/.well-known/terraform.json', { config: { auth: 'none' } }, async (_request, reply) =>
    // Exactly application/json: the CLI rejects the JSON:API media type here (cli-protocol.md §1).
    reply.type('application/json; charset=utf-8').send(DISCOVERY_DOCUMENT),
  );

  // The CLI reads only the headers; status and body are ignored, so a token is optional.
  app.get('/api/v2/ping', { config: { auth: 'optional' } }, async (_request, reply) => reply.headers(API_VERSION_HEADERS).code(204).send());
}
