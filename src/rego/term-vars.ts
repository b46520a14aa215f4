/** The variables terms and expressions name, need bound and bind: for name resolution and the safety check. */
import type { Expr, Term } from './ast.js';

/** Variables a nested body (comprehension, every) reads from the scopes around it. */
export const bodyLocals = new WeakMap<Expr[], Set<string>>();

/** Names a pattern declares (vars in var, array and object-value positions). */
export function patternNames(term: Term, out: Set<string>): void {
  if (term.type === 'var') out.add(term.name);
  else if (term.type === 'array') for (const t of term.items) patternNames(t, out);
  else if (term.type === 'object') for (const [, v] of term.entries) patternNames(v, out);
}

/** Every var name an expression uses at its own level (not inside nested bodies). */
export function exprNames(expr: Expr, out: Set<string>, namesFunction: (t: Term) => boolean): void {
  switch (expr.kind) {
    case 'term':
      termNames(expr.term, out);
      break;
    case 'unify':
      termNames(expr.left, out);
      termNames(expr.right, out);
      break;
    case 'somein':
      if (expr.key) termNames(expr.key, out);
      termNames(expr.value, out);
      termNames(expr.collection, out);
      break;
    case 'every':
      termNames(expr.domain, out);
      break;
    case 'some':
      break;
  }
  for (const w of expr.with) if (!namesFunction(w.value)) termNames(w.value, out);
}

function termNames(term: Term, out: Set<string>): void {
  switch (term.type) {
    case 'var':
      out.add(term.name);
      break;
    case 'ref':
      termNames(term.head, out);
      for (const p of term.path) termNames(p, out);
      break;
    case 'array':
    case 'set':
      for (const t of term.items) termNames(t, out);
      break;
    case 'object':
      for (const [k, v] of term.entries) {
        termNames(k, out);
        termNames(v, out);
      }
      break;
    case 'call':
      for (const a of term.args) termNames(a, out);
      break;
    case 'template':
      for (const p of term.parts) if (typeof p !== 'string') termNames(p, out);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// For the safety check, which orders each body so every variable is bound before an expression needs its value.

const isLocal = (name: string) => name !== 'input' && name !== 'data';
export const isWildcard = (name: string) => name.startsWith('_$');

/** Vars that must be bound to evaluate `term` as a value. Ref path vars are not: the ref binds them. */
export function inputs(term: Term, out: Set<string>): void {
  switch (term.type) {
    case 'var':
      if (isLocal(term.name)) out.add(term.name);
      break;
    case 'ref':
      if (term.head.type === 'var') {
        if (isLocal(term.head.name)) out.add(term.head.name);
      } else inputs(term.head, out);
      for (const p of term.path) patternInputs(p, out);
      break;
    case 'array':
    case 'set':
      for (const t of term.items) inputs(t, out);
      break;
    case 'object':
      for (const [k, v] of term.entries) {
        inputs(k, out);
        inputs(v, out);
      }
      break;
    case 'call':
      for (const a of term.args) inputs(a, out);
      break;
    case 'template':
      for (const p of term.parts) if (typeof p !== 'string') inputs(p, out);
      break;
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      freeVars(term.body, out, term.type === 'objectcompr' ? [term.key, term.value] : [term.term]);
      break;
    case 'scalar':
      break;
  }
}

/** Vars that must be bound to unify against a pattern: those inside refs and calls in it. */
export function patternInputs(term: Term, out: Set<string>): void {
  if (term.type === 'var') return;
  if (term.type === 'array') for (const t of term.items) patternInputs(t, out);
  else if (term.type === 'object')
    for (const [k, v] of term.entries) {
      inputs(k, out);
      patternInputs(v, out);
    }
  else inputs(term, out);
}

/** Vars bound by evaluating `term`: ref path vars, at any depth outside nested bodies. */
export function outputs(term: Term, out: Set<string>): void {
  switch (term.type) {
    case 'ref':
      if (term.head.type !== 'var') outputs(term.head, out);
      for (const p of term.path) patternVars(p, out);
      break;
    case 'array':
    case 'set':
      for (const t of term.items) outputs(t, out);
      break;
    case 'object':
      for (const [k, v] of term.entries) {
        outputs(k, out);
        outputs(v, out);
      }
      break;
    case 'call':
      for (const a of term.args) outputs(a, out);
      break;
    case 'template':
      for (const p of term.parts) if (typeof p !== 'string') outputs(p, out);
      break;
    default:
      break;
  }
}

/** Vars a pattern binds when unified with a value. */
export function patternVars(term: Term, out: Set<string>): void {
  if (term.type === 'var') {
    if (isLocal(term.name)) out.add(term.name);
  } else if (term.type === 'array') for (const t of term.items) patternVars(t, out);
  else if (term.type === 'object')
    for (const [k, v] of term.entries) {
      outputs(k, out);
      patternVars(v, out);
    }
  else outputs(term, out);
}

/** Vars in pattern positions only (not inside refs or calls). */
export function pureVars(term: Term, out: Set<string>): void {
  if (term.type === 'var') {
    if (isLocal(term.name)) out.add(term.name);
  } else if (term.type === 'array') for (const t of term.items) pureVars(t, out);
  else if (term.type === 'object') for (const [, v] of term.entries) pureVars(v, out);
  else if (term.type === 'set') for (const t of term.items) pureVars(t, out);
}

function allVarsOfTerm(term: Term, out: Set<string>): void {
  switch (term.type) {
    case 'var':
      if (isLocal(term.name)) out.add(term.name);
      break;
    case 'ref':
      allVarsOfTerm(term.head, out);
      for (const p of term.path) allVarsOfTerm(p, out);
      break;
    case 'array':
    case 'set':
      for (const t of term.items) allVarsOfTerm(t, out);
      break;
    case 'object':
      for (const [k, v] of term.entries) {
        allVarsOfTerm(k, out);
        allVarsOfTerm(v, out);
      }
      break;
    case 'call':
      for (const a of term.args) allVarsOfTerm(a, out);
      break;
    case 'template':
      for (const p of term.parts) if (typeof p !== 'string') allVarsOfTerm(p, out);
      break;
    case 'arraycompr':
    case 'setcompr':
      allVarsOfTerm(term.term, out);
      for (const e of term.body) allVarsOfExpr(e, out);
      break;
    case 'objectcompr':
      allVarsOfTerm(term.key, out);
      allVarsOfTerm(term.value, out);
      for (const e of term.body) allVarsOfExpr(e, out);
      break;
    case 'scalar':
      break;
  }
}

export function allVarsOfExpr(expr: Expr, out: Set<string>): void {
  switch (expr.kind) {
    case 'term':
      allVarsOfTerm(expr.term, out);
      break;
    case 'unify':
      allVarsOfTerm(expr.left, out);
      allVarsOfTerm(expr.right, out);
      break;
    case 'somein':
      if (expr.key) allVarsOfTerm(expr.key, out);
      allVarsOfTerm(expr.value, out);
      allVarsOfTerm(expr.collection, out);
      break;
    case 'every':
      if (expr.key) allVarsOfTerm(expr.key, out);
      allVarsOfTerm(expr.value, out);
      allVarsOfTerm(expr.domain, out);
      for (const e of expr.body) allVarsOfExpr(e, out);
      break;
    case 'some':
      break;
  }
  for (const w of expr.with) allVarsOfTerm(w.value, out);
}

/** Vars a nested body (with its head terms) takes from the scopes around it. */
export function freeVars(body: Expr[], out: Set<string>, heads: Term[]): void {
  const all = new Set<string>();
  for (const e of body) allVarsOfExpr(e, all);
  for (const t of heads) allVarsOfTerm(t, all);
  const locals = new Set<string>();
  collectLocals(body, locals);
  for (const v of all) if (!locals.has(v) && !isWildcard(v)) out.add(v);
}

export function collectLocals(body: Expr[], out: Set<string>): void {
  for (const v of bodyLocals.get(body) ?? []) out.add(v);
  const visitTerm = (t: Term): void => {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        collectLocals(t.body, out);
        break;
      case 'ref':
        visitTerm(t.head);
        t.path.forEach(visitTerm);
        break;
      case 'array':
      case 'set':
        t.items.forEach(visitTerm);
        break;
      case 'object':
        for (const [k, v] of t.entries) {
          visitTerm(k);
          visitTerm(v);
        }
        break;
      case 'call':
        t.args.forEach(visitTerm);
        break;
      case 'template':
        for (const p of t.parts) if (typeof p !== 'string') visitTerm(p);
        break;
      default:
        break;
    }
  };
  for (const e of body) {
    if (e.kind === 'every') collectLocals(e.body, out);
    const terms: Term[] = [];
    if (e.kind === 'term') terms.push(e.term);
    if (e.kind === 'unify') terms.push(e.left, e.right);
    if (e.kind === 'somein') terms.push(e.collection, e.value, ...(e.key ? [e.key] : []));
    if (e.kind === 'every') terms.push(e.domain);
    for (const w of e.with) terms.push(w.value);
    terms.forEach(visitTerm);
  }
}
