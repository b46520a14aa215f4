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
