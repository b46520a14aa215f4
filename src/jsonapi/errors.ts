import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mapPgError } from '../db/pg-errors.js';
import { BadRequestError, DomainError, InvalidError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import { JSONAPI_MEDIA_TYPE } from './document.js';

interface ErrorObject {
  status: string;
  title: string;
  detail?: string;
  source?: { pointer: string } | { parameter: string };
}

export function errorDocument(status: number, title: string, detail?: string, source?: ErrorObject['source']): { errors: ErrorObject[] } {
  return { errors: [{ status: String(status), title, ...(detail ? { detail } : {}), ...(source ? { source } : {}) }] };
}

/** Fastify's own client errors (bad JSON, body too large, bad media type) as domain errors. */
function fromFastifyError(err: FastifyError): DomainError | undefined {
  if (err.validation) {
    const first = err.validation[0];
    const path = first?.instancePath ?? '';
    const where = err.validationContext === 'body' ? { pointer: path || '/' } : { parameter: path.replace(/^\//, '') || (err.validationContext ?? '') };
    return new InvalidError(`${err.validationContext ?? 'request'}${path} ${first?.message ?? 'is invalid'}`, where);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError('the request body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BadRequestError(`unsupported content type; send ${JSONAPI_MEDIA_TYPE}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BadRequestError(err.message);
    default:
      return err.statusCode && err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 404 ? new BadRequestError(err.message) : undefined;
  }
}

function sendError(reply: FastifyReply, error: DomainError): FastifyReply {
  const status = error.status;
  // JSON:API error bodies for the API; the same shape elsewhere keeps clients' decoding simple.
  return reply.code(status).type(JSONAPI_MEDIA_TYPE).send(errorDocument(status, error.title, error.message, error.source));
}

/** The one error path: domain, database and Fastify errors become JSON:API errors; anything else a logged 500. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = err instanceof DomainError ? err : (mapPgError(err) ?? fromFastifyError(err));
    if (known) return sendError(reply, known);
    request.log.error({ err }, 'unhandled error');
    return reply
      .code(500)
      .type(JSONAPI_MEDIA_TYPE)
      .send(errorDocument(500, 'internal error', `request id ${request.id}`));
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new NotFoundError(`no route for ${request.method} ${request.url.split('?')[0]}`)));
}

/**
 * JSON bodies for `application/json` and `application/vnd.api+json`. The CLI sends the JSON:API media
 * type with an empty body on unlock and DELETE (cli-protocol.md §2.1), so an empty body parses to undefined.
 */
export function registerJsonParsers(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', JSONAPI_MEDIA_TYPE], { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new BadRequestError('the request body is not valid JSON'), undefined);
    }
  });
}
