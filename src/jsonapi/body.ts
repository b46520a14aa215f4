import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { BadRequestError, InvalidError } from '../errors.js';
import type { ResourceIdentifier } from './document.js';

/**
 * Input limits (README "Limits"). Every string attribute a request schema declares is at most
 * MAX_STRING_LENGTH characters unless the schema gives its own `maxLength`: names, keys, emails and
 * descriptions are checked here, before the database, whose b-tree indexes refuse entries over 2,704
 * bytes with a 500 (255 characters are at most 1,020 bytes in UTF-8, so two such columns fit one index
 * entry). Free text (descriptions, messages, comments) declares MAX_TEXT_LENGTH; values (variable
 * values, state) declare their own larger limits.
 */
export const MAX_STRING_LENGTH = 255;
/** Free text that no index holds: descriptions, run messages, comments, lock reasons, URLs and paths. */
export const MAX_TEXT_LENGTH = 4096;
/**
 * Every integer attribute without its own bounds fits a PostgreSQL `integer`: a larger one would fail
 * as a conversion error in the database. A `bigint` column declares `maximum: Number.MAX_SAFE_INTEGER`.
 */
export const MAX_INTEGER = 2 ** 31 - 1;

type Schema = Record<string | symbol, unknown>;

function isPlainObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy of `schema` (symbols kept: TypeBox's Kind) with the default limits on every string and number
 * that has none. parseAttributes applies it; a schema compiled elsewhere must too.
 */
export function withDefaultLimits<T extends TSchema>(schema: T): T {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isPlainObject(node)) return node;
    const copy: Schema = {};
    for (const key of Reflect.ownKeys(node)) copy[key] = visit(node[key]);
    if (copy.type === 'string' && copy.maxLength === undefined && copy.const === undefined) copy.maxLength = MAX_STRING_LENGTH;
    if (copy.type === 'integer' || copy.type === 'number') {
      copy.maximum ??= MAX_INTEGER;
      copy.minimum ??= -MAX_INTEGER - 1;
    }
    return copy;
  };
  return visit(schema) as T;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerFor<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(withDefaultLimits(schema));
    compiled.set(schema, check);
  }
  return check as unknown as TypeCheck<T>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LIMIT_ERRORS = new Set([
  ValueErrorType.StringMaxLength,
  ValueErrorType.IntegerMaximum,
  ValueErrorType.NumberMaximum,
  ValueErrorType.IntegerMinimum,
  ValueErrorType.NumberMinimum,
]);

/** A limit's failure in words; in a union (`string | null`), the member whose limit the value crossed. */
function describe(error: ValueError): string {
  const schema = error.schema as { maxLength?: number; maximum?: number; minimum?: number };
  switch (error.type) {
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${schema.maximum}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${schema.minimum}`;
    case ValueErrorType.Union: {
      const limit = error.errors.flatMap((members) => [...members]).find((e) => LIMIT_ERRORS.has(e.type));
      return limit ? describe(limit) : error.message;
    }
    default:
      return error.message;
  }
}

/**
 * Checks `value` against `schema` with the default limits (MAX_STRING_LENGTH, MAX_INTEGER): the first
 * failure is a 422 whose pointer is `pointer` followed by the failing path.
 * @example const { reason } = parseAttributes(body, Type.Object({ reason: Type.Optional(Type.String({ maxLength: MAX_TEXT_LENGTH })) }), '')
 */
export function parseAttributes<T extends TSchema>(value: unknown, schema: T, pointer: string): Static<T> {
  const first = checkerFor(schema).Errors(value).First();
  if (first)
    throw new InvalidError(`${first.path.slice(1) || pointer.split('/').pop() || 'attributes'}: ${describe(first)}`, { pointer: `${pointer}${first.path}` });
  return value as Static<T>;
}

const CommentBody = Type.Object({ comment: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])) });

/**
 * The optional `{"comment": …}` of the run actions (run.mdx) and the task stage override. The CLI
 * sends `{}` with its JSON:API media type; no body at all is fine too.
 */
export function parseCommentBody(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the request body must be a JSON object', { pointer: '' });
  return parseAttributes(body, CommentBody, '').comment ?? undefined;
}

/** A schema for one of `values` (string literals), e.g. an enumerated attribute. */
export const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** A resource id in a relationship (ids are short; a long one is refused before any lookup). */
const ResourceId = Type.String();

export interface ParsedResource<A> {
  id: string | undefined;
  attributes: A;
  relationships: Record<string, unknown>;
}

/**
 * Reads a request document `{ data: { type, attributes, relationships } }`.
 * Missing `data` or a wrong `type` → 400; attributes failing `schema` → 422 with a pointer.
 * @example const { attributes } = parseResourceBody(request.body, 'organizations', CreateOrganizationAttributes)
 */
export function parseResourceBody<T extends TObject>(
  body: unknown,
  type: string,
  schema: T,
  /** For endpoints whose documented sample payload has no `data.type`: a missing one is taken as `type`. */
  options: { typeMayBeMissing?: boolean } = {},
): ParsedResource<Static<T>> {
  if (!isObject(body) || !isObject(body.data)) throw new BadRequestError('the request must be a JSON:API document with a data object', { pointer: '/data' });
  const data = body.data;
  if (data.type !== type && !(options.typeMayBeMissing && data.type === undefined)) {
    throw new BadRequestError(`data.type must be "${type}"`, { pointer: '/data/type' });
  }
  const attributes = data.attributes ?? {};
  if (!isObject(attributes)) throw new InvalidError('attributes must be an object', { pointer: '/data/attributes' });
  parseAttributes(attributes, schema, '/data/attributes');
  const relationships = data.relationships ?? {};
  if (!isObject(relationships)) throw new InvalidError('relationships must be an object', { pointer: '/data/relationships' });
  return { id: typeof data.id === 'string' ? data.id : undefined, attributes: attributes as Static<T>, relationships };
}

/** A to-one relationship's linkage of the given type from a parsed body, or undefined when absent. */
export function relationshipId(relationships: Record<string, unknown>, name: string, type: string): string | undefined {
  const rel = relationships[name];
  if (rel === undefined) return undefined;
  const data = isObject(rel) ? rel.data : undefined;
  if (data === null) return undefined;
  const id = (data as Partial<ResourceIdentifier> | undefined)?.id;
  if (!isObject(data) || data.type !== type || typeof id !== 'string') {
    throw new InvalidError(`relationships.${name} must be {"data": {"type": "${type}", "id": …}}`, { pointer: `/data/relationships/${name}` });
  }
  return parseAttributes(id, ResourceId, `/data/relationships/${name}/data/id`);
}

/**
 * The items of a to-many document `{ "data": [{ "type": type, … }] }` at `pointer`, each with its own pointer.
 * As a whole request document (`wrongShape` 'bad-request') a wrong shape or type is a 400; inside a
 * resource's relationships ('invalid') it is a 422.
 * @example parseResourceArray(request.body, 'tag-bindings', '', 'bad-request') // items at /data/0, /data/1, …
 */
export function parseResourceArray(
  document: unknown,
  type: string,
  pointer: string,
  wrongShape: 'bad-request' | 'invalid',
): { item: Record<string, unknown>; pointer: string }[] {
  const fail = (message: string, at: string) =>
    wrongShape === 'bad-request' ? new BadRequestError(message, { pointer: at }) : new InvalidError(message, { pointer: at });
  const data = isObject(document) ? document.data : undefined;
  if (!Array.isArray(data)) throw fail(`must be {"data": [{"type": "${type}", …}]}`, `${pointer}/data`);
  return data.map((item: unknown, index) => {
    const at = `${pointer}/data/${index}`;
    if (!isObject(item) || item.type !== type) throw fail(`type must be "${type}"`, `${at}/type`);
    return { item, pointer: at };
  });
}

/** The ids of a to-many linkage `{ "data": [{ "type": type, "id": … }] }` (see parseResourceArray); a missing id is a 422. */
export function parseLinkageIds(document: unknown, type: string, pointer: string, wrongShape: 'bad-request' | 'invalid'): string[] {
  return parseResourceArray(document, type, pointer, wrongShape).map(({ item, pointer: at }) => {
    if (typeof item.id !== 'string') throw new InvalidError('id is required and must be a string', { pointer: `${at}/id` });
    return parseAttributes(item.id, ResourceId, `${at}/id`);
  });
}
