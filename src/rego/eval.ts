import type { Expr, Location, Term } from './ast.js';
import { type BuiltinContext, builtins } from './builtins/index.js';
import { type CompiledPolicy, type CompiledRule, compiledWith, type RuleNode } from './compiled.js';
import { BuiltinError, BuiltinUndefined, RegoError } from './errors.js';
import { equal, keyOf, RegoObject, RegoSet, toRegoString, type Value } from './value.js';

/** Variable bindings of one rule evaluation (names are unique within a rule after compilation). */
type Frame = Map<string, Value>;
/** A continuation: called once per solution; returning true stops the search (a solution suffices). */
type Next = () => boolean;
type NextValue = (value: Value) => boolean;

export interface EvalLimits {
  /** Evaluation steps (expressions and iterations) before the evaluation stops with an error. */
  maxSteps: number;
  /** Nested rule and function evaluations before the evaluation stops with an error. */
  maxDepth: number;
  /** Built-in errors stop the query instead of making the expression undefined. */
  strictBuiltinErrors: boolean;
}

interface DataOverride {
  path: string[];
  value: Value;
}

type FunctionMock = { kind: 'function'; name: string } | { kind: 'value'; value: Value };

/** What `with` changes; swapped in and out around the expression it modifies. */
interface Environment {
  input: Value | undefined;
  overrides: DataOverride[];
  mocks: Map<string, FunctionMock>;
  /** Values of rule tree nodes, valid for this environment only. */
  cache: Map<RuleNode, Value | undefined>;
}

const TRUE_TERM: Term = { type: 'scalar', value: true };

function isCollection(value: Value): value is Value[] | RegoObject | RegoSet {
  return Array.isArray(value) || value instanceof RegoObject || value instanceof RegoSet;
}

function lookup(value: Value | undefined, key: Value): Value | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < value.length ? value[key] : undefined;
  if (value instanceof RegoObject) return value.get(key);
  return value.has(key) ? key : undefined;
}

/** Calls `visit(key, value)` for each element; stops when it returns true. */
function forEachEntry(value: Value, visit: (key: Value, child: Value) => boolean): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (visit(i, value[i]!)) return true;
  } else if (value instanceof RegoObject) {
    for (const [k, v] of value.entries()) if (visit(k, v)) return true;
  } else if (value instanceof RegoSet) {
    for (const v of value.values()) if (visit(v, v)) return true;
  }
  return false;
}

function startsWith(path: string[], prefix: string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/** A copy of `target` with `value` stored at `path`, creating objects along the way. */
function upsert(target: Value | undefined, path: string[] | Value[], value: Value): Value {
  if (path.length === 0) return value;
  const obj = target instanceof RegoObject ? target.copy() : new RegoObject();
  const [head, ...rest] = path;
  obj.set(head!, upsert(obj.get(head!), rest, value));
  return obj;
}

/** Object containers built from rule heads, as opposed to values a rule produced (see insertLeaf). */
const containers = new WeakSet<RegoObject>();

function conflict(message: string, loc?: Location): RegoError {
  return new RegoError('eval_conflict_error', message, loc);
}

export class Evaluation {
  private steps = 0;
  private depth = 0;
  private env: Environment;
  private readonly inProgress = new Set<RuleNode>();
  private readonly functionsInProgress = new Set<string>();
  readonly builtinContext: BuiltinContext;

  constructor(
    private readonly policy: CompiledPolicy,
    input: Value | undefined,
    private readonly baseData: Value,
    private readonly limits: EvalLimits,
  ) {
    this.env = { input, overrides: [], mocks: new Map(), cache: new Map() };
    this.builtinContext = { nowNs: BigInt(Date.now()) * 1000000n, cache: new Map() };
  }

  private step(loc?: Location): void {
    if (++this.steps > this.limits.maxSteps) throw new RegoError('eval_limit_error', `evaluation exceeded the step budget of ${this.limits.maxSteps}`, loc);
  }

  // ------------------------------------------------------------------------------------------
  // Queries and bodies

  /** All solutions of a compiled query: for each, the value of every expression and the frame. */
  runQuery(body: Expr[], onSolution: (frame: Frame, values: Value[]) => void): void {
    const frame: Frame = new Map();
    const values: Value[] = body.map(() => true);
    const run = (i: number): boolean => {
      if (i === body.length) {
        onSolution(frame, values);
        return false;
      }
      const expr = body[i]!;
      if (expr.kind === 'term' && !expr.negated && expr.with.length === 0 && !this.callWithOutput(expr.term)) {
        this.step(expr.loc);
        return this.evalTerm(expr.term, frame, (v) => {
          if (v === false) return false;
          values[i] = v;
          return run(i + 1);
        });
      }
      return this.evalExpr(expr, frame, () => run(i + 1));
    };
    run(0);
  }

  evalBody(body: Expr[], i: number, f: Frame, k: Next): boolean {
    if (i === body.length) return k();
    return this.evalExpr(body[i]!, f, () => this.evalBody(body, i + 1, f, k));
  }

  private evalExpr(expr: Expr, f: Frame, k: Next): boolean {
    this.step(expr.loc);
    if (expr.with.length > 0) return this.evalWith(expr, f, k);
    if (expr.negated) {
      let found = false;
      this.evalPositive(expr, f, () => {
        found = true;
        return true;
      });
      return found ? false : k();
    }
    return this.evalPositive(expr, f, k);
  }

  private evalPositive(expr: Expr, f: Frame, k: Next): boolean {
    switch (expr.kind) {
      case 'term': {
        const term = expr.term;
        if (term.type === 'call') {
          const out = this.callWithOutput(term);
          if (out) return this.evalCallArgs(term, term.args.slice(0, -1), f, (result) => this.unifyValue(out, result, f, k));
        }
        return this.evalTerm(term, f, (v) => (v === false ? false : k()));
      }
      case 'unify':
        return this.unifyTerms(expr.left, expr.right, f, k);
      case 'somein':
        return this.evalTerm(expr.collection, f, (collection) =>
          forEachEntry(collection, (key, value) => {
            this.step(expr.loc);
            const bindValue = () => this.unifyValue(expr.value, value, f, k);
            return expr.key
              ? this.unifyValue(expr.key, Array.isArray(collection) || collection instanceof RegoObject ? key : value, f, bindValue)
              : bindValue();
          }),
        );
      case 'every':
        return this.evalTerm(expr.domain, f, (domain) => {
          if (!isCollection(domain)) return false;
          const failed = forEachEntry(domain, (key, value) => {
            this.step(expr.loc);
            let ok = false;
            const bindValue = () =>
              this.unifyValue(expr.value, value, f, () =>
                this.evalBody(expr.body, 0, f, () => {
                  ok = true;
                  return true;
                }),
              );
            if (expr.key) this.unifyValue(expr.key, key, f, bindValue);
            else bindValue();
            return !ok;
          });
          return failed ? false : k();
        });
      case 'some':
        return k();
    }
  }

  /** Runs `expr` with its `with` modifiers applied, and the rest of the body without them. */
  private evalWith(expr: Expr, f: Frame, k: Next): boolean {
    const modified: Environment = {
      input: this.env.input,
      overrides: [...this.env.overrides],
      mocks: new Map(this.env.mocks),
      cache: new Map(),
    };
    const apply = (i: number): boolean => {
      if (i === expr.with.length) {
        const outer = this.env;
        this.env = modified;
        try {
          const inner = { ...expr, with: [] };
          return this.evalExpr(inner, f, () => {
            const saved = this.env;
            this.env = outer;
            try {
              return k();
            } finally {
              this.env = saved;
            }
          });
        } finally {
          this.env = outer;
        }
      }
      const w = compiledWith(expr.with[i]!);
      if (w.functionName !== undefined) {
        const target = w.target.kind === 'function' ? w.target.name : ['data', ...(w.target as { path: string[] }).path].join('.');
        modified.mocks.set(target, { kind: 'function', name: w.functionName });
        return apply(i + 1);
      }
      return this.evalTerm(w.value, f, (value) => {
        const target = w.target;
        if (target.kind === 'input') modified.input = upsert(modified.input, target.path, value);
        else if (target.kind === 'function') modified.mocks.set(target.name, { kind: 'value', value });
        else {
          const node = this.nodeAt(target.path);
          if (node && node.functions.length > 0) modified.mocks.set(['data', ...target.path].join('.'), { kind: 'value', value });
          else modified.overrides = [...modified.overrides.filter((o) => !startsWith(o.path, target.path)), { path: target.path, value }];
        }
        return apply(i + 1);
      });
    };
    return apply(0);
  }

  private nodeAt(path: string[]): RuleNode | undefined {
    let node: RuleNode | undefined = this.policy.root;
    for (const p of path) node = node?.children.get(p);
    return node;
  }

  private callWithOutput(term: Term): Term | undefined {
    if (term.type !== 'call') return undefined;
    const arity = this.arityOf(term.name);
    return arity !== undefined && term.args.length === arity + 1 ? term.args[arity] : undefined;
  }

  private arityOf(name: string): number | undefined {
    if (name.startsWith('data.')) return this.policy.functionArity.get(name);
    return builtins.get(name)?.arity;
  }

  // ------------------------------------------------------------------------------------------
  // Unification

  /** True when `term` can be evaluated now: every variable in a pattern position is bound. */
  private isGround(term: Term, f: Frame): boolean {
    switch (term.type) {
      case 'var':
        return term.name === 'input' || term.name === 'data' || f.has(term.name);
      case 'array':
      case 'set':
        return term.items.every((t) => this.isGround(t, f));
      case 'object':
        return term.entries.every(([, v]) => this.isGround(v, f));
      default:
        return true;
    }
  }

  private unifyTerms(left: Term, right: Term, f: Frame, k: Next): boolean {
    if (this.isGround(left, f)) return this.evalTerm(left, f, (v) => this.unifyValue(right, v, f, k));
    if (this.isGround(right, f)) return this.evalTerm(right, f, (v) => this.unifyValue(left, v, f, k));
    if (left.type === 'array' && right.type === 'array' && left.items.length === right.items.length) {
      const go = (i: number): boolean => (i === left.items.length ? k() : this.unifyTerms(left.items[i]!, right.items[i]!, f, () => go(i + 1)));
      return go(0);
    }
    if (left.type === 'object' && right.type === 'object' && left.entries.length === right.entries.length) {
      const go = (i: number): boolean => {
        if (i === left.entries.length) return k();
        const [lk, lv] = left.entries[i]!;
        return this.evalTerm(lk, f, (key) => {
          const match = right.entries.find(([rk]) => rk.type === 'scalar' && equal(rk.value, key));
          if (!match) return false;
          return this.unifyTerms(lv, match[1], f, () => go(i + 1));
        });
      };
      return go(0);
    }
    throw new RegoError('rego_unsafe_var_error', 'unification of two unbound terms', left.loc);
  }

  /** Unifies a pattern with a value, binding the pattern's unbound variables. */
  unifyValue(pattern: Term, value: Value, f: Frame, k: Next): boolean {
    switch (pattern.type) {
      case 'var': {
        const name = pattern.name;
        if (name === 'input' || name === 'data') return this.evalTerm(pattern, f, (v) => equal(v, value) && k());
        const bound = f.get(name);
        if (bound !== undefined) return equal(bound, value) ? k() : false;
        f.set(name, value);
        try {
          return k();
        } finally {
          f.delete(name);
        }
      }
      case 'scalar':
        return equal(pattern.value, value) ? k() : false;
      case 'array': {
        if (!Array.isArray(value) || value.length !== pattern.items.length) return false;
        const go = (i: number): boolean => (i === value.length ? k() : this.unifyValue(pattern.items[i]!, value[i]!, f, () => go(i + 1)));
        return go(0);
      }
      case 'object': {
        if (!(value instanceof RegoObject) || value.size !== pattern.entries.length) return false;
        const go = (i: number): boolean => {
          if (i === pattern.entries.length) return k();
          const [kt, vt] = pattern.entries[i]!;
          return this.evalTerm(kt, f, (key) => {
            const child = value.get(key);
            return child === undefined ? false : this.unifyValue(vt, child, f, () => go(i + 1));
          });
        };
        return go(0);
      }
      default:
        return this.evalTerm(pattern, f, (v) => (equal(v, value) ? k() : false));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Terms

  evalTerm(term: Term, f: Frame, k: NextValue): boolean {
    switch (term.type) {
      case 'scalar':
        return k(term.value);
      case 'var': {
        if (term.name === 'input') return this.env.input === undefined ? false : k(this.env.input);
        if (term.name === 'data') return this.evalData(this.policy.root, this.baseData, [], [], 0, f, k);
        const value = f.get(term.name);
        if (value === undefined) throw new RegoError('rego_unsafe_var_error', `var ${term.name.replace(/\$\d+$/, '')} is unsafe`, term.loc);
        return k(value);
      }
      case 'ref':
        return this.evalRef(term, f, k);
      case 'array':
        return this.evalTerms(term.items, f, (items) => k(items));
      case 'set':
        return this.evalTerms(term.items, f, (items) => k(RegoSet.from(items)));
      case 'object': {
        const flat = term.entries.flat();
        return this.evalTerms(flat, f, (items) => {
          const obj = new RegoObject();
          for (let i = 0; i < items.length; i += 2) obj.set(items[i]!, items[i + 1]!);
          return k(obj);
        });
      }
      case 'arraycompr': {
        const out: Value[] = [];
        this.evalBody(term.body, 0, f, () =>
          this.evalTerm(term.term, f, (v) => {
            out.push(v);
            return false;
          }),
        );
        return k(out);
      }
      case 'setcompr': {
        const out = new RegoSet();
        this.evalBody(term.body, 0, f, () =>
          this.evalTerm(term.term, f, (v) => {
            out.add(v);
            return false;
          }),
        );
        return k(out);
      }
      case 'objectcompr': {
        const out = new RegoObject();
        this.evalBody(term.body, 0, f, () =>
          this.evalTerm(term.key, f, (key) =>
            this.evalTerm(term.value, f, (v) => {
              const existing = out.get(key);
              if (existing !== undefined && !equal(existing, v)) throw conflict('object keys must be unique', term.loc);
              out.set(key, v);
              return false;
            }),
          ),
        );
        return k(out);
      }
      case 'call':
        return this.evalCallArgs(term, term.args, f, k);
      case 'template':
        return this.evalTemplate(term.parts, f, k);
    }
  }

  private evalTemplate(parts: (string | Term)[], f: Frame, k: NextValue): boolean {
    let text = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        text += part;
        continue;
      }
      let value: Value | undefined;
      let count = 0;
      this.evalTerm(part, f, (v) => {
        value = v;
        count++;
        return false;
      });
      if (part.type === 'arraycompr' && part.single) {
        const values = value as Value[];
        count = values.length;
        value = values[0];
      }
      if (count > 1) throw new RegoError('eval_conflict_error', 'template expression produced multiple outputs', part.loc);
      text += value === undefined ? '<undefined>' : typeof value === 'string' ? value : toRegoString(value);
    }
    return k(text);
  }

  private evalTerms(terms: Term[], f: Frame, k: (values: Value[]) => boolean): boolean {
    const values: Value[] = new Array(terms.length);
    const go = (i: number): boolean => {
      if (i === terms.length) return k(values.slice());
      return this.evalTerm(terms[i]!, f, (v) => {
        values[i] = v;
        return go(i + 1);
      });
    };
    return go(0);
  }

  private evalRef(ref: Term & { type: 'ref' }, f: Frame, k: NextValue): boolean {
    const head = ref.head;
    if (head.type === 'var') {
      if (head.name === 'data') return this.evalData(this.policy.root, this.baseData, [], ref.path, 0, f, k);
      if (head.name === 'input') return this.env.input === undefined ? false : this.walk(this.env.input, ref.path, 0, f, k);
    }
    return this.evalTerm(head, f, (v) => this.walk(v, ref.path, 0, f, k));
  }

  /** Follows `path[i:]` into a value, iterating where a path element is an unbound variable. */
  private walk(value: Value, path: Term[], i: number, f: Frame, k: NextValue): boolean {
    if (i === path.length) return k(value);
    const elem = path[i]!;
    // The common case, `r.change.after`: a constant key, looked up without a continuation.
    if (elem.type === 'scalar') {
      const child = lookup(value, elem.value);
      return child === undefined ? false : this.walk(child, path, i + 1, f, k);
    }
    if (elem.type === 'var' && elem.name !== 'input' && elem.name !== 'data' && !f.has(elem.name)) {
      const name = elem.name;
      return forEachEntry(value, (key, child) => {
        this.step(elem.loc);
        f.set(name, key);
        try {
          return this.walk(child, path, i + 1, f, k);
        } finally {
          f.delete(name);
        }
      });
    }
    if (!this.isGround(elem, f)) {
      return forEachEntry(value, (key, child) => {
        this.step(elem.loc);
        return this.unifyValue(elem, key, f, () => this.walk(child, path, i + 1, f, k));
      });
    }
    return this.evalTerm(elem, f, (key) => {
      const child = lookup(value, key);
      return child === undefined ? false : this.walk(child, path, i + 1, f, k);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Documents under data: base data merged with the values of rules.

  private overrideAt(path: string[]): Value | undefined {
    for (const o of this.env.overrides) if (o.path.length === path.length && startsWith(path, o.path)) return o.value;
    return undefined;
  }

  private hasOverrideBelow(path: string[]): boolean {
    return this.env.overrides.some((o) => o.path.length > path.length && startsWith(o.path, path));
  }

  private applyOverridesBelow(value: Value | undefined, path: string[]): Value | undefined {
    let out = value;
    for (const o of this.env.overrides) {
      if (o.path.length > path.length && startsWith(o.path, path)) out = upsert(out, o.path.slice(path.length), o.value);
    }
    return out;
  }

  private evalData(node: RuleNode | undefined, base: Value | undefined, nodePath: string[], path: Term[], i: number, f: Frame, k: NextValue): boolean {
    const overridden = this.env.overrides.length > 0 ? this.overrideAt(nodePath) : undefined;
    if (overridden !== undefined) return this.walk(overridden, path, i, f, k);
    if (!node && (this.env.overrides.length === 0 || !this.hasOverrideBelow(nodePath)) && !(base instanceof RegoObject && i < path.length)) {
      return base === undefined ? false : this.walk(base, path, i, f, k);
    }
    if (node?.hasValueRules) {
      const value = this.nodeValue(node, base, nodePath);
      return value === undefined ? false : this.walk(value, path, i, f, k);
    }
    if (i === path.length) {
      const value = this.fullValue(node, base, nodePath);
      return value === undefined ? false : k(value);
    }
    const elem = path[i]!;
    const descend = (rawKey: Value): boolean => {
      // Base documents are stored under string keys: data.x[2] reads data.x["2"], as in OPA.
      const key = typeof rawKey === 'number' && Number.isInteger(rawKey) && lookup(base, rawKey) === undefined ? String(rawKey) : rawKey;
      if (typeof key !== 'string') {
        const child = lookup(base, key);
        return child === undefined ? false : this.walk(child, path, i + 1, f, k);
      }
      return this.evalData(node?.children.get(key), lookup(base, key), [...nodePath, key], path, i + 1, f, k);
    };
    if (this.isGround(elem, f)) return this.evalTerm(elem, f, descend);
    const keys = new Set<string>();
    if (node) for (const [name, child] of node.children) if (child.hasValueRules || child.children.size > 0 || child.isPackage) keys.add(name);
    const others: Value[] = [];
    if (base instanceof RegoObject) {
      for (const key of base.keys()) {
        if (typeof key === 'string') keys.add(key);
        else others.push(key);
      }
    } else if (base !== undefined && !node) return this.walk(base, path, i, f, k);
    for (const o of this.env.overrides) if (o.path.length > nodePath.length && startsWith(o.path, nodePath)) keys.add(o.path[nodePath.length]!);
    for (const key of [...[...keys].sort(), ...others]) {
      this.step(elem.loc);
      if (this.unifyValue(elem, key, f, () => descend(key))) return true;
    }
    return false;
  }

  /** The whole document at a node: base data with the values of the rules below merged in. */
  private fullValue(node: RuleNode | undefined, base: Value | undefined, nodePath: string[]): Value | undefined {
    const overridden = this.overrideAt(nodePath);
    if (overridden !== undefined) return overridden;
    if (!node) return this.applyOverridesBelow(base, nodePath);
    if (node.hasValueRules) return this.nodeValue(node, base, nodePath);
    if (this.env.cache.has(node)) return this.env.cache.get(node);
    const obj = base instanceof RegoObject ? base.copy() : new RegoObject();
    for (const [name, child] of node.children) {
      if (!child.hasValueRules && child.children.size === 0 && !child.isPackage) continue;
      const baseValue = lookup(base, name);
      // A rule over a base document's key leaves the base value in the whole document, as OPA does.
      if (child.hasValueRules && baseValue !== undefined && this.overrideAt([...nodePath, name]) === undefined) continue;
      const value = this.fullValue(child, baseValue, [...nodePath, name]);
      if (value !== undefined) obj.set(name, value);
    }
    const result = this.applyOverridesBelow(obj, nodePath);
    this.env.cache.set(node, result);
    return result;
  }

  /** The value the rules at a node define (with the rules below it merged in), cached per environment. */
  private nodeValue(node: RuleNode, base: Value | undefined, nodePath: string[]): Value | undefined {
    if (this.env.cache.has(node)) return this.env.cache.get(node);
    if (this.inProgress.has(node)) throw new RegoError('rego_recursion_error', `rule ${['data', ...nodePath].join('.')} is recursive`, node.rules[0]?.loc);
    this.inProgress.add(node);
    this.depth++;
    if (this.depth > this.limits.maxDepth)
      throw new RegoError('eval_limit_error', `evaluation exceeded the depth limit of ${this.limits.maxDepth}`, node.rules[0]?.loc);
    try {
      let value = this.computeNodeValue(node);
      if (node.children.size > 0) {
        const obj = value === undefined ? new RegoObject() : value;
        if (!(obj instanceof RegoObject)) throw conflict('object keys must be unique', node.rules[0]?.loc);
        if (value === undefined) containers.add(obj);
        this.mergeChildren(obj, node, lookup(base, ''), nodePath);
        value = obj;
      }
      value = this.applyOverridesBelow(value, nodePath);
      this.env.cache.set(node, value);
      return value;
    } finally {
      this.inProgress.delete(node);
      this.depth--;
    }
  }

  private mergeChildren(obj: RegoObject, node: RuleNode, _base: Value | undefined, nodePath: string[]): void {
    for (const [name, child] of node.children) {
      const childPath = [...nodePath, name];
      if (child.hasValueRules) {
        const value = this.nodeValue(child, undefined, childPath);
        if (value === undefined) continue;
        const existing = obj.get(name);
        if (existing === undefined) obj.set(name, value);
        else if (existing instanceof RegoSet && value instanceof RegoSet) for (const v of value.values()) existing.add(v);
        else if (existing instanceof RegoObject && containers.has(existing) && value instanceof RegoObject && containers.has(value)) {
          for (const [k, v] of value.entries()) insertLeaf(existing, [k], v, node.rules[0]?.loc);
        } else if (!equal(existing, value)) throw conflict('object keys must be unique', child.rules[0]?.loc);
      } else if (child.children.size > 0) {
        let existing = obj.get(name);
        if (existing === undefined) {
          existing = new RegoObject();
          containers.add(existing);
          obj.set(name, existing);
        }
        if (!(existing instanceof RegoObject) || !containers.has(existing)) throw conflict('object keys must be unique', node.rules[0]?.loc);
        this.mergeChildren(existing, child, undefined, childPath);
      }
    }
  }

  private computeNodeValue(node: RuleNode): Value | undefined {
    const complete = node.rules.filter((r) => r.kind === 'complete');
    const sets = node.rules.filter((r) => r.kind === 'set');
    const objects = node.rules.filter((r) => r.kind === 'object');
    if (complete.length > 0) {
      let result: Value | undefined;
      for (const rule of complete) {
        this.evalRule(rule, (_keys, value) => {
          if (result === undefined) result = value;
          else if (!equal(result, value)) throw conflict('complete rules must not produce multiple outputs', rule.loc);
          return false;
        });
      }
      if (result === undefined) result = this.defaultValue(node);
      return result;
    }
    if (sets.length > 0 && objects.length === 0) {
      const out = new RegoSet();
      for (const rule of sets) {
        this.evalRule(rule, (_keys, value) => {
          out.add(value);
          return false;
        });
      }
      return out;
    }
    if (objects.length > 0 || sets.length > 0) {
      const out = new RegoObject();
      containers.add(out);
      for (const rule of objects) {
        this.evalRule(rule, (keys, value) => {
          if (rule.member) insertMember(out, keys, value, rule.loc);
          else insertLeaf(out, keys, value, rule.loc);
          return false;
        });
      }
      if (sets.length > 0) throw conflict('object keys must be unique', sets[0]!.loc);
      return out;
    }
    return this.defaultValue(node);
  }

  private defaultValue(node: RuleNode): Value | undefined {
    const rule = node.defaults.find((d) => d.kind !== 'function');
    if (!rule) return undefined;
    let value: Value | undefined;
    this.evalTerm(rule.value, new Map(), (v) => {
      value = v;
      return true;
    });
    return value;
  }

  /**
   * Evaluates a rule (trying its `else` alternatives when the body has no solution) and emits
   * its key path and value (or set member) for each solution.
   */
  private evalRule(rule: CompiledRule, emit: (keys: Value[], value: Value) => boolean, frame: Frame = new Map()): boolean {
    // A complete rule with a constant value needs one solution only: more cannot conflict.
    const produce = (valueTerm: Term, f: Frame): boolean =>
      this.evalTerms(rule.keyPath, f, (keys) =>
        this.evalTerm(rule.member ?? valueTerm, f, (value) => emit(keys, value) || (rule.kind === 'complete' && valueTerm.type === 'scalar')),
      );
    let found = false;
    const stopped = this.evalBody(rule.body, 0, frame, () => {
      found = true;
      return produce(rule.value, frame);
    });
    if (found || stopped) return stopped;
    for (const alternative of rule.elses) {
      let elseFound = false;
      const elseStopped = this.evalBody(alternative.body, 0, frame, () => {
        elseFound = true;
        return produce(alternative.value ?? TRUE_TERM, frame);
      });
      if (elseFound || elseStopped) return elseStopped;
    }
    return false;
  }

  // ------------------------------------------------------------------------------------------
  // Calls

  private evalCallArgs(term: Term & { type: 'call' }, args: Term[], f: Frame, k: NextValue): boolean {
    // An argument may need a variable another argument's ref binds (`x == xs[x]`): those go last.
    const waiting = args.filter((a) => !this.isGround(a, f));
    if (waiting.length === 0) return this.evalTerms(args, f, (values) => this.call(term.name, values, term.loc, k));
    const order = [...args.filter((a) => this.isGround(a, f)), ...waiting];
    return this.evalTerms(order, f, (values) => {
      const byTerm = new Map(order.map((t, i) => [t, values[i]!]));
      return this.call(
        term.name,
        args.map((a) => byTerm.get(a)!),
        term.loc,
        k,
      );
    });
  }

  private call(name: string, args: Value[], loc: Location | undefined, k: NextValue): boolean {
    const mock = this.env.mocks.get(name);
    if (mock) {
      if (mock.kind === 'value') return k(mock.value);
      const saved = this.env;
      // The replacement runs without mocks, as in OPA: g calling f reaches the real f, and a
      // replacement never calls another replacement.
      this.env = { ...saved, mocks: new Map(), cache: new Map() };
      try {
        return this.call(mock.name, args, loc, (v) => {
          const inner = this.env;
          this.env = saved;
          try {
            return k(v);
          } finally {
            this.env = inner;
          }
        });
      } finally {
        this.env = saved;
      }
    }
    if (name.startsWith('data.')) {
      const value = this.callFunction(name, args, loc);
      return value === undefined ? false : k(value);
    }
    const builtin = builtins.get(name);
    if (!builtin) throw new RegoError('rego_type_error', `undefined function ${name}`, loc);
    if (builtin.arity >= 0 && args.length !== builtin.arity) {
      throw new RegoError('rego_type_error', `${name}: arity mismatch`, loc);
    }
    let result: Value | undefined;
    try {
      result = builtin.fn(args, this.builtinContext);
    } catch (err) {
      if (err instanceof BuiltinUndefined) return false;
      if (err instanceof BuiltinError) {
        if (!this.limits.strictBuiltinErrors) return false;
        throw new RegoError(err.typeError ? 'eval_type_error' : 'eval_builtin_error', `${name}: ${err.message}`, loc);
      }
      if (err instanceof RegoError) throw err;
      if (err instanceof RangeError || err instanceof TypeError) {
        if (!this.limits.strictBuiltinErrors) return false;
        throw new RegoError('eval_builtin_error', `${name}: ${err.message}`, loc);
      }
      throw err;
    }
    if (result === undefined) return false;
    if (builtin.relation) {
      for (const v of result as Value[]) if (k(v)) return true;
      return false;
    }
    return k(result);
  }

  private callFunction(name: string, args: Value[], loc: Location | undefined): Value | undefined {
    const node = this.nodeAt(name.split('.').slice(1));
    if (!node || (node.functions.length === 0 && !node.defaults.some((d) => d.kind === 'function'))) {
      throw new RegoError('rego_type_error', `undefined function ${name}`, loc);
    }
    if (this.functionsInProgress.has(name)) throw new RegoError('rego_recursion_error', `function ${name} is recursive`, loc);
    this.functionsInProgress.add(name);
    this.depth++;
    if (this.depth > this.limits.maxDepth) throw new RegoError('eval_limit_error', `evaluation exceeded the depth limit of ${this.limits.maxDepth}`, loc);
    try {
      let result: Value | undefined;
      for (const rule of node.functions) {
        if (rule.args.length !== args.length) continue;
        const frame: Frame = new Map();
        const bindArgs = (i: number): boolean =>
          i === args.length
            ? this.evalRule(
                rule,
                (_keys, value) => {
                  if (result === undefined) result = value;
                  else if (!equal(result, value)) throw conflict('functions must not produce multiple outputs for same inputs', rule.loc);
                  return false;
                },
                frame,
              )
            : this.unifyValue(rule.args[i]!, args[i]!, frame, () => bindArgs(i + 1));
        bindArgs(0);
      }
      if (result === undefined) {
        const fallback = node.defaults.find((d) => d.kind === 'function');
        if (fallback)
          this.evalTerm(fallback.value, new Map(), (v) => {
            result = v;
            return true;
          });
      }
      return result;
    } finally {
      this.functionsInProgress.delete(name);
      this.depth--;
    }
  }
}

/** The object that holds the last of `keys`, creating the objects on the way; a non-object on the way conflicts. */
function parentOf(root: RegoObject, keys: Value[], loc?: Location): RegoObject {
  let current = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!;
    let next = current.get(key);
    if (next === undefined) {
      next = new RegoObject();
      containers.add(next);
      current.set(key, next);
    } else if (!(next instanceof RegoObject) || !containers.has(next)) throw conflict('object keys must be unique', loc);
    current = next;
  }
  return current;
}

/** Stores a rule's value under `keys` in an object built from rule heads; different values conflict. */
function insertLeaf(root: RegoObject, keys: Value[], value: Value, loc?: Location): void {
  const current = parentOf(root, keys, loc);
  const last = keys[keys.length - 1]!;
  const existing = current.get(last);
  if (existing === undefined) current.set(last, value);
  else if (existing instanceof RegoObject && containers.has(existing)) {
    if (!(value instanceof RegoObject) || !containers.has(value)) throw conflict('object keys must be unique', loc);
  } else if (!equal(existing, value)) throw conflict('object keys must be unique', loc);
}

function insertMember(root: RegoObject, keys: Value[], member: Value, loc?: Location): void {
  const current = parentOf(root, keys, loc);
  const last = keys[keys.length - 1]!;
  let set = current.get(last);
  if (set === undefined) {
    set = new RegoSet();
    current.set(last, set);
  }
  if (!(set instanceof RegoSet)) throw conflict('object keys must be unique', loc);
  set.add(member);
}

export { keyOf };
