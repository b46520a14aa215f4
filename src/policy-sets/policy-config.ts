import { evaluateInWorker } from '../rego/worker.js';
import type { StoredPolicy } from './store.js';

/**
 * What a policy set version's archive holds (opa-vcs.mdx "Configuration File", "Policy Code Files"):
 * `policies.hcl` (or `policies.json`) at the root with one `policy` block per policy, and the `.rego`
 * files anywhere in it. Parsed with the HCL parser the registry uses; the Rego is compiled once here,
 * so a version whose code cannot compile is refused at upload instead of erroring every run.
 */

export class PolicyConfigError extends Error {}

/** Imported by name for the reason module-interface.ts gives (its declarations pull in the DOM library). */
const HCL_PARSER = '@cdktn/hcl2json';
const CONFIG_FILES = ['policies.hcl', 'policies.json'];
/** A policy name: letters, numbers, `-` and `_`, as policy names are in the API. */
const POLICY_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** An OPA query names a rule under data: `data.<package path>.<rule>`. */
const QUERY = /^data(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** The files of an archive that matter: the configuration file and the Rego code. */
export function isPolicySetFile(path: string): boolean {
  return CONFIG_FILES.includes(path) || path.endsWith('.rego');
}

function text(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || /^\$\{/.test(value)) throw new PolicyConfigError(`${what} must be a literal string`);
  return value;
}

async function parseConfig(path: string, content: string): Promise<Record<string, unknown>> {
  if (path.endsWith('.json')) {
    try {
      return JSON.parse(content) as Record<string, unknown>;
    } catch (err) {
      throw new PolicyConfigError(`${path}: ${(err as Error).message}`);
    }
  }
  const { parse } = (await import(HCL_PARSER)) as { parse(filename: string, contents: string): Promise<Record<string, unknown>> };
  try {
    return await parse(path, content);
  } catch (err) {
    throw new PolicyConfigError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The policies the configuration file names, in its order. */
export async function readPolicies(files: ReadonlyMap<string, string>): Promise<StoredPolicy[]> {
  const path = CONFIG_FILES.find((name) => files.has(name));
  if (!path) throw new PolicyConfigError('the archive has no policies.hcl or policies.json at its root');
  const parsed = await parseConfig(path, files.get(path) as string);
  const blocks = parsed.policy;
  if (blocks === undefined || typeof blocks !== 'object' || blocks === null || Object.keys(blocks).length === 0) {
    throw new PolicyConfigError(`${path} names no policy: add a policy "<name>" { query = "data.<package>.<rule>" } block`);
  }
  return Object.entries(blocks as Record<string, unknown>).map(([name, bodies]) => {
    if (!POLICY_NAME.test(name)) throw new PolicyConfigError(`policy name "${name}" must be letters, numbers, "-" and "_"`);
    const body = (Array.isArray(bodies) ? bodies[0] : bodies) as Record<string, unknown> | undefined;
    const query = text(body?.query, `policy "${name}" query`);
    if (query === undefined || !QUERY.test(query)) throw new PolicyConfigError(`policy "${name}" needs a query of the form data.<package>.<rule>`);
    const level = text(body?.enforcement_level, `policy "${name}" enforcement_level`) ?? 'advisory';
    if (level !== 'advisory' && level !== 'mandatory') throw new PolicyConfigError(`policy "${name}" enforcement_level must be advisory or mandatory`);
    return { name, query, enforcementLevel: level, description: text(body?.description, `policy "${name}" description`) ?? null };
  });
}

/** The Rego files by path; refuses code that does not compile (a parse, safety or recursion error). */
export async function readModules(files: ReadonlyMap<string, string>, policies: readonly StoredPolicy[]): Promise<Record<string, string>> {
  const modules = [...files].filter(([path]) => path.endsWith('.rego')).sort(([a], [b]) => a.localeCompare(b));
  if (modules.length === 0) throw new PolicyConfigError('the archive has no .rego file');
  const first = policies[0];
  if (first) {
    const outcome = await evaluateInWorker(
      modules.map(([name, source]) => ({ name, source })),
      first.query,
      { input: {} },
      { timeoutMs: 10_000, maxSteps: 1_000_000 },
    );
    const compileError = 'errors' in outcome ? outcome.errors.find((e) => e.code.startsWith('rego_')) : undefined;
    if (compileError) {
      const at = compileError.location ? `${compileError.location.file}:${compileError.location.row}: ` : '';
      throw new PolicyConfigError(`${at}${compileError.message}`);
    }
  }
  return Object.fromEntries(modules);
}
