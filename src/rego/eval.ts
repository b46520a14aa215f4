import type { Expr } from './ast.js';
import { compiledWith } from './compiled.js';
import { CallEvaluation } from './eval-calls.js';
import type { Environment, Frame, Next } from './eval-terms.js';
import { forEachEntry, isCollection, startsWith, upsert } from './eval-values.js';
import { RegoObject, type Value } from './value.js';

/** Queries and bodies, evaluated top-down with backtracking: continuations are called once per solution. */
export class Evaluation extends CallEvaluation {
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
}
