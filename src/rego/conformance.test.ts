import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { evaluate, parseValue, type RegoErrorDetail } from './index.js';

/**
 * OPA's conformance cases (../shared/rego-conformance, see its README) run against our engine.
 * The pass count only goes up: raise PASS_FLOOR whenever it does.
 */
const PASS_FLOOR = 2041;

/** Folders whose cases need the network or the host (DNS lookups, http.send): counted apart. */
const NETWORK_FOLDERS = new Set(['netlookupipaddr', 'invalidkeyerror']);

interface ConformanceCase {
  note: string;
  query: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Record<string, unknown>[];
  want_error_code?: string;
  want_error?: string;
  strict_error?: boolean;
  sort_bindings?: boolean;
  ignore_generated_vars?: boolean;
}

/** The repository root is three levels above dist/src/rego/; the shared folder sits beside an ancestor. */
function casesDir(): string {
  const fromEnv = process.env.REGO_CONFORMANCE_DIR;
  if (fromEnv) return fromEnv;
  let dir = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
  for (;;) {
    const candidate = join(dir, 'shared', 'rego-conformance', 'cases');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('rego-conformance cases not found: set REGO_CONFORMANCE_DIR');
    dir = parent;
  }
}

function caseFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return caseFiles(path);
    return entry.name.endsWith('.yaml') ? [path] : [];
  });
}

/** Expected values: integers beyond 2^53 stay text so a float can never match them. */
function normalizeExpected(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : `bigint:${value}`;
  if (Array.isArray(value)) return value.map(normalizeExpected);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), normalizeExpected(v)]));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeExpected(v)]));
  return value;
}

/** JSON with sorted keys: rows compare as text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? String(value) : JSON.stringify(`bigint:${value}`);
  return JSON.stringify(value);
}

function sortRow(row: Record<string, unknown>, sortBindings: boolean, ignoreGenerated: boolean): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (ignoreGenerated && k.startsWith('__localq')) continue;
    out[k] = sortBindings && Array.isArray(v) ? [...v].sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0)) : v;
  }
  return canonical(out);
}

function errorText(e: RegoErrorDetail): string {
  const where = e.location ? `${e.location.file}:${e.location.row}: ` : '';
  return `${where}${e.code}: ${e.message}`;
}

/** Runs one case; returns undefined when it passes, else why not. */
function runCase(c: ConformanceCase): string | undefined {
  const modules = (c.modules ?? []).map((source, i) => ({ name: `test-${i}.rego`, source }));
  let input: unknown = c.input;
  if (c.input_term !== undefined) input = parseValue(c.input_term);
  const outcome = evaluate(modules, c.query, { input, data: c.data ?? {} }, { strictBuiltinErrors: c.strict_error ?? false });
  if (c.want_error_code || c.want_error) {
    if (!('errors' in outcome)) return `expected error ${c.want_error_code}, got result ${JSON.stringify(outcome.result.map((r) => r.bindings))}`;
    const error = outcome.errors[0]!;
    if (c.want_error_code && error.code !== c.want_error_code) return `expected error code ${c.want_error_code}, got ${errorText(error)}`;
    if (c.want_error && !errorText(error).includes(c.want_error)) return `expected error containing ${JSON.stringify(c.want_error)}, got ${errorText(error)}`;
    return undefined;
  }
  if ('errors' in outcome) return `unexpected error ${errorText(outcome.errors[0]!)}`;
  if (!c.want_result) return undefined;
  const sortBindings = c.sort_bindings ?? false;
  const ignoreGenerated = c.ignore_generated_vars ?? false;
  const want = (normalizeExpected(c.want_result) as Record<string, unknown>[]).map((r) => sortRow(r, sortBindings, ignoreGenerated)).sort();
  const got = outcome.result.map((r) => sortRow(r.bindings, sortBindings, ignoreGenerated)).sort();
  if (want.length !== got.length || want.some((w, i) => w !== got[i])) return `expected ${want.join(' ')}\n      got ${got.join(' ')}`;
  return undefined;
}

test('OPA conformance cases', () => {
  const dir = casesDir();
  let passed = 0;
  let total = 0;
  let network = 0;
  const failures: { file: string; note: string; reason: string }[] = [];
  for (const file of caseFiles(dir).sort()) {
    const folder = file.slice(dir.length + 1).split('/')[1] ?? '';
    const doc = parse(readFileSync(file, 'utf8'), { intAsBigInt: true }) as { cases: ConformanceCase[] };
    for (const c of doc.cases) {
      if (NETWORK_FOLDERS.has(folder)) {
        network++;
        continue;
      }
      total++;
      let reason: string | undefined;
      try {
        reason = runCase(c);
      } catch (err) {
        reason = `threw ${err instanceof Error ? err.stack : String(err)}`;
      }
      if (reason === undefined) passed++;
      else failures.push({ file: file.slice(dir.length + 1), note: c.note, reason });
    }
  }
  const percent = ((passed / total) * 100).toFixed(1);
  console.log(`rego conformance: ${passed} of ${total} cases pass (${percent}%); ${network} network cases skipped`);
  if (process.env.REGO_CONFORMANCE_VERBOSE) {
    for (const f of failures) console.log(`FAIL ${f.file} ${f.note}\n      ${f.reason.slice(0, 600)}`);
  }
  assert.ok(passed >= PASS_FLOOR, `${passed} cases pass, below the floor of ${PASS_FLOOR}`);
});
