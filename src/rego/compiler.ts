/** The compiler: resolves names (resolver.ts), orders bodies (safety.ts) and builds the tree of rules (compiled.ts). */
import type { Expr, Module, Rule, Term } from './ast.js';
import { builtinArity } from './builtins/index.js';
import { type CompiledPolicy, type CompiledQuery, type CompiledRule, RuleNode } from './compiled.js';
import { RegoError } from './errors.js';
import { metadataIndex, rewriteMetadataCalls } from './metadata-calls.js';
import { type PackageInfo, Resolver, Scope } from './resolver.js';
import { SafetyChecker } from './safety.js';
import { allVarsOfExpr, patternVars } from './term-vars.js';

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
