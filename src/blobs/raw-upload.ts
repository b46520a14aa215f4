import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';

/** One PUT that takes its body as the raw request stream. */
export interface RawUpload<P> {
  path: string;
  /** What the body is, for the 400 when it is not a stream: "the raw .tar.gz". */
  what: string;
  /** A declared length over this is refused (413) before any byte is read. */
  maxBytes?: (ctx: Ctx) => number;
  /** Checks that come before the size: a bad signature is a 404 whatever the body. */
  verify?: (request: FastifyRequest<{ Params: P }>) => void;
  handle: (request: FastifyRequest<{ Params: P }>, body: Readable) => Promise<void>;
}

/** The parameters of a signed `/_blobs/…` URL: what it is for, until when, and its signature. */
export interface SignedParams {
  id: string;
  expiry: string;
  signature: string;
}

/**
 * A configuration .tar.gz (of a registry module version, a module test, a policy set version) at a
 * signed upload URL, refused over TERRACE_MAX_CONFIGURATION_BYTES; `upload` checks the signature.
 */
export function signedTarballUpload(
  path: string,
  upload: (ctx: Ctx, id: string, expiry: string, signature: string, body: Readable) => Promise<unknown>,
): RawUpload<SignedParams> {
  return {
    path,
    what: 'the raw .tar.gz',
    maxBytes: (ctx) => ctx.config.maxConfigurationBytes,
    handle: async (request, body) => {
      await upload(request.ctx, request.params.id, request.params.expiry, request.params.signature, body);
    },
  };
}

/**
 * Registers raw uploads (upload URLs of configuration versions, state, registry and policy content).
 * Encapsulated: any content type reaches the handler as the request stream (go-tfe and the CLI send
 * application/octet-stream, curl users anything), so no body is parsed or buffered here; the handler
 * streams it and its store enforces the limit. A body left unread after a failure is not drained:
 * the connection closes instead. Paths outside /api/v2 (the signed `/_blobs/…` URLs) ask for no token:
 * their signature is the authorization.
 */
export function rawUploads<P>(uploads: readonly RawUpload<P>[]): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    for (const upload of uploads) {
      app.put<{ Params: P }>(upload.path, async (request, reply) => {
        upload.verify?.(request);
        const limit = upload.maxBytes?.(request.ctx);
        if (limit !== undefined && Number(request.headers['content-length']) > limit) {
          reply.header('connection', 'close');
          throw new PayloadTooLargeError(`the upload is larger than the limit of ${limit} bytes`);
        }
        const body = request.body === undefined ? Readable.from([]) : request.body;
        if (!(body instanceof Readable)) throw new BadRequestError(`the upload must be ${upload.what}`);
        try {
          await upload.handle(request, body);
        } catch (err) {
          if (!body.readableEnded) reply.header('connection', 'close');
          throw err;
        }
        return reply.code(200).send();
      });
    }
  };
}
