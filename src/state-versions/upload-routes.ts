import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BadRequestError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import * as uploadService from './upload-service.js';

interface SignedParams {
  id: string;
  kind: string;
  expiry: string;
  signature: string;
}

function signedRequest(params: SignedParams): uploadService.SignedRequest {
  if (params.kind !== 'state' && params.kind !== 'json-state') throw new NotFoundError('not found');
  return { stateVersionId: params.id, kind: params.kind, expiry: params.expiry, signature: params.signature };
}

/**
 * The capability URLs of state content. Encapsulated: any content type reaches the upload handler as
 * the raw request stream (go-tfe sends application/octet-stream, curl users often JSON), so no body
 * is ever parsed or buffered here; the blob store enforces TERRACE_MAX_STATE_BYTES while streaming.
 */
export async function stateUploadRoutes(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.put<{ Params: SignedParams }>('/_blobs/state-versions/:id/:kind/upload/:expiry/:signature', { config: { auth: 'none' } }, async (request, reply) => {
    const target = signedRequest(request.params);
    const declared = Number(request.headers['content-length']);
    if (declared > request.ctx.config.maxStateBytes) {
      // Refused before reading: the connection closes rather than draining the body.
      reply.header('connection', 'close');
      throw new PayloadTooLargeError(`the upload is larger than the limit of ${request.ctx.config.maxStateBytes} bytes`);
    }
    const body = request.body === undefined ? Readable.from([]) : (request.body as Readable);
    if (!(body instanceof Readable)) throw new BadRequestError('the upload must be the raw content');
    try {
      await uploadService.upload(request.ctx, target, body);
    } catch (err) {
      // Whatever of the body is left unread is not worth draining.
      if (!body.readableEnded) reply.header('connection', 'close');
      throw err;
    }
    return reply.code(200).send();
  });

  app.get<{ Params: SignedParams }>('/_blobs/state-versions/:id/:kind/:expiry/:signature', { config: { auth: 'none' } }, async (request, reply) => {
    const { content, size } = await uploadService.download(request.ctx, signedRequest(request.params));
    // The raw state is what `terraform state pull` prints; the CLI asks for application/json (cli-protocol.md §5.1).
    return reply.type('application/json').header('content-length', String(size)).send(content);
  });
}
