/**
 * A module version's interface as the registry protocol shows it (the "Get a specific module" answer
 * of the module registry API): the root module's README, inputs, outputs, resources and module
 * dependencies. The .tf files are parsed by HashiCorp's HCL parser compiled to WebAssembly
 * (@cdktn/hcl2json), not matched with patterns: what terraform reads is what the registry shows.
 */

export interface ModuleInput {
  name: string;
  type: string;
  description: string;
  /** The default as JSON text, as the registry protocol gives it; empty when the input is required. */
  default: string;
  required: boolean;
}

export interface ModuleInterface {
  readme: string;
  empty: boolean;
  inputs: ModuleInput[];
  outputs: { name: string; description: string }[];
  resources: { name: string; type: string }[];
  dependencies: { name: string; source: string; version: string }[];
  provider_dependencies: { name: string; namespace: string; source: string; version: string }[];
}

/** The archive's root files the interface is read from. */
export function isInterfaceFile(path: string): boolean {
  return !path.includes('/') && (path.endsWith('.tf') || /^readme(\.md)?$/i.test(path));
}

export class ModuleParseError extends Error {}

/**
 * Imported by a name TypeScript does not resolve: the package's declarations pull in the DOM library,
 * whose globals would change the types of the whole server; the one function used is typed here.
 */
const HCL_PARSER = '@cdktn/hcl2json';

type Blocks = Record<string, Record<string, Record<string, unknown>[]>>;

/** `${string}` → `string`: hcl2json writes expressions in interpolation syntax. */
function expression(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? '' : JSON.stringify(value);
  const match = /^\$\{([\s\S]*)\}$/.exec(value);
  return match ? (match[1] as string) : value;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Reads the interface from the root files (path → content); a file terraform could not parse is a ModuleParseError. */
export async function readModuleInterface(files: ReadonlyMap<string, string>): Promise<ModuleInterface> {
  const { parse } = (await import(HCL_PARSER)) as { parse(filename: string, contents: string): Promise<Record<string, unknown>> };
  const merged: Blocks = {};
  const terraformBlocks: Record<string, unknown>[] = [];
  // Resources are labelled twice (type, name): collected as they come, so that two files' resources of one type both count.
  const resourceNames: { name: string; type: string }[] = [];
  for (const [path, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!path.endsWith('.tf')) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = await parse(path, content);
    } catch (err) {
      throw new ModuleParseError(err instanceof Error ? err.message : String(err));
    }
    for (const [kind, blocks] of Object.entries(parsed)) {
      // `terraform` blocks have no labels: a list, where labelled blocks are maps of name to bodies.
      if (kind === 'terraform') terraformBlocks.push(...(blocks as Record<string, unknown>[]));
      else if (kind === 'resource')
        resourceNames.push(...Object.entries(blocks as object).flatMap(([type, byName]) => Object.keys(byName).map((name) => ({ name, type }))));
      else merged[kind] = { ...merged[kind], ...(blocks as Blocks[string]) };
    }
  }
  const first = (blocks: Record<string, unknown>[] | undefined): Record<string, unknown> => blocks?.[0] ?? {};
  const inputs = Object.entries(merged.variable ?? {}).map(([name, blocks]) => {
    const block = first(blocks);
    return {
      name,
      type: expression(block.type),
      description: text(block.description),
      default: 'default' in block ? JSON.stringify(block.default) : '',
      required: !('default' in block),
    };
  });
  const outputs = Object.entries(merged.output ?? {}).map(([name, blocks]) => ({ name, description: text(first(blocks).description) }));
  const dependencies = Object.entries(merged.module ?? {}).map(([name, blocks]) => ({
    name,
    source: text(first(blocks).source),
    version: text(first(blocks).version),
  }));
  const providers = terraformBlocks.flatMap((block) => (Array.isArray(block.required_providers) ? block.required_providers : [])) as Record<string, unknown>[];
  const provider_dependencies = providers.flatMap((entry) =>
    Object.entries(entry).map(([name, requirement]) => {
      const spec = typeof requirement === 'object' && requirement !== null ? (requirement as Record<string, unknown>) : {};
      const source = text(spec.source) || `hashicorp/${name}`;
      return { name, namespace: source.split('/').at(-2) ?? '', source, version: text(spec.version) };
    }),
  );
  const readme = [...files].find(([path]) => /^readme(\.md)?$/i.test(path))?.[1] ?? '';
  return {
    readme,
    empty: inputs.length + outputs.length + resourceNames.length + dependencies.length === 0,
    inputs,
    outputs,
    resources: resourceNames,
    dependencies,
    provider_dependencies,
  };
}
