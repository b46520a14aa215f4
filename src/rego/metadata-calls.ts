/** Compile-time rewriting of `rego.metadata.rule()` and `rego.metadata.chain()` calls to constants. */
import type { Annotations, Module, Rule, Scalar, Term } from './ast.js';

interface MetadataIndex {
  /** Package and subpackages annotations by package path. */
  packages: Map<string, Annotations[]>;
  /** Document-scope annotations by rule path. */
  documents: Map<string, Annotations>;
}

export function metadataIndex(modules: Module[]): MetadataIndex {
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
export function rewriteMetadataCalls(rule: Rule, packagePath: string[], index: MetadataIndex): Rule {
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
