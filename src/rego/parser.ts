import { parse as parseYaml } from 'yaml';
import type { Annotations, Expr, Module } from './ast.js';
import { RegoError } from './errors.js';
import { tokenize } from './lexer.js';
import { Parser } from './parser-terms.js';

export function parseModule(source: string, file: string): Module {
  const parser = new Parser(tokenize(source, file), file);
  const module = parser.parseModule();
  const blocks = metadataBlocks(source, file);
  if (blocks.size > 0) {
    module.annotations = blocks.get(parser.packageRow);
    if (module.annotations) module.annotations.scope ??= 'package';
    for (const rule of module.rules) {
      rule.annotations = blocks.get(rule.loc.row);
      if (rule.annotations) rule.annotations.scope ??= 'rule';
    }
  }
  return module;
}

/** `# METADATA` comment blocks, by the row of the line that follows each (what they annotate). */
function metadataBlocks(source: string, file: string): Map<number, Annotations> {
  const lines = source.split('\n');
  const blocks = new Map<number, Annotations>();
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#\s*METADATA\s*$/.test(lines[i] as string)) continue;
    const yaml: string[] = [];
    let j = i + 1;
    for (; j < lines.length && /^\s*#/.test(lines[j] as string); j++) yaml.push((lines[j] as string).replace(/^\s*# ?/, ''));
    let parsed: unknown;
    try {
      parsed = parseYaml(yaml.join('\n'));
    } catch (err) {
      throw new RegoError('rego_parse_error', `yaml: ${(err as Error).message}`, { file, row: i + 1, col: 1 });
    }
    const annotations: Annotations = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? { ...(parsed as Annotations) } : {};
    if (Array.isArray(annotations.authors)) annotations.authors = annotations.authors.map(author);
    if (Array.isArray(annotations.related_resources)) {
      annotations.related_resources = annotations.related_resources.map((r) => (typeof r === 'string' ? { ref: r } : r));
    }
    blocks.set(j + 1, annotations);
    i = j - 1;
  }
  return blocks;
}

/** "Name <email>" (or either alone) as OPA's author object. */
function author(a: unknown): unknown {
  if (typeof a !== 'string') return a;
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(a.trim());
  if (!m) return { name: a.trim() };
  return m[1] ? { name: m[1], email: m[2] } : { email: m[2] };
}

export function parseQuery(source: string, file = 'query'): Expr[] {
  return new Parser(tokenize(source, file), file).parseQuery();
}
