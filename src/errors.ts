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

/** 400: the request document itself is malformed (bad JSON, wrong `type`, missing `data`). */
export class BadRequestError extends DomainError {
  readonly status = 400;
  readonly title = 'bad request';
}

/** 401: missing, unknown or expired token. Only the authentication hook raises it. */
export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly title = 'unauthorized';
}

/** 403: only where the spec says a visible resource refuses the action; 404 is the default. */
export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly title = 'forbidden';
}

/** 404: unknown, or not visible to the caller (spec seeds/000 "Response Codes"). */
export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly title = 'not found';
}

/** 405: the path exists, not with this method; the error handler adds the `Allow` header. */
export class MethodNotAllowedError extends DomainError {
  readonly status = 405;
  readonly title = 'method not allowed';
  constructor(
    message: string,
    /** The methods the path allows. */
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

/** 409: the request conflicts with the current state (duplicate name, lock held, …). */
export class ConflictError extends DomainError {
  readonly status = 409;
  readonly title = 'conflict';
}

/** 412: the resource is not in a state that allows the action yet (a state upload still pending). */
export class PreconditionFailedError extends DomainError {
  readonly status = 412;
  readonly title = 'precondition failed';
}

/** 413: the request body is larger than the limit. */
export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly title = 'payload too large';
}

/** 415: a request body in a media type the endpoint does not read. */
export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly title = 'unsupported media type';
}

/** 422: a well-formed document with invalid attributes. */
export class InvalidError extends DomainError {
  readonly status = 422;
  readonly title = 'invalid attribute';
}

/** 429: rate limit reached. */
export class RateLimitedError extends DomainError {
  readonly status = 429;
  readonly title = 'Too many requests';
}

/** 503: not ready yet; the CLI retries outputs whose error text contains the lowercase "service unavailable" (cli-protocol.md §5.5). */
export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
  readonly title = 'service unavailable';
}
