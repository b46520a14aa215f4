import type { FastifyInstance } from 'fastify';
import { rawUploads } from '../blobs/raw-upload.js';
import { NotFoundError } from '../errors.js';
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
 * The capability URLs of state content: the upload streams the raw body (the blob store enforces
 * TERRACE_MAX_STATE_BYTES while it arrives), the download serves the stored content.
 */
export async function stateUploadRoutes(app: FastifyInstance): Promise<void> {
  await app.register(
    rawUploads<SignedParams>([
      {
        path: '/_blobs/state-versions/:id/:kind/upload/:expiry/:signature',
        what: 'the raw content',
        verify: (request) => signedRequest(request.params),
        maxBytes: (ctx) => ctx.config.maxStateBytes,
        handle: (request, body) => uploadService.upload(request.ctx, signedRequest(request.params), body),
      },
    ]),
  );

  app.get<{ Params: SignedParams }>('/_blobs/state-versions/:id/:kind/:expiry/:signature', { config: { auth: 'none' } }, async (request, reply) => {
    const { content, size } = await uploadService.download(request.ctx, signedRequest(request.params));
    // The raw state is what `terraform state pull` prints; the CLI asks for application/json (cli-protocol.md §5.1).
    return reply.type('application/json').header('content-length', String(size)).send(content);
  });
}
