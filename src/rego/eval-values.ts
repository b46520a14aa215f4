/** Helpers over values for the evaluator: lookup by key, iteration over entries, paths and writes along them. */
import { RegoObject, RegoSet, type Value } from './value.js';

export function isCollection(value: Value): value is Value[] | RegoObject | RegoSet {
  return Array.isArray(value) || value instanceof RegoObject || value instanceof RegoSet;
}

export function lookup(value: Value | undefined, key: Value): Value | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < value.length ? value[key] : undefined;
  if (value instanceof RegoObject) return value.get(key);
  return value.has(key) ? key : undefined;
}

/** Calls `visit(key, value)` for each element; stops when it returns true. */
export function forEachEntry(value: Value, visit: (key: Value, child: Value) => boolean): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (visit(i, value[i]!)) return true;
  } else if (value instanceof RegoObject) {
    for (const [k, v] of value.entries()) if (visit(k, v)) return true;
  } else if (value instanceof RegoSet) {
    for (const v of value.values()) if (visit(v, v)) return true;
  }
  return false;
}

export function startsWith(path: string[], prefix: string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/** A copy of `target` with `value` stored at `path`, creating objects along the way. */
export function upsert(target: Value | undefined, path: string[] | Value[], value: Value): Value {
  if (path.length === 0) return value;
  const obj = target instanceof RegoObject ? target.copy() : new RegoObject();
  const [head, ...rest] = path;
  obj.set(head!, upsert(obj.get(head!), rest, value));
  return obj;
}
