import { authorizeWorkspace } from '../auth/authorize.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import { open } from '../crypto/sealing.js';
import { NotFoundError } from '../errors.js';
import type { VariableCategory } from '../variables/variable-rows.js';
import * as variableService from '../variables/service.js';
import { type AppliedVariableSet, effectiveVariables as resolvePrecedence, type VariableSource } from './effective-variables.js';
import * as variableSetStore from './store.js';
import * as variableSetVariableStore from './variable-store.js';

/** A run-specific variable (run `variables` attribute): an HCL literal for a Terraform variable (run.mdx). */
export interface RunVariableInput {
  key: string;
  value: string;
}

/** A variable a run uses, value in clear. */
export interface ResolvedVariable {
  key: string;
  value: string;
  category: VariableCategory;
  hcl: boolean;
  sensitive: boolean;
  source: VariableSource;
}

/** The sets that apply to a workspace, as the precedence function takes them, with variables loaded by `load`. */
async function appliedVariableSets<V extends { variableSetId: string; key: string; category: string }>(
  db: Ctx['db'],
  workspace: { id: string; organizationId: string; projectId: string },
  load: (setIds: string[]) => Promise<V[]>,
): Promise<AppliedVariableSet<V>[]> {
  const applied = await variableSetStore.selectAppliedToWorkspace(db, workspace);
  const variables = await load([...new Set(applied.map((a) => a.set.id))]);
  return applied.map(({ set, scope }) => ({
    id: set.id,
    name: set.name,
    priority: set.priority,
    owner: set.parentProjectId === null ? 'organization' : 'project',
    scope,
    variables: variables.filter((v) => v.variableSetId === set.id),
  }));
}

/**
 * The variables a run of the workspace uses, with sensitive values opened: workspace variables, the
 * variable sets that apply and the run's own variables, by the documented precedence (effective-variables.ts).
 * Internal, for the runner: no permission check, and the result must never be serialized.
 */
export async function effectiveVariables(
  ctx: Pick<Ctx, 'db' | 'config'>,
  workspaceId: string,
  runVariables: readonly RunVariableInput[] = [],
): Promise<ResolvedVariable[]> {
  const workspace = await authStore.findWorkspaceScopeUnchecked(ctx.db, workspaceId);
  if (!workspace) throw new NotFoundError(`workspace ${workspaceId} not found`);
  const [own, sets] = await Promise.all([
    variableService.workspaceVariablesForRun(ctx, workspaceId),
    appliedVariableSets(ctx.db, workspace, async (ids) =>
      (await variableSetVariableStore.selectStoredBySets(ctx.db, ids)).map(({ sealedValue, ...v }) => ({
        ...v,
        value: v.sensitive ? open(ctx.config, sealedValue ?? '') : (v.value ?? ''),
      })),
    ),
  ]);
  const run = runVariables.map((v) => ({ key: v.key, value: v.value, category: 'terraform' as const, hcl: true, sensitive: false }));
  return resolvePrecedence<{ key: string; value: string; category: VariableCategory; hcl: boolean; sensitive: boolean }>({
    workspace: own,
    variableSets: sets,
    run,
  }).map(({ variable, source }) => ({
    key: variable.key,
    value: variable.value,
    category: variable.category,
    hcl: variable.hcl,
    sensitive: variable.sensitive,
    source,
  }));
}

/** The workspace's own variables and the sets that apply to it (values as lists show them), for a caller who may read its variables. */
async function candidatesInWorkspace(ctx: Ctx, workspaceId: string) {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:read-variables');
  const [own, sets] = await Promise.all([
    variableService.list(ctx, { id: workspaceId }),
    appliedVariableSets(ctx.db, workspace, (ids) => variableSetVariableStore.selectBySets(ctx.db, ids)),
  ]);
  return { own, sets };
}

/** A set's variable seen from one workspace: which variable it overwrites there, or which overwrites it. */
export interface VariableInWorkspace {
  variable: variableSetVariableStore.VariableSetVariable;
  /** The variables this one wins over in the workspace. */
  overwritten: string[];
  /** The variable that wins over this one in the workspace, if any. */
  overwriter: string | null;
}

/**
 * The set's variables with their standing in one workspace, where the set must apply (OpenAPI
 * `listWorkspaceVarsetVars`). Run variables do not exist here; no value is opened.
 */
export async function listInWorkspace(ctx: Ctx, workspaceId: string, setId: string): Promise<VariableInWorkspace[]> {
  const { own, sets } = await candidatesInWorkspace(ctx, workspaceId);
  const applied = sets.find((s) => s.id === setId);
  if (!applied) throw new NotFoundError(`variable set ${setId} not found in workspace ${workspaceId}`);
  const winners = resolvePrecedence<{ id: string; key: string; category: string }>({ workspace: own.map((view) => view.variable), variableSets: sets });
  return applied.variables.map((variable) => {
    const entry = winners.find((e) => e.variable.key === variable.key && e.variable.category === variable.category);
    const wins = entry?.variable.id === variable.id;
    return {
      variable,
      overwritten: wins ? (entry?.overwritten ?? []).map((c) => c.variable.id) : [],
      overwriter: wins || !entry ? null : entry.variable.id,
    };
  });
}

/** A variable a workspace's runs receive: its own, or a set's that applies and is not overwritten there. */
export type AccessibleVariable =
  | { source: 'workspace'; view: variableService.VariableView }
  | { source: 'variable-set'; variable: variableSetVariableStore.VariableSetVariable };

/**
 * Every variable a run of the workspace receives (OpenAPI `listAllVars`: the workspace's own and
 * those inherited from the variable sets that apply), one per category and key by the documented
 * precedence; run variables do not exist here. Values as the lists show them: sensitive ones hidden.
 */
export async function listAccessible(ctx: Ctx, workspaceId: string): Promise<AccessibleVariable[]> {
  const { own, sets } = await candidatesInWorkspace(ctx, workspaceId);
  const ownById = new Map(own.map((view) => [view.variable.id, view]));
  const winners = resolvePrecedence<{ id: string; key: string; category: string }>({ workspace: own.map((view) => view.variable), variableSets: sets });
  return winners.map(({ variable, source }) =>
    source.kind === 'workspace'
      ? { source: 'workspace', view: ownById.get(variable.id) as variableService.VariableView }
      : { source: 'variable-set', variable: variable as variableSetVariableStore.VariableSetVariable },
  );
}
