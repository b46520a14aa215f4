import type { Location, Term } from './ast.js';
import type { CompiledRule, RuleNode } from './compiled.js';
import { RegoError } from './errors.js';
import { conflict, type Frame, type NextValue, TermEvaluation } from './eval-terms.js';
import { lookup, startsWith, upsert } from './eval-values.js';
import { equal, RegoObject, RegoSet, type Value } from './value.js';

const TRUE_TERM: Term = { type: 'scalar', value: true };

/** Object containers built from rule heads, as opposed to values a rule produced (see insertLeaf). */
const containers = new WeakSet<RegoObject>();

/** Documents under data: base data merged with the values of rules, and `with` overrides of them. */
export abstract class DataEvaluation extends TermEvaluation {
  private readonly inProgress = new Set<RuleNode>();

  protected nodeAt(path: string[]): RuleNode | undefined {
    let node: RuleNode | undefined = this.policy.root;
    for (const p of path) node = node?.children.get(p);
    return node;
  }

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

  protected evalData(node: RuleNode | undefined, base: Value | undefined, nodePath: string[], path: Term[], i: number, f: Frame, k: NextValue): boolean {
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
  protected evalRule(rule: CompiledRule, emit: (keys: Value[], value: Value) => boolean, frame: Frame = new Map()): boolean {
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
