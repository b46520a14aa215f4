/**
 * The error catalogue. Each class carries its HTTP status; the one error handler in
 * `jsonapi/errors.ts` turns any of them into a JSON:API error document.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  constructor(
    message: string,
    /** Where the problem is: a JSON pointer into the request document (`/data/attributes/name`) or a query parameter. */
    readonly source?: { pointer: string } | { parameter: string },
  ) {
    super(message);
  }
}

/** A DomainError class whose errors answer with `status` and `title`. */
function domainError<Status extends number>(status: Status, title: string) {
  return class extends DomainError {
    readonly status = status;
    readonly title = title;
  };
}

/** 400: the request document itself is malformed (bad JSON, wrong `type`, missing `data`). */
export class BadRequestError extends domainError(400, 'bad request') {}

/** 401: missing, unknown or expired token. Only the authentication hook raises it. */
export class UnauthorizedError extends domainError(401, 'unauthorized') {}

/** 403: only where the spec says a visible resource refuses the action; 404 is the default. */
export class ForbiddenError extends domainError(403, 'forbidden') {}

/** 404: unknown, or not visible to the caller (spec seeds/000 "Response Codes"). */
export class NotFoundError extends domainError(404, 'not found') {}

/** 405: the path exists, not with this method; the error handler adds the `Allow` header. */
export class MethodNotAllowedError extends domainError(405, 'method not allowed') {
  constructor(
    message: string,
    /** The methods the path allows. */
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

/** 409: the request conflicts with the current state (duplicate name, lock held, …). */
export class ConflictError extends domainError(409, 'conflict') {}

/** 412: the resource is not in a state that allows the action yet (a state upload still pending). */
export class PreconditionFailedError extends domainError(412, 'precondition failed') {}

/** 413: the request body is larger than the limit. */
export class PayloadTooLargeError extends domainError(413, 'payload too large') {}

/** 415: a request body in a media type the endpoint does not read. */
export class UnsupportedMediaTypeError extends domainError(415, 'unsupported media type') {}

/** 422: a well-formed document with invalid attributes. */
export class InvalidError extends domainError(422, 'invalid attribute') {}

/** 429: rate limit reached. */
export class RateLimitedError extends domainError(429, 'Too many requests') {}

/** 503: not ready yet; the CLI retries outputs whose error text contains the lowercase "service unavailable" (cli-protocol.md §5.5). */
export class ServiceUnavailableError extends domainError(503, 'service unavailable') {}
