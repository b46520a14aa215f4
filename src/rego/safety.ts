import type { Expr, Location, Term } from './ast.js';
import { RegoError } from './errors.js';
import { allVarsOfExpr, collectLocals, freeVars, inputs, isWildcard, outputs, patternInputs, patternVars, pureVars } from './term-vars.js';

const subset = (a: Set<string>, bound: Set<string>) => {
  for (const v of a) if (!bound.has(v)) return false;
  return true;
};

/** What the safety check needs of the compiler: the arity of a function (builtin or `data.…`), undefined for none. */
interface FunctionArities {
  arityOf(name: string): number | undefined;
}

/** Orders each body so every variable is bound before an expression needs its value, and reports unsafe variables. */
export class SafetyChecker {
  constructor(private readonly compiler: FunctionArities) {}

  private callOutputArg(term: Term): Term | undefined {
    if (term.type !== 'call') return undefined;
    const arity = this.compiler.arityOf(term.name);
    if (arity !== undefined && term.args.length === arity + 1) return term.args[arity];
    return undefined;
  }

  /** What the expression needs bound (undefined: it can run now) and what it binds. */
  private analyse(expr: Expr, bound: Set<string>): { ready: boolean; missing: Set<string>; binds: Set<string> } {
    const needs = new Set<string>();
    const binds = new Set<string>();
    // The variables a term (or a pattern it is matched against) reads into `needs` and binds into `binds`.
    const term = (t: Term) => {
      inputs(t, needs);
      outputs(t, binds);
    };
    const pattern = (p: Term) => {
      patternInputs(p, needs);
      patternVars(p, binds);
    };
    // What the expression binds itself it does not need from outside.
    const bindingItself = () => {
      for (const v of binds) needs.delete(v);
      return { ready: subset(needs, bound), missing: needs, binds };
    };
    for (const w of expr.with) inputs(w.value, needs);
    if (expr.negated) {
      allVarsOfExpr(expr, needs);
      for (const v of [...needs]) if (isWildcard(v)) needs.delete(v);
      // Locals of comprehensions inside the negated expression are not needed from outside.
      const locals = new Set<string>();
      collectLocals([expr], locals);
      for (const v of locals) needs.delete(v);
      return { ready: subset(needs, bound), missing: needs, binds };
    }
    switch (expr.kind) {
      case 'term': {
        const out = this.callOutputArg(expr.term);
        if (out && expr.term.type === 'call') {
          expr.term.args.slice(0, -1).forEach(term);
          pattern(out);
        } else {
          term(expr.term);
        }
        return bindingItself();
      }
      case 'unify': {
        pattern(expr.left);
        pattern(expr.right);
        for (const v of binds) if (!bound.has(v)) needs.delete(v);
        const ready = subset(needs, bound) && this.canUnify(expr.left, expr.right, bound);
        if (!ready && subset(needs, bound)) {
          const l = new Set<string>();
          pureVars(expr.left, l);
          pureVars(expr.right, l);
          for (const v of l) needs.add(v);
        }
        return { ready, missing: needs, binds };
      }
      case 'somein': {
        term(expr.collection);
        if (expr.key) pattern(expr.key);
        pattern(expr.value);
        return bindingItself();
      }
      case 'every': {
        inputs(expr.domain, needs);
        freeVars(expr.body, needs, []);
        const own = new Set<string>();
        if (expr.key) patternVars(expr.key, own);
        patternVars(expr.value, own);
        for (const v of own) needs.delete(v);
        return { ready: subset(needs, bound), missing: needs, binds };
      }
      case 'some':
        return { ready: true, missing: needs, binds };
    }
  }

  private canUnify(left: Term, right: Term, bound: Set<string>): boolean {
    const l = new Set<string>();
    pureVars(left, l);
    if (subset(l, bound)) return true;
    const r = new Set<string>();
    pureVars(right, r);
    if (subset(r, bound)) return true;
    if (left.type === 'array' && right.type === 'array' && left.items.length === right.items.length) {
      return left.items.every((item, i) => this.canUnify(item, right.items[i]!, bound));
    }
    if (left.type === 'object' && right.type === 'object' && left.entries.length === right.entries.length) return true;
    return false;
  }

  /** Orders `body` in place; returns the vars bound after it. */
  orderBody(body: Expr[], initiallyBound: Set<string>): Set<string> {
    const bound = new Set(initiallyBound);
    const pending = [...body];
    const ordered: Expr[] = [];
    while (pending.length > 0) {
      let placed = false;
      for (let i = 0; i < pending.length; i++) {
        const expr = pending[i]!;
        const { ready, binds } = this.analyse(expr, bound);
        if (!ready) continue;
        this.orderNested(expr, bound);
        for (const v of binds) bound.add(v);
        ordered.push(expr);
        pending.splice(i, 1);
        placed = true;
        break;
      }
      if (!placed) {
        const expr = pending[0]!;
        const { missing } = this.analyse(expr, bound);
        const unsafe = [...missing].filter((v) => !bound.has(v));
        const name = (unsafe[0] ?? '?').replace(/\$\d+$/, '');
        throw new RegoError('rego_unsafe_var_error', `var ${name} is unsafe`, expr.loc);
      }
    }
    body.splice(0, body.length, ...ordered);
    return bound;
  }

  private orderNested(expr: Expr, bound: Set<string>): void {
    const visit = (t: Term): void => {
      switch (t.type) {
        case 'arraycompr':
        case 'setcompr': {
          const after = this.orderBody(t.body, bound);
          this.checkHead([t.term], after, t.loc);
          visit(t.term);
          break;
        }
        case 'objectcompr': {
          const after = this.orderBody(t.body, bound);
          this.checkHead([t.key, t.value], after, t.loc);
          break;
        }
        case 'ref':
          visit(t.head);
          t.path.forEach(visit);
          break;
        case 'array':
        case 'set':
          t.items.forEach(visit);
          break;
        case 'object':
          for (const [k, v] of t.entries) {
            visit(k);
            visit(v);
          }
          break;
        case 'call':
          t.args.forEach(visit);
          break;
        case 'template':
          for (const p of t.parts) if (typeof p !== 'string') visit(p);
          break;
        default:
          break;
      }
    };
    switch (expr.kind) {
      case 'term':
        visit(expr.term);
        break;
      case 'unify':
        visit(expr.left);
        visit(expr.right);
        break;
      case 'somein':
        visit(expr.collection);
        break;
      case 'every': {
        visit(expr.domain);
        const inner = new Set(bound);
        if (expr.key) patternVars(expr.key, inner);
        patternVars(expr.value, inner);
        this.orderBody(expr.body, inner);
        break;
      }
      case 'some':
        break;
    }
    for (const w of expr.with) visit(w.value);
  }

  checkHead(terms: Term[], bound: Set<string>, loc?: Location): void {
    const needs = new Set<string>();
    for (const t of terms) {
      inputs(t, needs);
      outputs(t, needs);
    }
    for (const v of needs) {
      if (!bound.has(v) && !isWildcard(v)) {
        throw new RegoError('rego_unsafe_var_error', `var ${v.replace(/\$\d+$/, '')} is unsafe`, loc);
      }
    }
    // Comprehensions in heads are ordered with the body's bindings.
    const visit = (t: Term) => {
      if (t.type === 'arraycompr' || t.type === 'setcompr' || t.type === 'objectcompr') {
        const after = this.orderBody(t.body, bound);
        if (t.type === 'objectcompr') this.checkHead([t.key, t.value], after, t.loc);
        else this.checkHead([t.term], after, t.loc);
      } else if (t.type === 'array' || t.type === 'set') t.items.forEach(visit);
      else if (t.type === 'object')
        for (const [k, v] of t.entries) {
          visit(k);
          visit(v);
        }
      else if (t.type === 'call') t.args.forEach(visit);
      else if (t.type === 'ref') t.path.forEach(visit);
      else if (t.type === 'template') for (const p of t.parts) if (typeof p !== 'string') visit(p);
    };
    terms.forEach(visit);
  }
}
