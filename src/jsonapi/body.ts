import type { Static, TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { BadRequestError, InvalidError } from '../errors.js';
import type { ResourceIdentifier } from './document.js';

const compiled = new WeakMap<TObject, TypeCheck<TObject>>();

function checkerFor<T extends TObject>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as unknown as TypeCheck<T>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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
export function parseResourceBody<T extends TObject>(body: unknown, type: string, schema: T): ParsedResource<Static<T>> {
  if (!isObject(body) || !isObject(body.data)) throw new BadRequestError('the request must be a JSON:API document with a data object', { pointer: '/data' });
  const data = body.data;
  if (data.type !== type) throw new BadRequestError(`data.type must be "${type}"`, { pointer: '/data/type' });
  const attributes = data.attributes ?? {};
  if (!isObject(attributes)) throw new InvalidError('attributes must be an object', { pointer: '/data/attributes' });
  const check = checkerFor(schema);
  const first = check.Errors(attributes).First();
  if (first) {
    throw new InvalidError(`${first.path.slice(1) || 'attributes'}: ${first.message}`, { pointer: `/data/attributes${first.path}` });
  }
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
  return id;
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
    return item.id;
  });
}
