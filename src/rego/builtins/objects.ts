/** json.filter, json.remove, json.patch, array.flatten, crypto hashes and semver. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BuiltinError } from '../errors.js';
import { equal, keyOf, RegoObject, RegoSet, typeName, type Value } from '../value.js';
import { arr, obj, operandError, register, str } from './registry.js';

/** Paths given as "a/b/c" strings or ["a", "b"] arrays, as json.filter and json.remove take them. */
function jsonPaths(args: Value[], i: number): Value[][] {
  const v = args[i]!;
  const list = Array.isArray(v) ? v : v instanceof RegoSet ? v.values() : undefined;
  if (!list) throw new BuiltinError(`operand ${i + 1} must be one of {set, array} but got ${typeName(v)}`, true);
  return list.map((p) => {
    if (typeof p === 'string')
      return p
        .replace(/^\//, '')
        .split('/')
        .filter((seg, _i, all) => !(seg === '' && all.length === 1))
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (Array.isArray(p)) return p;
    throw new BuiltinError(`operand ${i + 1} must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`, true);
  });
}

function childOf(value: Value, key: Value): Value | undefined {
  if (value instanceof RegoObject) return value.get(key);
  if (Array.isArray(value)) {
    const idx = typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
    return typeof idx === 'number' ? value[idx] : undefined;
  }
  if (value instanceof RegoSet) return value.has(key) ? key : undefined;
  return undefined;
}

/** A tree of path segments: a leaf (empty map) means "the whole value from here". */
type PathTree = Map<string, { key: Value; children: PathTree }>;

function pathTree(paths: Value[][]): PathTree {
  const root: PathTree = new Map();
  for (const path of paths) {
    let node = root;
    let leafAbove = false;
    for (const seg of path) {
      const k = JSON.stringify(seg);
      let next = node.get(k);
      if (!next) {
        next = { key: seg, children: new Map() };
        node.set(k, next);
      } else if (next.children.size === 0 && path.length > 0) {
        leafAbove = true;
        break;
      }
      node = next.children;
    }
    if (!leafAbove) node.clear();
  }
  return root;
}

function filterValue(value: Value, tree: PathTree): Value | undefined {
  if (tree.size === 0) return value;
  if (value instanceof RegoObject) {
    const out = new RegoObject();
    for (const { key, children } of tree.values()) {
      const child = value.get(key);
      if (child === undefined) continue;
      const filtered = filterValue(child, children);
      if (filtered !== undefined) out.set(key, filtered);
    }
    return out;
  }
  if (Array.isArray(value)) {
    const out: Value[] = [];
    const wanted = [...tree.values()].map(({ key, children }) => ({
      idx: typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key,
      children,
    }));
    value.forEach((item, i) => {
      const match = wanted.find((w) => w.idx === i);
      if (match) {
        const filtered = filterValue(item, match.children);
        if (filtered !== undefined) out.push(filtered);
      }
    });
    return out;
  }
  if (value instanceof RegoSet) {
    const out = new RegoSet();
    for (const { key, children } of tree.values()) if (value.has(key)) out.add(filterValue(key, children) ?? key);
    return out;
  }
  return value;
}

function removeValue(value: Value, tree: PathTree): Value | undefined {
  if (tree.size === 0) return undefined;
  if (value instanceof RegoObject) {
    const out = new RegoObject();
    for (const [k, v] of value.entries()) {
      const node = tree.get(JSON.stringify(k));
      if (!node) out.set(k, v);
      else {
        const rest = removeValue(v, node.children);
        if (rest !== undefined) out.set(k, rest);
      }
    }
    return out;
  }
  if (Array.isArray(value)) {
    const out: Value[] = [];
    value.forEach((item, i) => {
      const node = tree.get(JSON.stringify(String(i))) ?? tree.get(JSON.stringify(i));
      if (!node) out.push(item);
      else {
        const rest = removeValue(item, node.children);
        if (rest !== undefined) out.push(rest);
      }
    });
    return out;
  }
  if (value instanceof RegoSet) {
    const out = new RegoSet();
    for (const v of value.values()) {
      const node = tree.get(JSON.stringify(v));
      if (!node) out.add(v);
      else {
        const rest = removeValue(v, node.children);
        if (rest !== undefined) out.add(rest);
      }
    }
    return out;
  }
  return value;
}

register('json.filter', 2, (args) => {
  const paths = jsonPaths(args, 1);
  if (paths.length === 0) return new RegoObject();
  return filterValue(obj(args, 0), pathTree(paths)) ?? new RegoObject();
});
register('json.remove', 2, (args) => {
  const paths = jsonPaths(args, 1);
  if (paths.length === 0) return obj(args, 0);
  return removeValue(obj(args, 0), pathTree(paths)) ?? new RegoObject();
});

/** RFC 6902 patches. */
register('json.patch', 2, (args) => {
  let doc: Value = args[0]!;
  const parsePointer = (p: Value): Value[] => {
    if (Array.isArray(p)) return p;
    if (typeof p !== 'string') throw new BuiltinError('invalid patch path');
    if (p === '') return [];
    return p
      .replace(/^\//, '')
      .split('/')
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  };
  const get = (root: Value, path: Value[]): Value | undefined => {
    let cur: Value | undefined = root;
    for (const seg of path) {
      if (cur === undefined) return undefined;
      cur = childOf(cur, seg);
    }
    return cur;
  };
  const update = (root: Value, path: Value[], fn: (parent: Value, key: Value) => Value): Value => {
    if (path.length === 0) throw new BuiltinError('invalid patch path');
    const [head, ...rest] = path;
    if (rest.length === 0) return fn(root, head!);
    const child = childOf(root, head!);
    if (child === undefined) throw new BuiltinError('patch path does not exist');
    const updated = update(child, rest, fn);
    return setChild(root, head!, updated, false);
  };
  const setChild = (parent: Value, key: Value, v: Value, insert: boolean): Value => {
    if (parent instanceof RegoObject) {
      const out = parent.copy();
      out.set(key, v);
      return out;
    }
    if (Array.isArray(parent)) {
      const idx = key === '-' ? parent.length : typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
      if (typeof idx !== 'number' || idx < 0 || idx > parent.length || (!insert && idx === parent.length)) throw new BuiltinError('patch index out of bounds');
      const out = [...parent];
      if (insert) out.splice(idx, 0, v);
      else out[idx] = v;
      return out;
    }
    if (parent instanceof RegoSet) {
      // A member is its own key: the one at `key` gives way to the new one.
      const out = RegoSet.from(parent.values().filter((m) => !equal(m, key)));
      out.add(v);
      return out;
    }
    throw new BuiltinError('patch target is not a collection');
  };
  /** `add` (and the target of copy and move): into a set only a member equal to its key. */
  const addAt = (p: Value, k: Value, v: Value): Value => {
    if (p instanceof RegoSet && !equal(k, v)) throw new BuiltinError('a set member must equal its key');
    return setChild(p, k, v, Array.isArray(p));
  };
  const remove = (parent: Value, key: Value): Value => {
    if (parent instanceof RegoObject) {
      if (parent.get(key) === undefined) throw new BuiltinError('patch path does not exist');
      const out = parent.copy();
      out.delete(key);
      return out;
    }
    if (Array.isArray(parent)) {
      const idx = typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
      if (typeof idx !== 'number' || idx >= parent.length) throw new BuiltinError('patch index out of bounds');
      return parent.filter((_, i) => i !== idx);
    }
    if (parent instanceof RegoSet) return RegoSet.from(parent.values().filter((v) => !equal(v, key)));
    throw new BuiltinError('patch target is not a collection');
  };
  for (const patch of arr(args, 1)) {
    if (!(patch instanceof RegoObject)) throw operandError(2, 'array of objects', args[1]!);
    const op = patch.get('op');
    const path = parsePointer(patch.get('path') ?? null);
    const value = patch.get('value');
    switch (op) {
      case 'add':
        if (value === undefined) throw new BuiltinError('missing value');
        doc = path.length === 0 ? value : update(doc, path, (p, k) => addAt(p, k, value));
        break;
      case 'remove':
        doc = update(doc, path, remove);
        break;
      case 'replace':
        if (value === undefined) throw new BuiltinError('missing value');
        if (get(doc, path) === undefined) throw new BuiltinError('patch path does not exist');
        doc = path.length === 0 ? value : update(doc, path, (p, k) => setChild(p, k, value, false));
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(patch.get('from') ?? null);
        const moved = get(doc, from);
        if (moved === undefined) throw new BuiltinError('patch from path does not exist');
        if (op === 'move') doc = update(doc, from, remove);
        doc = path.length === 0 ? moved : update(doc, path, (p, k) => addAt(p, k, moved));
        break;
      }
      case 'test':
        if (value === undefined || !equal(get(doc, path) ?? null, value) || get(doc, path) === undefined) return undefined;
        break;
      default:
        throw new BuiltinError(`invalid patch operation ${String(op)}`);
    }
  }
  return doc;
});

register('array.flatten', 1, (args) => {
  const out: Value[] = [];
  for (const v of arr(args, 0)) {
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
});

for (const [name, algorithm] of [
  ['crypto.md5', 'md5'],
  ['crypto.sha1', 'sha1'],
  ['crypto.sha256', 'sha256'],
] as const) {
  register(name, 1, (args) => createHash(algorithm).update(str(args, 0), 'utf8').digest('hex'));
}
for (const [name, algorithm] of [
  ['crypto.hmac.md5', 'md5'],
  ['crypto.hmac.sha1', 'sha1'],
  ['crypto.hmac.sha256', 'sha256'],
  ['crypto.hmac.sha512', 'sha512'],
] as const) {
  register(name, 2, (args) =>
    createHmac(algorithm, Buffer.from(str(args, 1), 'utf8'))
      .update(str(args, 0), 'utf8')
      .digest('hex'),
  );
}
register('crypto.hmac.equal', 2, (args) => {
  const a = Buffer.from(str(args, 0), 'utf8');
  const b = Buffer.from(str(args, 1), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
});

// Semantic versions (semver.org 2.0.0).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

function parseSemver(v: string, operand: number): RegExpExecArray {
  const m = SEMVER.exec(v);
  if (!m) throw new BuiltinError(`operand ${operand}: string ${JSON.stringify(v)} is not a valid SemVer`);
  return m;
}

register('semver.is_valid', 1, ([v]) => typeof v === 'string' && SEMVER.test(v));
register('semver.compare', 2, (args) => {
  const a = parseSemver(str(args, 0), 1);
  const b = parseSemver(str(args, 1), 2);
  for (let i = 1; i <= 3; i++) {
    const d = BigInt(a[i]!) - BigInt(b[i]!);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  const pa = a[4];
  const pb = b[4];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const xa = pa.split('.');
  const xb = pb.split('.');
  for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
    const x = xa[i]!;
    const y = xb[i]!;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = BigInt(x) - BigInt(y);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (nx !== ny) return nx ? -1 : 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return xa.length === xb.length ? 0 : xa.length < xb.length ? -1 : 1;
});

/** The neighbours of a graph node: an array or set of node names; anything else has none. */
function edgesOf(graph: RegoObject, node: Value): Value[] | undefined {
  const edges = graph.get(node);
  if (edges === undefined) return undefined;
  if (Array.isArray(edges)) return edges;
  if (edges instanceof RegoSet) return edges.values();
  return [];
}

function initialNodes(args: Value[]): Value[] {
  const v = args[1]!;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.values();
  throw operandError(2, 'one of {set, array}', v);
}

register('graph.reachable', 2, (args) => {
  const graph = obj(args, 0);
  const queue = [...initialNodes(args)];
  const reached = new RegoSet();
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (reached.has(node)) continue;
    const edges = edgesOf(graph, node);
    if (edges === undefined) continue;
    reached.add(node);
    queue.push(...edges);
  }
  return reached;
});

register('graph.reachable_paths', 2, (args) => {
  const graph = obj(args, 0);
  const results = new RegoSet();
  // Depth first from each neighbour of an initial node, with one set of reached nodes per such walk
  // (as OPA's pathBuilder shares it): a path ends at a node without edges, before a node outside the
  // graph, or before a node the walk reached already.
  const build = (node: Value, path: Value[], reached: Set<string>): void => {
    const edges = edgesOf(graph, node);
    if (edges === undefined) {
      results.add(path);
      return;
    }
    const extended = [...path, node];
    if (edges.length === 0) {
      results.add(extended);
      return;
    }
    reached.add(keyOf(node));
    for (const next of edges) {
      if (reached.has(keyOf(next))) results.add(extended);
      else build(next, extended, reached);
    }
  };
  for (const node of initialNodes(args)) {
    const edges = edgesOf(graph, node);
    if (edges === undefined) continue;
    if (edges.length === 0) results.add([node]);
    for (const next of edges) build(next, [node], new Set([keyOf(node)]));
  }
  return results;
});
