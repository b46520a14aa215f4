import { authorizeWorkspace, type WorkspaceScopeSelector } from '../auth/authorize.js';
import { callerTeamIds, can } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import { open } from '../crypto/sealing.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { ATTRIBUTES_POINTER, newVariableFields, prepareUpdate, type UpdateVariableInput, type VariableInput } from './rules.js';
import * as variableStore from './store.js';
import { type VariableCategory, withoutSealedValue } from './variable-rows.js';
import type { Paged } from '../db/paging.js';

export type { Variable, VariableWorkspace } from './store.js';

/** A variable and the workspace it belongs to (named in its links). */
export interface VariableView {
  variable: variableStore.Variable;
  workspace: variableStore.VariableWorkspace;
}

/** A workspace by id, or by organization and workspace name (the legacy `/vars` filters). */
export type WorkspaceSelector = WorkspaceScopeSelector;

/** A variable by id, within a workspace (`/workspaces/:id/vars/:id`) or alone (legacy `/vars/:id`). */
export interface VariableSelector {
  variableId: string;
  workspaceId?: string | undefined;
}

function duplicateKey(key: string): InvalidError {
  // 422 as in TFE ("Key has already been taken"); the unique index backs it against races.
  return new InvalidError(`key ${key} has already been taken in this workspace for this category`, { pointer: `${ATTRIBUTES_POINTER}/key` });
}

function variableNotFound(id: string): NotFoundError {
  return new NotFoundError(`variable ${id} not found`);
}

/** The workspace of a variable, authorized for `action`. */
async function authorizedWorkspaceOf(ctx: Ctx, selector: VariableSelector, action: Action): Promise<authStore.WorkspaceScope> {
  if (selector.workspaceId !== undefined) return authorizeWorkspace(ctx, { id: selector.workspaceId }, action);
  const variable = await variableStore.findById(ctx.db, selector.variableId);
  if (!variable) throw variableNotFound(selector.variableId);
  return authorizeWorkspace(ctx, { id: variable.workspaceId }, action);
}

/** A workspace's variables (all of them: TFE does not paginate this list). */
export async function list(ctx: Ctx, selector: WorkspaceSelector): Promise<VariableView[]> {
  const workspace = await authorizeWorkspace(ctx, selector, 'workspace:read-variables');
  const variables = await variableStore.selectByWorkspace(ctx.db, workspace.id);
  return variables.map((variable) => ({ variable, workspace }));
}

/**
 * Where the caller may read variables: whole organizations (or 'all' for a site admin), and the
 * workspaces that these teams reach with variable access in the others.
 */
async function readableScope(ctx: Ctx): Promise<variableStore.ReadableScope> {
  const subject = ctx.subject;
  let candidates: string[];
  if (subject.kind === 'user') {
    if (subject.isSiteAdmin) return { organizationIds: 'all', teamIds: [] };
    candidates = await authStore.userOrganizationIds(ctx.db, subject.userId);
  } else if (subject.kind === 'organization' || subject.kind === 'team') candidates = [subject.organizationId];
  else return { organizationIds: [], teamIds: [] };
  const scope = { organizationIds: [] as string[], teamIds: [] as string[] };
  for (const organizationId of candidates) {
    if (await can(ctx, 'workspace:read-variables', { organizationId })) scope.organizationIds.push(organizationId);
    else scope.teamIds.push(...(await callerTeamIds(ctx, organizationId)));
  }
  return scope;
}

/** Legacy `GET /vars` without filters: every workspace variable the caller may read (variables.mdx "List Variables"). */
export async function listReadable(ctx: Ctx, page: Page): Promise<Paged<VariableView>> {
  const scope = await readableScope(ctx);
  const { variables, total } = await variableStore.selectPageAcrossWorkspaces(ctx.db, scope, { limit: page.size, offset: pageOffset(page) });
  return { items: variables, total };
}

export async function show(ctx: Ctx, selector: VariableSelector): Promise<VariableView> {
  const workspace = await authorizedWorkspaceOf(ctx, selector, 'workspace:read-variables');
  const stored = await variableStore.findById(ctx.db, selector.variableId, { workspaceId: workspace.id });
  if (!stored) throw variableNotFound(selector.variableId);
  return { variable: withoutSealedValue(stored), workspace };
}

/** Creates a variable; a sensitive value is stored sealed only. */
export async function create(ctx: Ctx, selector: WorkspaceSelector, input: VariableInput): Promise<VariableView> {
  const workspace = await authorizeWorkspace(ctx, selector, 'workspace:manage-variables');
  const fields = newVariableFields(ctx.config, input);
  try {
    const variable = await variableStore.insert(ctx.db, { ...fields, id: newId('var'), workspaceId: workspace.id, now: ctx.now() });
    return { variable, workspace };
  } catch (err) {
    if (isUniqueViolation(err, variableStore.WORKSPACE_KEY_CONSTRAINT)) throw duplicateKey(fields.key);
    throw err;
  }
}

/** Updates the given attributes by the rules of `prepareUpdate` (./rules.ts). */
export async function update(ctx: Ctx, selector: VariableSelector, input: UpdateVariableInput): Promise<VariableView> {
  const workspace = await authorizedWorkspaceOf(ctx, selector, 'workspace:manage-variables');
  const fieldsOf = prepareUpdate(ctx.config, input);
  let key = '';
  try {
    const variable = await ctx.db.transaction().execute(async (trx) => {
      const existing = await variableStore.findById(trx, selector.variableId, { workspaceId: workspace.id, forUpdate: true });
      if (!existing) throw variableNotFound(selector.variableId);
      const fields = fieldsOf(existing);
      key = fields.key;
      return variableStore.update(trx, existing.id, { ...fields, now: ctx.now() });
    });
    return { variable, workspace };
  } catch (err) {
    if (isUniqueViolation(err, variableStore.WORKSPACE_KEY_CONSTRAINT)) throw duplicateKey(key);
    throw err;
  }
}

export async function destroy(ctx: Ctx, selector: VariableSelector): Promise<void> {
  const workspace = await authorizedWorkspaceOf(ctx, selector, 'workspace:manage-variables');
  if (!(await variableStore.deleteById(ctx.db, selector.variableId, workspace.id))) throw variableNotFound(selector.variableId);
}

/** A workspace variable with its value in clear, for a run's environment and inputs. */
export interface RunVariable {
  id: string;
  key: string;
  value: string;
  category: VariableCategory;
  hcl: boolean;
  sensitive: boolean;
}

/**
 * A workspace's own variables with sensitive values opened, for internal use (runs, effective
 * variables with variable sets). No authorization: callers check theirs. Never serialize the result.
 */
export async function workspaceVariablesForRun(ctx: Pick<Ctx, 'db' | 'config'>, workspaceId: string): Promise<RunVariable[]> {
  const variables = await variableStore.selectStoredByWorkspace(ctx.db, workspaceId);
  return variables.map((v) => ({
    id: v.id,
    key: v.key,
    value: v.sensitive ? open(ctx.config, v.sealedValue ?? '') : (v.value ?? ''),
    category: v.category,
    hcl: v.hcl,
    sensitive: v.sensitive,
  }));
}
