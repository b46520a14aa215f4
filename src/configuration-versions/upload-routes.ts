import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import * as uploadService from './upload-service.js';

interface SignedParams {
  id: string;
  expiry: string;
  signature: string;
}

/**
 * The `upload-url` of a configuration version. Encapsulated: any content type reaches the handler as
 * the raw request stream (the CLI sends application/octet-stream, curl users anything), so no body is
 * parsed or buffered; the blob store enforces TERRACE_MAX_CONFIGURATION_BYTES while streaming.
 */
export async function uploadRoutes(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.put<{ Params: SignedParams }>('/_blobs/configuration-versions/:id/upload/:expiry/:signature', { config: { auth: 'none' } }, async (request, reply) => {
    const ctx = request.ctx;
    const { id, expiry, signature } = request.params;
    uploadService.verify(ctx, id, expiry, signature);
    if (Number(request.headers['content-length']) > ctx.config.maxConfigurationBytes) {
      // Refused before reading: the connection closes rather than draining the body.
      reply.header('connection', 'close');
      throw new PayloadTooLargeError(`the upload is larger than the limit of ${ctx.config.maxConfigurationBytes} bytes`);
    }
    const body = request.body === undefined ? Readable.from([]) : request.body;
    if (!(body instanceof Readable)) throw new BadRequestError('the upload must be the raw .tar.gz');
    try {
      await uploadService.upload(ctx, id, body);
    } catch (err) {
      // Whatever of the body is left unread is not worth draining.
      if (!body.readableEnded) reply.header('connection', 'close');
      throw err;
    }
    return reply.code(200).send();
  });
}
