import type { Expr, Location, Term } from './ast.js';
import type { BuiltinContext } from './builtins/index.js';
import type { CompiledPolicy, RuleNode } from './compiled.js';
import { RegoError } from './errors.js';
import { forEachEntry, lookup } from './eval-values.js';
import { equal, RegoObject, RegoSet, toRegoString, type Value } from './value.js';

/** Variable bindings of one rule evaluation (names are unique within a rule after compilation). */
export type Frame = Map<string, Value>;
/** A continuation: called once per solution; returning true stops the search (a solution suffices). */
export type Next = () => boolean;
export type NextValue = (value: Value) => boolean;

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
export interface Environment {
  input: Value | undefined;
  overrides: DataOverride[];
  mocks: Map<string, FunctionMock>;
  /** Values of rule tree nodes, valid for this environment only. */
  cache: Map<RuleNode, Value | undefined>;
}

export function conflict(message: string, loc?: Location): RegoError {
  return new RegoError('eval_conflict_error', message, loc);
}

/** The evaluator's state, unification and terms; documents under data (eval-data.ts), calls (eval-calls.ts) and bodies (eval.ts) build on it. */
export abstract class TermEvaluation {
  private steps = 0;
  protected depth = 0;
  protected env: Environment;
  readonly builtinContext: BuiltinContext;

  constructor(
    protected readonly policy: CompiledPolicy,
    input: Value | undefined,
    private readonly baseData: Value,
    protected readonly limits: EvalLimits,
  ) {
    this.env = { input, overrides: [], mocks: new Map(), cache: new Map() };
    this.builtinContext = { nowNs: BigInt(Date.now()) * 1000000n, cache: new Map() };
  }

  protected step(loc?: Location): void {
    if (++this.steps > this.limits.maxSteps) throw new RegoError('eval_limit_error', `evaluation exceeded the step budget of ${this.limits.maxSteps}`, loc);
  }

  // Defined by the subclasses: bodies (eval.ts), documents under data (eval-data.ts), calls (eval-calls.ts).
  abstract evalBody(body: Expr[], i: number, f: Frame, k: Next): boolean;
  protected abstract evalData(
    node: RuleNode | undefined,
    base: Value | undefined,
    nodePath: string[],
    path: Term[],
    i: number,
    f: Frame,
    k: NextValue,
  ): boolean;
  protected abstract evalCallArgs(term: Term & { type: 'call' }, args: Term[], f: Frame, k: NextValue): boolean;

  // ------------------------------------------------------------------------------------------
  // Unification

  /** True when `term` can be evaluated now: every variable in a pattern position is bound. */
  protected isGround(term: Term, f: Frame): boolean {
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

  protected unifyTerms(left: Term, right: Term, f: Frame, k: Next): boolean {
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

  protected evalTerms(terms: Term[], f: Frame, k: (values: Value[]) => boolean): boolean {
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
  protected walk(value: Value, path: Term[], i: number, f: Frame, k: NextValue): boolean {
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
}
