/**
 * What every Terrace log line goes through, besides the redaction of headers and named secrets.
 * An error is logged by an allow-list of fields: database errors carry the statement's parameters
 * (PGlite's `params`: token hashes, variable values) and the offending values (`detail`: "Key
 * (name)=(…) already exists"), which must never reach a log; the statement itself (`query`, with
 * `$1` placeholders) is its shape and stays. Every string is capped, so no line grows past a few
 * kilobytes whatever a request sent.
 */

/** Longest string field of a log line; longer ones are cut and marked. */
export const MAX_LOG_STRING_LENGTH = 2000;
/** Deepest nesting of a logged object that is written out. */
const MAX_LOG_DEPTH = 4;
/** Most entries of one logged object or array that are written out. */
const MAX_LOG_ENTRIES = 50;

/** The fields of an error that tell what failed without carrying data. */
const ERROR_FIELDS = ['code', 'statusCode', 'constraint', 'table', 'column', 'routine', 'query'] as const;

function cap(text: string): string {
  return text.length <= MAX_LOG_STRING_LENGTH ? text : `${text.slice(0, MAX_LOG_STRING_LENGTH)}… (${text.length} characters)`;
}

function capValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cap(value);
  if (Array.isArray(value)) return depth >= MAX_LOG_DEPTH ? '[array]' : value.slice(0, MAX_LOG_ENTRIES).map((v) => capValue(v, depth + 1));
  // Errors, requests and replies are left to their serializers.
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value;
  if (depth >= MAX_LOG_DEPTH) return '[object]';
  const entries = Object.entries(value).slice(0, MAX_LOG_ENTRIES);
  return Object.fromEntries(entries.map(([k, v]) => [k, capValue(v, depth + 1)]));
}

/** An error as pino writes it: type, message, stack, and the allow-listed fields. */
export interface LoggedError {
  type: string;
  message: string;
  stack: string;
  [field: string]: unknown;
}

/** An error as logged: type, message, stack and the allow-listed fields, each capped; its cause the same way. */
export function serializeError(err: unknown, depth = 0): LoggedError {
  if (!(err instanceof Error)) return { type: typeof err, message: cap(String(err)), stack: '' };
  const out: LoggedError = { type: err.constructor.name, message: cap(err.message), stack: cap(err.stack ?? '') };
  const fields = err as unknown as Record<string, unknown>;
  for (const name of ERROR_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string') out[name] = cap(value);
    else if (typeof value === 'number') out[name] = value;
  }
  if (err.cause !== undefined && depth < 2) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/**
 * Pino options for every Terrace logger: pass them with the level and destination.
 * @example Fastify({ logger: { level: 'info', ...LOG_OPTIONS } })
 */
export const LOG_OPTIONS = {
  /** No token or secret reaches a log. */
  redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.secret'],
  serializers: { err: (err: unknown) => serializeError(err) },
  // Runs before the serializers: errors are left to `err`, everything else is capped here.
  formatters: { log: (object: Record<string, unknown>) => capValue(object, 0) as Record<string, unknown> },
};
