/** array.concat, array.slice, array.reverse, object.* and walk: built-ins over arrays and objects. */
import { BuiltinError } from '../errors.js';
import { equal, RegoObject, RegoSet, typeName, type Value } from '../value.js';
import { arr, int, obj, operandError, register } from './registry.js';

// Arrays.
register('array.concat', 2, (args) => [...arr(args, 0), ...arr(args, 1)]);
register('array.slice', 3, (args) => {
  const a = arr(args, 0);
  let start = int(args, 1);
  let stop = int(args, 2);
  if (start < 0) start = 0;
  if (stop > a.length) stop = a.length;
  if (start >= stop) return [];
  return a.slice(start, stop);
});
register('array.reverse', 1, (args) => [...arr(args, 0)].reverse());

// Objects.
register('object.get', 3, (args) => {
  const o = args[0]!;
  if (!(o instanceof RegoObject)) throw operandError(1, 'object', o);
  const key = args[1]!;
  const fallback = args[2]!;
  if (Array.isArray(key)) {
    let current: Value = o;
    for (const k of key) {
      let next: Value | undefined;
      if (current instanceof RegoObject) next = current.get(k);
      else if (Array.isArray(current)) next = typeof k === 'number' && Number.isInteger(k) ? current[k] : undefined;
      else if (current instanceof RegoSet) next = current.has(k) ? k : undefined;
      if (next === undefined) return fallback;
      current = next;
    }
    return current;
  }
  return o.get(key) ?? fallback;
});
register('object.keys', 1, (args) => RegoSet.from(obj(args, 0).keys()));

function keysOf(args: Value[], i: number): Value[] {
  const v = args[i]!;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.values();
  if (v instanceof RegoObject) return v.keys();
  throw new BuiltinError(`operand ${i + 1} must be one of {object, set, array} but got ${typeName(v)}`, true);
}

register('object.remove', 2, (args) => {
  const o = obj(args, 0);
  const remove = new RegoSet();
  for (const k of keysOf(args, 1)) remove.add(k);
  return RegoObject.from(o.entries().filter(([k]) => !remove.has(k)));
});
register('object.filter', 2, (args) => {
  const o = obj(args, 0);
  const keep = new RegoSet();
  for (const k of keysOf(args, 1)) keep.add(k);
  return RegoObject.from(o.entries().filter(([k]) => keep.has(k)));
});

function mergeObjects(a: RegoObject, b: RegoObject): RegoObject {
  const out = a.copy();
  for (const [k, v] of b.entries()) {
    const existing = out.get(k);
    if (existing instanceof RegoObject && v instanceof RegoObject) out.set(k, mergeObjects(existing, v));
    else out.set(k, v);
  }
  return out;
}

register('object.union', 2, (args) => mergeObjects(obj(args, 0), obj(args, 1)));
register('object.union_n', 1, (args) => {
  let out = new RegoObject();
  for (const o of arr(args, 0)) {
    if (!(o instanceof RegoObject)) throw operandError(1, 'array of objects', args[0]!);
    out = mergeObjects(out, o);
  }
  return out;
});

function isSubset(sup: Value, sub: Value): boolean {
  if (sup instanceof RegoObject && sub instanceof RegoObject) {
    return sub.entries().every(([k, v]) => {
      const other = sup.get(k);
      if (other === undefined) return false;
      if (other instanceof RegoObject && v instanceof RegoObject) return isSubset(other, v);
      if ((other instanceof RegoSet || Array.isArray(other)) && (v instanceof RegoSet || Array.isArray(v))) return isSubset(other, v);
      return equal(other, v);
    });
  }
  if (sup instanceof RegoSet && sub instanceof RegoSet) return sub.values().every((v) => sup.has(v));
  if (Array.isArray(sup) && sub instanceof RegoSet) return sub.values().every((v) => sup.some((x) => equal(x, v)));
  if (Array.isArray(sup) && Array.isArray(sub)) {
    if (sub.length === 0) return true;
    for (let i = 0; i + sub.length <= sup.length; i++) {
      if (sub.every((v, j) => equal(sup[i + j]!, v))) return true;
    }
    return false;
  }
  return equal(sup, sub);
}

register('object.subset', 2, ([sup, sub]) => {
  const ok = (v: Value) => v instanceof RegoObject || v instanceof RegoSet || Array.isArray(v);
  if (!ok(sup!)) throw operandError(1, 'one of {object, set, array}', sup!);
  if (!ok(sub!)) throw operandError(2, 'one of {object, set, array}', sub!);
  if (sup instanceof RegoObject !== sub instanceof RegoObject) {
    throw new BuiltinError('both arguments object.subset must be of the same type or array and set', true);
  }
  if (sup instanceof RegoSet && Array.isArray(sub)) throw new BuiltinError('both arguments object.subset must be of the same type or array and set', true);
  return isSubset(sup!, sub!);
});

/** walk(x): every [path, value] pair in x, x itself first. */
register(
  'walk',
  1,
  ([root]) => {
    const out: Value[] = [];
    const visit = (path: Value[], value: Value) => {
      out.push([path, value]);
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) visit([...path, i], value[i]!);
      else if (value instanceof RegoObject) for (const [k, v] of value.entries()) visit([...path, k], v);
      else if (value instanceof RegoSet) for (const v of value.values()) visit([...path, v], v);
    };
    visit([], root!);
    return out;
  },
  true,
);
