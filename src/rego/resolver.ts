import type { Expr, Location, Module, Rule, Term, WithModifier } from './ast.js';
import { builtinArity } from './builtins/index.js';
import { type CompiledRule, compiledWiths, type WithTarget } from './compiled.js';
import { RegoError } from './errors.js';
import { bodyLocals, exprNames, patternNames } from './term-vars.js';

const GLOBAL_ROOTS = new Set(['input', 'data']);

export interface PackageInfo {
  path: string[];
  ruleNames: Set<string>;
}

export class Scope {
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

/** What resolving needs of the compiler: the user functions of every module (`data.…` name → arity). */
interface UserFunctions {
  readonly functionArity: ReadonlyMap<string, number>;
}

/** Resolves names in one module: locals get unique names, globals become refs under data/input. */
export class Resolver {
  private counter = 0;
  private readonly imports = new Map<string, Term>();

  constructor(
    private readonly compiler: UserFunctions,
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
