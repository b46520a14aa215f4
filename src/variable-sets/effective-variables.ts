/**
 * Variable precedence: which of a workspace's conflicting variables a run uses. Pure: the caller
 * loads the variables (sealed or opened, it does not matter here) and this picks the winners.
 *
 * The levels of concepts/workspaces/variables/index.mdx "Precedence", strongest first:
 *   1 priority global set
 *   2 priority project-scoped set, organization-owned
 *   3 priority workspace-scoped set, organization-owned
 *   4 priority project-scoped set, project-owned
 *   5 priority workspace-scoped set, project-owned
 *   6 run variables (-var, -var-file, TF_VAR_…)
 *   8 workspace-specific variable
 *   9 workspace-scoped set, project-owned
 *  10 project-scoped set, project-owned
 *  11 workspace-scoped set, organization-owned
 *  12 project-scoped set, organization-owned
 *  13 global set
 * Levels 6 and 7 of the page (command line, then local `TF_VAR_` variables) are resolved by the CLI,
 * which sends both as the run's variables, so they are one level here. Within a level the set whose
 * name comes first in Unicode code point order wins ("A_Variable_Set" over "B_Variable_Set").
 */

/** What precedence needs to know of a variable; the rest of `V` is carried through untouched. */
export interface KeyedVariable {
  key: string;
  category: string;
}

/** How a variable set reaches the workspace (index.mdx "Scope"). */
export type VariableSetScope = 'global' | 'project' | 'workspace';

/** Who owns a variable set (index.mdx "Variable set ownership"). */
export type VariableSetOwner = 'organization' | 'project';

/** A variable set applied to the workspace, with its variables. */
export interface AppliedVariableSet<V extends KeyedVariable> {
  id: string;
  name: string;
  priority: boolean;
  owner: VariableSetOwner;
  scope: VariableSetScope;
  variables: readonly V[];
}

export type VariableSource =
  | { kind: 'run' }
  | { kind: 'workspace' }
  | { kind: 'variable-set'; variableSetId: string; name: string; priority: boolean; owner: VariableSetOwner; scope: VariableSetScope };

export interface Candidate<V> {
  variable: V;
  source: VariableSource;
}

/** The variable a run uses for one (category, key), and those it overwrites, strongest first. */
export interface EffectiveVariable<V> extends Candidate<V> {
  overwritten: Candidate<V>[];
}

export interface EffectiveVariablesInput<V extends KeyedVariable> {
  /** Variables set on the workspace itself. */
  workspace: readonly V[];
  /** Every set that applies: global, through the workspace's project, or to the workspace. A set may appear once per scope. */
  variableSets: readonly AppliedVariableSet<V>[];
  /** The run's own variables (run `variables` attribute, from `-var`, `-var-file` and `TF_VAR_`). */
  run?: readonly V[];
}

const RUN_LEVEL = 6;
const WORKSPACE_LEVEL = 8;

/** The precedence level of a variable set as applied (1 strongest, 13 weakest); see the table above. */
export function variableSetLevel(set: Pick<AppliedVariableSet<KeyedVariable>, 'priority' | 'owner' | 'scope'>): number {
  // Only organizations own global sets (a project-owned set cannot be global, variable-sets.mdx).
  if (set.scope === 'global') return set.priority ? 1 : 13;
  const byOrganization = set.owner === 'organization';
  if (set.priority) {
    if (byOrganization) return set.scope === 'project' ? 2 : 3;
    return set.scope === 'project' ? 4 : 5;
  }
  if (byOrganization) return set.scope === 'workspace' ? 11 : 12;
  return set.scope === 'workspace' ? 9 : 10;
}

/** Orders strings by Unicode code points, as the docs require; `<` on JS strings compares UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x.length - y.length;
}

interface Ranked<V> extends Candidate<V> {
  level: number;
  /** The set's name within a level; '' for run and workspace variables (one source per level). */
  name: string;
  id: string;
}

function compareRanked<V>(a: Ranked<V>, b: Ranked<V>): number {
  if (a.level !== b.level) return a.level - b.level;
  const byName = compareCodePoints(a.name, b.name);
  if (byName !== 0) return byName;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The strongest application of each set: a set applied both to the workspace and to its project counts once. */
function strongestApplications<V extends KeyedVariable>(sets: readonly AppliedVariableSet<V>[]): AppliedVariableSet<V>[] {
  const best = new Map<string, AppliedVariableSet<V>>();
  for (const set of sets) {
    const current = best.get(set.id);
    if (!current || variableSetLevel(set) < variableSetLevel(current)) best.set(set.id, set);
  }
  return [...best.values()];
}

/**
 * The variables a run of the workspace uses: one per (category, key), each with its source and the
 * candidates it overwrites. Sorted by category, then key.
 */
export function effectiveVariables<V extends KeyedVariable>(input: EffectiveVariablesInput<V>): EffectiveVariable<V>[] {
  const candidates: Ranked<V>[] = [];
  for (const variable of input.run ?? []) candidates.push({ variable, source: { kind: 'run' }, level: RUN_LEVEL, name: '', id: '' });
  for (const variable of input.workspace) candidates.push({ variable, source: { kind: 'workspace' }, level: WORKSPACE_LEVEL, name: '', id: '' });
  for (const set of strongestApplications(input.variableSets)) {
    const source: VariableSource = { kind: 'variable-set', variableSetId: set.id, name: set.name, priority: set.priority, owner: set.owner, scope: set.scope };
    const level = variableSetLevel(set);
    for (const variable of set.variables) candidates.push({ variable, source, level, name: set.name, id: set.id });
  }

  const groups = new Map<string, Ranked<V>[]>();
  for (const candidate of candidates) {
    const groupKey = `${candidate.variable.category}\u0000${candidate.variable.key}`;
    const group = groups.get(groupKey);
    if (group) group.push(candidate);
    else groups.set(groupKey, [candidate]);
  }

  const result: EffectiveVariable<V>[] = [];
  for (const group of groups.values()) {
    group.sort(compareRanked);
    const [winner, ...rest] = group as [Ranked<V>, ...Ranked<V>[]];
    result.push({ variable: winner.variable, source: winner.source, overwritten: rest.map(({ variable, source }) => ({ variable, source })) });
  }
  return result.sort((a, b) => compareCodePoints(a.variable.category, b.variable.category) || compareCodePoints(a.variable.key, b.variable.key));
}
