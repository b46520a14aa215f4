import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mapPgError } from '../db/pg-errors.js';
import {
  BadRequestError,
  DomainError,
  InvalidError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../errors.js';
import { JSONAPI_MEDIA_TYPE } from './document.js';
import type { RouteTable } from './route-table.js';

interface ErrorObject {
  status: string;
  title: string;
  detail?: string;
  source?: { pointer: string } | { parameter: string };
}

export function errorDocument(status: number, title: string, detail?: string, source?: ErrorObject['source']): { errors: ErrorObject[] } {
  return { errors: [{ status: String(status), title, ...(detail ? { detail } : {}), ...(source ? { source } : {}) }] };
}

/** A status Fastify or Node gives a client error, as the catalogue's error of that status (400 for the rest). */
function clientError(status: number, message: string): DomainError {
  switch (status) {
    case 404:
      return new NotFoundError(message);
    case 413:
      return new PayloadTooLargeError('the request body is larger than the limit');
    case 415:
      return new UnsupportedMediaTypeError(`unsupported content type; send ${JSONAPI_MEDIA_TYPE}`);
    default:
      return new BadRequestError(message);
  }
}

/** A JSON pointer's last segment as the key it names (`/page[size]` → `page[size]`, `~1` → `/`). */
const keyOf = (pointer: string) => pointer.replace(/^\//, '').replaceAll('~1', '/').replaceAll('~0', '~');

/**
 * A failed schema (Fastify's `error.validation`, first error): a body's as a 422 with a pointer; a
 * query or path parameter's as a 422 naming the parameter, or a 400 when a single-valued parameter was
 * given twice (Fastify parses `a=1&a=2` to an array, which the schema's type refuses).
 */
function fromValidation(err: FastifyError, request: FastifyRequest | undefined): DomainError {
  const first = err.validation?.[0];
  const path = first?.instancePath ?? '';
  if (err.validationContext === 'body') return new InvalidError(`body${path} ${first?.message ?? 'is invalid'}`, { pointer: path || '/' });
  const name = keyOf(path) || String(first?.params.missingProperty ?? err.validationContext ?? 'request');
  const given = err.validationContext === 'querystring' ? (request?.query as Record<string, unknown> | undefined)?.[name] : undefined;
  if (Array.isArray(given)) return new BadRequestError(`query parameter ${name} must be given once`, { parameter: name });
  const allowed = first?.keyword === 'enum' ? (first.params.allowedValues as unknown[]) : undefined;
  return new InvalidError(`${name} ${allowed ? `must be one of ${allowed.join(', ')}` : (first?.message ?? 'is invalid')}`, { parameter: name });
}

/** Fastify's own errors (bad JSON, body too large, bad media type, bad URL) as domain errors; a 5xx stays unknown. */
function fromFastifyError(err: FastifyError, request?: FastifyRequest): DomainError | undefined {
  if (err.validation) return fromValidation(err, request);
  if (err.code === 'FST_ERR_BAD_URL') return new BadRequestError('the URL is not valid (bad percent-encoding)');
  return err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? clientError(err.statusCode, err.message) : undefined;
}

function sendError(reply: FastifyReply, error: DomainError): FastifyReply {
  const status = error.status;
  if (error instanceof MethodNotAllowedError) reply.header('allow', error.allowed.join(', '));
  // JSON:API error bodies for the API; the same shape elsewhere keeps clients' decoding simple. As bytes:
  // Fastify appends a charset parameter (which JSON:API forbids) to a JSON type for an object or a
  // string, and errors before routing pass no onSend hook that would take it off.
  const body = Buffer.from(JSON.stringify(errorDocument(status, error.title, error.message, error.source)));
  return reply.code(status).type(JSONAPI_MEDIA_TYPE).send(body);
}

/**
 * Errors Fastify answers before routing (a URL that does not decode: FST_ERR_BAD_URL), as JSON:API
 * documents like any other; pass it as Fastify's `frameworkErrors` option.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, fromFastifyError(err) ?? new BadRequestError(err.message));
}

/**
 * The one error path: domain, database and Fastify errors become JSON:API errors; anything else a logged
 * 500. A path no route has is a 404; a path that exists with other methods a 405 listing them in `Allow`.
 */
export function registerErrorHandling(app: FastifyInstance, routes: RouteTable): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = err instanceof DomainError ? err : (mapPgError(err) ?? fromFastifyError(err, request));
    if (known) return sendError(reply, known);
    request.log.error({ err }, 'unhandled error');
    return reply
      .code(500)
      .type(JSONAPI_MEDIA_TYPE)
      .send(errorDocument(500, 'internal error', `request id ${request.id}`));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] as string;
    const allowed = routes.allowedMethods(path);
    // A path whose route refused it (a parameter over Fastify's length limit) is not found, not a 405.
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return sendError(reply, new MethodNotAllowedError(`${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, allowed));
    }
    return sendError(reply, new NotFoundError(`no route for ${request.method} ${path}`));
  });
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
