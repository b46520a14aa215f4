import type { FastifyInstance } from 'fastify';
import { rawUploads, type SignedParams } from '../blobs/raw-upload.js';
import * as uploadService from './upload-service.js';

/**
 * The `upload-url` of a configuration version: the raw .tar.gz, streamed; the blob store enforces
 * TERRACE_MAX_CONFIGURATION_BYTES while it arrives.
 */
export async function uploadRoutes(app: FastifyInstance): Promise<void> {
  await app.register(
    rawUploads<SignedParams>([
      {
        path: '/_blobs/configuration-versions/:id/upload/:expiry/:signature',
        what: 'the raw .tar.gz',
        verify: (request) => uploadService.verify(request.ctx, request.params.id, request.params.expiry, request.params.signature),
        maxBytes: (ctx) => ctx.config.maxConfigurationBytes,
        handle: async (request, body) => {
          await uploadService.upload(request.ctx, request.params.id, body);
        },
      },
    ]),
  );
}
