import type { Location, Term } from './ast.js';
import { builtins } from './builtins/index.js';
import { BuiltinError, BuiltinUndefined, RegoError } from './errors.js';
import { DataEvaluation } from './eval-data.js';
import { conflict, type Frame, type NextValue } from './eval-terms.js';
import { equal, type Value } from './value.js';

/** Calls of built-ins and user functions, and their `with` replacements. */
export abstract class CallEvaluation extends DataEvaluation {
  private readonly functionsInProgress = new Set<string>();

  protected callWithOutput(term: Term): Term | undefined {
    if (term.type !== 'call') return undefined;
    const arity = this.arityOf(term.name);
    return arity !== undefined && term.args.length === arity + 1 ? term.args[arity] : undefined;
  }

  private arityOf(name: string): number | undefined {
    if (name.startsWith('data.')) return this.policy.functionArity.get(name);
    return builtins.get(name)?.arity;
  }

  protected evalCallArgs(term: Term & { type: 'call' }, args: Term[], f: Frame, k: NextValue): boolean {
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
