import type { Annotations, Expr, Location, Module, Rule, Scalar, Term, WithModifier } from './ast.js';
import { builtinArity } from './builtins/index.js';
import { RegoError } from './errors.js';

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

const compiledWiths = new WeakMap<WithModifier, CompiledWith>();

export function compiledWith(modifier: WithModifier): CompiledWith {
  return compiledWiths.get(modifier)!;
}

/** Variables a nested body (comprehension, every) reads from the scopes around it. */
const bodyLocals = new WeakMap<Expr[], Set<string>>();

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

const GLOBAL_ROOTS = new Set(['input', 'data']);

interface PackageInfo {
  path: string[];
  ruleNames: Set<string>;
}

class Scope {
  readonly vars = new Map<string, string>();
  constructor(readonly parent?: Scope) {}

  lookup(name: string): string | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

function dataRef(path: string[], loc?: Location): Term {
  return { type: 'ref', head: { type: 'var', name: 'data' }, path: path.map((p) => ({ type: 'scalar', value: p })), loc };
}

/** The constant dotted path of a ref made of a var and string parts, else undefined. */
function refPath(term: Term): string[] | undefined {
  if (term.type === 'var') return [term.name];
  if (term.type !== 'ref' || term.head.type !== 'var') return undefined;
  const path = [term.head.name];
  for (const p of term.path) {
    if (p.type !== 'scalar' || typeof p.value !== 'string') return undefined;
    path.push(p.value);
  }
  return path;
}

/** Resolves names in one module: locals get unique names, globals become refs under data/input. */
class Resolver {
  private counter = 0;
  private readonly imports = new Map<string, Term>();

  constructor(
    private readonly compiler: Compiler,
    private readonly pkg: PackageInfo,
    imports: Module['imports'],
    private readonly keepNames: boolean,
  ) {
    for (const imp of imports) {
      const path = refPath(imp.path);
      if (!path) throw new RegoError('rego_parse_error', 'invalid import path', imp.loc);
      if (path[0] === 'future' || path[0] === 'rego') continue;
      if (!GLOBAL_ROOTS.has(path[0]!)) throw new RegoError('rego_parse_error', `invalid import path ${path.join('.')}: must begin with input or data`, imp.loc);
      const alias = imp.alias ?? path[path.length - 1]!;
      this.imports.set(alias, imp.path);
    }
  }

  fresh(name: string): string {
    this.counter++;
    return `${name}$${this.counter}`;
  }

  private declare(scope: Scope, name: string, keep: boolean): string {
    if (name === '_') {
      const generated = this.fresh('_');
      return generated;
    }
    const unique = keep ? name : this.fresh(name);
    scope.vars.set(name, unique);
    return unique;
  }

  private isGlobal(name: string): boolean {
    return GLOBAL_ROOTS.has(name) || this.imports.has(name) || this.pkg.ruleNames.has(name);
  }

  private globalTerm(name: string, loc?: Location): Term {
    if (GLOBAL_ROOTS.has(name)) return { type: 'var', name, loc };
    const imported = this.imports.get(name);
    if (imported) return imported.type === 'var' ? { ...imported, loc } : { ...imported, loc };
    return dataRef([...this.pkg.path, name], loc);
  }

  /** The full name of a called function: a built-in's name or `data.pkg.f`. */
  resolveFunctionName(name: string, loc?: Location): string {
    const parts = name.split('.');
    const head = parts[0]!;
    if (this.imports.has(head)) {
      const base = refPath(this.imports.get(head)!);
      if (base) return [...base, ...parts.slice(1)].join('.');
    }
    if (this.pkg.ruleNames.has(head)) return ['data', ...this.pkg.path, ...parts].join('.');
    if (head === 'data') return name;
    if (builtinArity(name) !== undefined) return name;
    throw new RegoError('rego_type_error', `undefined function ${name}`, loc);
  }

  /** Function names are resolved without failing: `with` targets may name missing functions. */
  tryFunctionName(name: string): string | undefined {
    try {
      const resolved = this.resolveFunctionName(name);
      if (resolved.startsWith('data.')) return this.compiler.functionArity.has(resolved) ? resolved : undefined;
      return resolved;
    } catch {
      return undefined;
    }
  }

  resolveRule(rule: Rule): (CompiledRule & { hasArgs: boolean })[] {
    const ruleScope = new Scope();
    // A template string among the arguments is computed after the body, as OPA rewrites it: the
    // argument becomes a fresh variable unified with the template at the end of the body.
    const templateArgs: Expr[] = [];
    const args = rule.head.args?.map((a) => {
      if (a.type !== 'template') return this.declarePattern(a, ruleScope);
      const arg: Term = { type: 'var', name: this.fresh('targ'), loc: a.loc };
      templateArgs.push({ kind: 'unify', left: arg, right: a, assign: false, negated: false, with: [], loc: a.loc ?? rule.loc });
      return this.declarePattern(arg, ruleScope);
    });
    const bodyScope = new Scope(ruleScope);
    const body = this.resolveBody([...rule.body, ...templateArgs], bodyScope, true);
    const resolveHead = (t: Term | undefined, scope: Scope) => (t ? this.resolveTerm(t, scope) : undefined);
    return [{ ruleScope, bodyScope, body, args }].map(({ body: resolvedBody, args: resolvedArgs }) => {
      const head = rule.head;
      const refTail = head.ref.slice(1).map((t) => this.resolveTerm(t, bodyScope));
      const member = resolveHead(head.member, bodyScope);
      const value = resolveHead(head.value, bodyScope) ?? { type: 'scalar', value: true };
      const elses = rule.elses.map((e) => {
        const scope = new Scope(ruleScope);
        const elseBody = this.resolveBody(e.body, scope, true);
        return { value: (e.value ? this.resolveTerm(e.value, scope) : undefined) ?? ({ type: 'scalar', value: true } as Term), body: elseBody };
      });
      return {
        kind: 'complete' as const,
        keyPath: refTail,
        member,
        value,
        args: resolvedArgs ?? [],
        body: resolvedBody,
        elses,
        isDefault: rule.isDefault,
        loc: rule.loc,
        name: '',
        hasArgs: resolvedArgs !== undefined,
      };
    }) as (CompiledRule & { hasArgs: boolean })[];
  }

  private declarePattern(term: Term, scope: Scope): Term {
    switch (term.type) {
      case 'var': {
        if (term.name === '_') return { type: 'var', name: this.fresh('_'), loc: term.loc };
        const existing = scope.vars.get(term.name);
        return { type: 'var', name: existing ?? this.declare(scope, term.name, this.keepNames), loc: term.loc };
      }
      case 'array':
        return { ...term, items: term.items.map((t) => this.declarePattern(t, scope)) };
      case 'object':
        return { ...term, entries: term.entries.map(([k, v]) => [this.resolveTerm(k, scope), this.declarePattern(v, scope)] as [Term, Term]) };
      default:
        return this.resolveTerm(term, scope);
    }
  }

  /**
   * Resolves a body in `scope`. First every name the body uses at its own level is declared
   * (`some`, `:=` and `some … in` always declare; other names refer to an enclosing scope or a
   * global when one exists), so nested comprehensions see the body's variables wherever they appear.
   */
  resolveBody(body: Expr[], scope: Scope, ownScope: boolean): Expr[] {
    const declared = new Set<string>();
    const explicit = new Set<string>();
    for (const expr of body) {
      if (expr.kind === 'some') for (const v of expr.vars) explicit.add(v);
      if (expr.kind === 'unify' && expr.assign) patternNames(expr.left, explicit);
      if (expr.kind === 'somein') {
        if (expr.key) patternNames(expr.key, explicit);
        patternNames(expr.value, explicit);
      }
    }
    const used = new Set<string>();
    for (const expr of body) exprNames(expr, used, (t) => this.namesFunction(t, scope));
    for (const name of used) {
      if (name === '_' || scope.vars.has(name) || explicit.has(name)) continue;
      if (scope.parent?.lookup(name) !== undefined) continue;
      if (this.isGlobal(name)) continue;
      declared.add(this.declare(scope, name, this.keepNames && !scope.parent?.parent));
    }
    // Declarations take effect where they appear, as in OPA: a comprehension before `x := …`
    // that uses x has an x of its own.
    const keep = this.keepNames && !scope.parent?.parent;
    const out: Expr[] = [];
    for (const expr of body) {
      const names = new Set<string>();
      if (expr.kind === 'some') for (const v of expr.vars) names.add(v);
      if (expr.kind === 'somein') {
        if (expr.key) patternNames(expr.key, names);
        patternNames(expr.value, names);
      }
      if (expr.kind === 'unify' && expr.assign) {
        // The right side of `x := …` is resolved before x exists.
        const right = this.resolveTerm(expr.right, scope);
        patternNames(expr.left, names);
        for (const name of names) if (name !== '_' && !scope.vars.has(name)) declared.add(this.declare(scope, name, keep));
        const withs = expr.with.map((w) => this.resolveWith(w, scope));
        out.push({ kind: 'unify', assign: true, left: this.resolveTerm(expr.left, scope), right, negated: expr.negated, with: withs, loc: expr.loc });
        continue;
      }
      for (const name of names) if (name !== '_') declared.add(this.declare(scope, name, keep));
      if (expr.kind === 'some') continue;
      out.push(this.resolveExpr(expr, scope));
    }
    if (ownScope) bodyLocals.set(out, new Set(scope.vars.values()));
    return out;
  }

  private resolveExpr(expr: Expr, scope: Scope): Expr {
    const withs = expr.with.map((w) => this.resolveWith(w, scope));
    const base = { negated: expr.negated, with: withs, loc: expr.loc };
    switch (expr.kind) {
      case 'term':
        return { ...base, kind: 'term', term: this.resolveTerm(expr.term, scope) };
      case 'unify':
        return { ...base, kind: 'unify', assign: expr.assign, left: this.resolveTerm(expr.left, scope), right: this.resolveTerm(expr.right, scope) };
      case 'somein':
        return {
          ...base,
          kind: 'somein',
          key: expr.key ? this.resolveTerm(expr.key, scope) : undefined,
          value: this.resolveTerm(expr.value, scope),
          collection: this.resolveTerm(expr.collection, scope),
        };
      case 'every': {
        const inner = new Scope(scope);
        const key = expr.key ? this.declarePattern(expr.key, inner) : undefined;
        const value = this.declarePattern(expr.value, inner);
        const domain = this.resolveTerm(expr.domain, scope);
        const body = this.resolveBody(expr.body, new Scope(inner), true);
        const locals = bodyLocals.get(body)!;
        for (const v of inner.vars.values()) locals.add(v);
        if (key?.type === 'var') locals.add(key.name);
        if (value.type === 'var') locals.add(value.name);
        return { ...base, kind: 'every', key, value, domain, body };
      }
      case 'some':
        return { ...base, kind: 'some', vars: [] };
    }
  }

  private resolveWith(w: WithModifier, scope: Scope): WithModifier {
    const path = refPath(w.target);
    if (!path) throw new RegoError('rego_compile_error', 'with keyword target must reference existing input, data, or a function', w.target.loc);
    const value = this.resolveTermMaybeFunction(w.value, scope);
    let target: WithTarget;
    const head = path[0]!;
    if (head === 'input' && !scope.lookup('input')) target = { kind: 'input', path: path.slice(1) };
    else if (head === 'data') target = { kind: 'data', path: path.slice(1) };
    else {
      const name = this.tryFunctionName(path.join('.'));
      if (name === undefined) {
        if (this.imports.has(head) || this.pkg.ruleNames.has(head)) {
          const full = refPath(this.globalTerm(head))!;
          target =
            full[0] === 'input' ? { kind: 'input', path: [...full.slice(1), ...path.slice(1)] } : { kind: 'data', path: [...full.slice(1), ...path.slice(1)] };
        } else throw new RegoError('rego_compile_error', `with keyword target must reference existing input, data, or a function`, w.target.loc);
      } else target = name.startsWith('data.') ? { kind: 'data', path: name.split('.').slice(1) } : { kind: 'function', name };
    }
    // A function replacement is carried by name; its term holds no variables for the safety check.
    const resolved: WithModifier = { target: w.target, value: value.functionName === undefined ? value.term : { type: 'scalar', value: value.functionName } };
    compiledWiths.set(resolved, { target, value: value.term, functionName: value.functionName });
    return resolved;
  }

  /** Whether a `with` value names a function (`count`, `f`, `data.lib.f`) rather than a value. */
  namesFunction(term: Term, scope: Scope): boolean {
    const path = refPath(term);
    if (!path || scope.lookup(path[0]!) !== undefined) return false;
    const name = this.tryFunctionName(path.join('.'));
    return name !== undefined && (!name.startsWith('data.') || this.compiler.functionArity.has(name));
  }

  /** A `with` value that names a function (`with f as g`, `with count as mock`) stays a name. */
  private resolveTermMaybeFunction(term: Term, scope: Scope): { term: Term; functionName?: string } {
    const path = refPath(term);
    if (path && !scope.lookup(path[0]!)) {
      const name = this.tryFunctionName(path.join('.'));
      if (name !== undefined && (!name.startsWith('data.') || this.compiler.functionArity.has(name))) {
        if (!this.isGlobal(path[0]!) || name.startsWith('data.')) return { term, functionName: name };
      }
    }
    return { term: this.resolveTerm(term, scope) };
  }

  resolveTerm(term: Term, scope: Scope): Term {
    switch (term.type) {
      case 'scalar':
        return term;
      case 'var': {
        if (term.name === '_') return { type: 'var', name: this.fresh('_'), loc: term.loc };
        const local = scope.lookup(term.name);
        if (local !== undefined) return { type: 'var', name: local, loc: term.loc };
        if (this.isGlobal(term.name)) return this.globalTerm(term.name, term.loc);
        // A name first seen in a head (or with no body use) is a new local: the safety check reports it.
        return { type: 'var', name: this.declare(scope, term.name, false), loc: term.loc };
      }
      case 'ref': {
        const head = this.resolveTerm(term.head, scope);
        const path = term.path.map((p) => this.resolveTerm(p, scope));
        if (head.type === 'ref') return { type: 'ref', head: head.head, path: [...head.path, ...path], loc: term.loc };
        return { type: 'ref', head, path, loc: term.loc };
      }
      case 'array':
        return { ...term, items: term.items.map((t) => this.resolveTerm(t, scope)) };
      case 'set':
        return { ...term, items: term.items.map((t) => this.resolveTerm(t, scope)) };
      case 'object':
        return { ...term, entries: term.entries.map(([k, v]) => [this.resolveTerm(k, scope), this.resolveTerm(v, scope)] as [Term, Term]) };
      case 'call': {
        const local = scope.lookup(term.name.split('.')[0]!);
        if (local !== undefined) throw new RegoError('rego_type_error', `undefined function ${term.name}`, term.loc);
        const name = this.resolveFunctionName(term.name, term.loc);
        return { ...term, name, args: term.args.map((a) => this.resolveTerm(a, scope)) };
      }
      case 'template':
        return { ...term, parts: term.parts.map((p) => (typeof p === 'string' ? p : this.resolveTerm(p, scope))) };
      case 'arraycompr':
      case 'setcompr': {
        const inner = new Scope(scope);
        const body = this.resolveBody(term.body, inner, true);
        return { ...term, body, term: this.resolveTerm(term.term, inner) };
      }
      case 'objectcompr': {
        const inner = new Scope(scope);
        const body = this.resolveBody(term.body, inner, true);
        return { ...term, body, key: this.resolveTerm(term.key, inner), value: this.resolveTerm(term.value, inner) };
      }
    }
  }
}

/** Names a pattern declares (vars in var, array and object-value positions). */
function patternNames(term: Term, out: Set<string>): void {
  if (term.type === 'var') out.add(term.name);
  else if (term.type === 'array') for (const t of term.items) patternNames(t, out);
  else if (term.type === 'object') for (const [, v] of term.entries) patternNames(v, out);
}

/** Every var name an expression uses at its own level (not inside nested bodies). */
function exprNames(expr: Expr, out: Set<string>, namesFunction: (t: Term) => boolean): void {
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
// Safety: order each body so every variable is bound before an expression needs its value.

const isLocal = (name: string) => name !== 'input' && name !== 'data';
const isWildcard = (name: string) => name.startsWith('_$');

/** Vars that must be bound to evaluate `term` as a value. Ref path vars are not: the ref binds them. */
function inputs(term: Term, out: Set<string>): void {
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
function patternInputs(term: Term, out: Set<string>): void {
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
function outputs(term: Term, out: Set<string>): void {
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
function patternVars(term: Term, out: Set<string>): void {
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
function pureVars(term: Term, out: Set<string>): void {
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

function allVarsOfExpr(expr: Expr, out: Set<string>): void {
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
function freeVars(body: Expr[], out: Set<string>, heads: Term[]): void {
  const all = new Set<string>();
  for (const e of body) allVarsOfExpr(e, all);
  for (const t of heads) allVarsOfTerm(t, all);
  const locals = new Set<string>();
  collectLocals(body, locals);
  for (const v of all) if (!locals.has(v) && !isWildcard(v)) out.add(v);
}

function collectLocals(body: Expr[], out: Set<string>): void {
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

const subset = (a: Set<string>, bound: Set<string>) => {
  for (const v of a) if (!bound.has(v)) return false;
  return true;
};

class SafetyChecker {
  constructor(private readonly compiler: Compiler) {}

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
          expr.term.args.slice(0, -1).forEach((a) => {
            inputs(a, needs);
            outputs(a, binds);
          });
          patternInputs(out, needs);
          patternVars(out, binds);
        } else {
          inputs(expr.term, needs);
          outputs(expr.term, binds);
        }
        for (const v of binds) needs.delete(v);
        return { ready: subset(needs, bound), missing: needs, binds };
      }
      case 'unify': {
        patternInputs(expr.left, needs);
        patternInputs(expr.right, needs);
        patternVars(expr.left, binds);
        patternVars(expr.right, binds);
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
        inputs(expr.collection, needs);
        outputs(expr.collection, binds);
        if (expr.key) {
          patternInputs(expr.key, needs);
          patternVars(expr.key, binds);
        }
        patternInputs(expr.value, needs);
        patternVars(expr.value, binds);
        for (const v of binds) needs.delete(v);
        return { ready: subset(needs, bound), missing: needs, binds };
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

export class Compiler {
  readonly root = new RuleNode([]);
  readonly functionArity = new Map<string, number>();

  arityOf(name: string): number | undefined {
    return name.startsWith('data.') ? this.functionArity.get(name) : builtinArity(name);
  }

  compile(modules: Module[]): CompiledPolicy {
    const packages = new Map<string, PackageInfo>();
    for (const m of modules) {
      const key = m.packagePath.join('.');
      let info = packages.get(key);
      if (!info) {
        info = { path: m.packagePath, ruleNames: new Set() };
        packages.set(key, info);
      }
      for (const r of m.rules) {
        const head = r.head.ref[0]!;
        if (head.type === 'var') info.ruleNames.add(head.name);
        if (r.head.args) {
          const path = this.constantPrefix(r.head.ref);
          if (path) this.functionArity.set(['data', ...m.packagePath, ...path].join('.'), r.head.args.length);
        }
      }
    }
    const safety = new SafetyChecker(this);
    for (const m of modules) {
      let node = this.root;
      for (const p of m.packagePath) node = node.child(p);
      node.isPackage = true;
    }
    const metadata = metadataIndex(modules);
    for (const m of modules) {
      const pkg = packages.get(m.packagePath.join('.'))!;
      const resolver = new Resolver(this, pkg, m.imports, false);
      for (const rule of m.rules) {
        const withMetadata = rewriteMetadataCalls(rule, m.packagePath, metadata);
        for (const compiled of resolver.resolveRule(withMetadata)) this.place(m, withMetadata, compiled, safety);
      }
    }
    return { root: this.root, functionArity: this.functionArity };
  }

  private constantPrefix(ref: Term[]): string[] | undefined {
    const path: string[] = [];
    for (const t of ref) {
      if (t.type === 'var' && path.length === 0) path.push(t.name);
      else if (t.type === 'scalar' && typeof t.value === 'string') path.push(t.value);
      else break;
    }
    return path;
  }

  private place(m: Module, rule: Rule, compiled: CompiledRule & { hasArgs: boolean }, safety: SafetyChecker): void {
    const head = rule.head.ref;
    let n = 1;
    while (n < head.length && head[n]!.type === 'scalar' && typeof (head[n] as { value: unknown }).value === 'string') n++;
    const nodePath = [...m.packagePath, ...(head.slice(0, n).map((t) => (t.type === 'var' ? t.name : String((t as { value: unknown }).value))) as string[])];
    let keyPath = compiled.keyPath.slice(n - 1);
    let member = compiled.member;
    if (rule.v0SetHead && !member && !compiled.hasArgs && keyPath.length > 0 && !rule.head.value) {
      member = keyPath[keyPath.length - 1];
      keyPath = keyPath.slice(0, -1);
    }
    const kind: CompiledRule['kind'] = compiled.hasArgs ? 'function' : keyPath.length > 0 ? 'object' : member ? 'set' : 'complete';
    if (rule.isDefault && kind !== 'complete' && kind !== 'function')
      throw new RegoError('rego_type_error', 'default rules must not have variables in their head', rule.loc);
    const result: CompiledRule = { ...compiled, kind, keyPath, member, name: ['data', ...nodePath].join('.') };
    // Order bodies and check head safety.
    const argVars = new Set<string>();
    for (const a of result.args) patternVars(a, argVars);
    const bound = safety.orderBody(result.body, argVars);
    const headTerms = [...keyPath, result.value, ...(member ? [member] : [])];
    safety.checkHead(headTerms, bound, rule.loc);
    for (const e of result.elses) {
      const elseBound = safety.orderBody(e.body, argVars);
      safety.checkHead([e.value], elseBound, rule.loc);
    }
    let node = this.root;
    for (const p of nodePath) node = node.child(p);
    if (result.isDefault) node.defaults.push(result);
    else if (kind === 'function') node.functions.push(result);
    else node.rules.push(result);
  }

  compileQuery(body: Expr[]): CompiledQuery {
    const pkg: PackageInfo = { path: [], ruleNames: new Set() };
    const resolver = new Resolver(this, pkg, [], true);
    const resolved = resolver.resolveBody(body, new Scope(new Scope()), true);
    const vars: string[] = [];
    const seen = new Set<string>();
    const collect = (e: Expr) => {
      const names = new Set<string>();
      allVarsOfExpr(e, names);
      for (const n of names)
        if (!seen.has(n) && !n.includes('$')) {
          seen.add(n);
          vars.push(n);
        }
    };
    resolved.forEach(collect);
    new SafetyChecker(this).orderBody(resolved, new Set());
    return { body: resolved, vars };
  }
}

export { refPath };

interface MetadataIndex {
  /** Package and subpackages annotations by package path. */
  packages: Map<string, Annotations[]>;
  /** Document-scope annotations by rule path. */
  documents: Map<string, Annotations>;
}

function metadataIndex(modules: Module[]): MetadataIndex {
  const index: MetadataIndex = { packages: new Map(), documents: new Map() };
  for (const m of modules) {
    if (m.annotations) {
      const key = m.packagePath.join('.');
      index.packages.set(key, [...(index.packages.get(key) ?? []), m.annotations]);
    }
    for (const r of m.rules) {
      const name = r.head.ref[0];
      if (r.annotations?.scope === 'document' && name?.type === 'var') index.documents.set([...m.packagePath, name.name].join('.'), r.annotations);
    }
  }
  return index;
}

/** A JSON value as a constant term. */
function constantTerm(value: unknown): Term {
  if (Array.isArray(value)) return { type: 'array', items: value.map(constantTerm) };
  if (value !== null && typeof value === 'object') {
    return { type: 'object', entries: Object.entries(value).map(([k, v]) => [{ type: 'scalar', value: k }, constantTerm(v)] as [Term, Term]) };
  }
  if (value === undefined) return { type: 'scalar', value: null };
  return { type: 'scalar', value: value as Scalar };
}

/**
 * rego.metadata.rule() and rego.metadata.chain() become constants, as OPA's compiler rewrites them: the
 * rule's own annotations, and the chain rule → document → package → enclosing packages' subpackages.
 */
function rewriteMetadataCalls(rule: Rule, packagePath: string[], index: MetadataIndex): Rule {
  const name = rule.head.ref[0];
  const path = name?.type === 'var' ? [...packagePath, name.name] : packagePath;
  const own = rule.annotations && rule.annotations.scope !== 'document' ? rule.annotations : undefined;
  const chain: unknown[] = [own ? { path, annotations: own } : { path }];
  const document = index.documents.get(path.join('.'));
  if (document) chain.push({ path, annotations: document });
  for (let n = packagePath.length; n >= 1; n--) {
    const pkgPath = packagePath.slice(0, n);
    for (const a of index.packages.get(pkgPath.join('.')) ?? []) {
      if (n === packagePath.length ? a.scope === 'package' || a.scope === 'subpackages' : a.scope === 'subpackages')
        chain.push({ path: pkgPath, annotations: a });
    }
  }
  const replacements: Record<string, unknown> = { 'rego.metadata.rule': own ?? {}, 'rego.metadata.chain': chain };
  let changed = false;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== 'object') return node;
    const record = node as Record<string, unknown>;
    if (record.type === 'call' && typeof record.name === 'string' && record.name in replacements && Array.isArray(record.args) && record.args.length === 0) {
      changed = true;
      return { ...constantTerm(replacements[record.name]), loc: record.loc };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = k === 'annotations' || k === 'loc' ? v : rewrite(v);
    return out;
  };
  const rewritten = rewrite(rule) as Rule;
  return changed ? rewritten : rule;
}
