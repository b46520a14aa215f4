import type { Expr, Location, Term, WithModifier } from './ast.js';

/** A rule after compilation: names resolved, bodies ordered so each variable is bound before use. */
export interface CompiledRule {
  kind: 'complete' | 'set' | 'object' | 'function';
  /** The part of the head ref after the node path: the keys of an object rule. */
  keyPath: Term[];
  /** Set rules and object rules with a set leaf (`p[x] contains y`). */
  member?: Term;
  value: Term;
  args: Term[];
  body: Expr[];
  elses: { value: Term; body: Expr[] }[];
  isDefault: boolean;
  loc: Location;
  /** The node path as text, for messages. */
  name: string;
}

/** A node of the tree of rules under `data`: a package, a rule, or a ref-head prefix. */
export class RuleNode {
  readonly children = new Map<string, RuleNode>();
  readonly rules: CompiledRule[] = [];
  readonly functions: CompiledRule[] = [];
  readonly defaults: CompiledRule[] = [];
  /** A package: its document exists (an empty object at least) even without rules. */
  isPackage = false;

  constructor(readonly path: string[]) {}

  child(name: string): RuleNode {
    let node = this.children.get(name);
    if (!node) {
      node = new RuleNode([...this.path, name]);
      this.children.set(name, node);
    }
    return node;
  }

  get hasValueRules(): boolean {
    return this.rules.length > 0 || this.defaults.some((d) => d.kind !== 'function');
  }
}

/** A resolved `with` target. */
export type WithTarget = { kind: 'input'; path: string[] } | { kind: 'data'; path: string[] } | { kind: 'function'; name: string };

export interface CompiledWith {
  target: WithTarget;
  value: Term;
  /** When the value names a function (`with f as g`), that function's resolved name. */
  functionName?: string;
}

/** Each resolved `with` modifier's target and value, set by the resolver. */
export const compiledWiths = new WeakMap<WithModifier, CompiledWith>();

export function compiledWith(modifier: WithModifier): CompiledWith {
  return compiledWiths.get(modifier)!;
}

export interface CompiledPolicy {
  root: RuleNode;
  /** Arity of each user function by its full name (`data.pkg.f`). */
  functionArity: Map<string, number>;
}

export interface CompiledQuery {
  body: Expr[];
  /** The variables whose bindings a result reports, in order of appearance. */
  vars: string[];
}
