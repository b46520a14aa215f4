import { authorize, filterPermitted } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as agentPoolStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { AgentPool, AgentPoolSortField, PoolScope } from './store.js';

/**
 * Agent pools (agents.mdx): a group of agents of one organization, and the workspaces that may run on
 * it. Who reads every workspace reads the pools (a pool lists the workspaces running on it); owners,
 * the organization token and teams with "Manage Agent Pools" manage them (permissions.mdx).
 */

/** A pool as the API shows it: its scope and the workspaces running on it. */
export interface AgentPoolView {
  pool: agentPoolStore.AgentPool;
  scope: agentPoolStore.PoolScope;
  workspaceIds: string[];
}

/** Letters, digits, `-` and `_` (agents.mdx "Create an Agent Pool"); the docs give no length, TFE's identifiers stop at 255. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;

const ATTRIBUTES = '/data/attributes';

function validateName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new InvalidError('name must be 1 to 255 letters, digits, "-" and "_"', { pointer: `${ATTRIBUTES}/name` });
}

function duplicateName(name: string): InvalidError {
  return new InvalidError(`name ${name} has already been taken`, { pointer: `${ATTRIBUTES}/name` });
}

/** The wire name of each scope list, for pointers. */
export const SCOPE_RELATIONSHIPS: Record<keyof agentPoolStore.PoolScope, string> = {
  allowedWorkspaceIds: 'allowed-workspaces',
  allowedProjectIds: 'allowed-projects',
  excludedWorkspaceIds: 'excluded-workspaces',
};

async function viewsOf(ctx: Ctx, pools: readonly agentPoolStore.AgentPool[]): Promise<AgentPoolView[]> {
  const ids = pools.map((p) => p.id);
  const [scopes, workspaces] = await Promise.all([agentPoolStore.scopesOf(ctx.db, ids), agentPoolStore.workspacesRunningOn(ctx.db, ids)]);
  return pools.map((pool) => ({ pool, scope: scopes.get(pool.id) as agentPoolStore.PoolScope, workspaceIds: workspaces.get(pool.id) ?? [] }));
}

const targetOf = (pool: agentPoolStore.AgentPool) => ({ organizationId: pool.organizationId, description: `agent pool ${pool.id}` });

/** Loads a pool and checks `action` on its organization; unknown and not permitted are the same 404. */
export async function findAuthorized(ctx: Ctx, id: string, action: Action): Promise<agentPoolStore.AgentPool> {
  const pool = await agentPoolStore.findById(ctx.db, id);
  if (!pool) throw new NotFoundError(`agent pool ${id} not found`);
  await authorize(ctx, action, targetOf(pool));
  return pool;
}

/** Views of the pools by id that the caller may read, for `include=`, in one query; the others are left out. */
export async function readableViews(ctx: Ctx, ids: readonly string[]): Promise<AgentPoolView[]> {
  return viewsOf(ctx, await filterPermitted(ctx, 'agent-pool:read', await agentPoolStore.findManyById(ctx.db, ids), targetOf));
}

export async function show(ctx: Ctx, id: string): Promise<AgentPoolView> {
  const [view] = await viewsOf(ctx, [await findAuthorized(ctx, id, 'agent-pool:read')]);
  return view as AgentPoolView;
}

export interface ListOptions {
  search?: string | undefined;
  /** `filter[allowed_workspaces][name]`: pools this workspace may use. */
  allowedWorkspaceName?: string | undefined;
  /** `filter[allowed_projects][name]` (go-tfe): organization-scoped pools and those allowing this project. */
  allowedProjectName?: string | undefined;
  sort: { field: agentPoolStore.AgentPoolSortField; descending: boolean };
  page: Page;
}

/** The organization's pools (agents.mdx "List Agent Pools"), with `status-counts`: how many there are and how many match. */
export async function list(ctx: Ctx, organizationName: string, options: ListOptions): Promise<Paged<AgentPoolView> & { organizationTotal: number }> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'agent-pool:read');
  const filter: agentPoolStore.AgentPoolFilter = { search: options.search };
  const none = async () => ({ items: [], total: 0, organizationTotal: await agentPoolStore.countInOrganization(ctx.db, org.id) });
  if (options.allowedWorkspaceName !== undefined) {
    filter.usableBy = await agentPoolStore.findWorkspaceByName(ctx.db, org.id, options.allowedWorkspaceName);
    if (!filter.usableBy) return none();
  }
  if (options.allowedProjectName !== undefined) {
    filter.allowingProjectId = await agentPoolStore.findProjectIdByName(ctx.db, org.id, options.allowedProjectName);
    if (!filter.allowingProjectId) return none();
  }
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const { pools, matching, total } = await agentPoolStore.selectPage(ctx.db, org.id, filter, options.sort, window);
  return { items: await viewsOf(ctx, pools), total: matching, organizationTotal: total };
}

/** A create or update request; undefined leaves a setting (or a scope list) as it is, or at its default on create. */
export interface AgentPoolInput extends Partial<agentPoolStore.PoolScope> {
  name?: string | undefined;
  organizationScoped?: boolean | undefined;
}

/** Refuses scope ids that are not workspaces (projects) of the organization, with a pointer to the first. */
async function checkScope(ctx: Ctx, organizationId: string, input: AgentPoolInput): Promise<void> {
  for (const list of Object.keys(SCOPE_RELATIONSHIPS) as (keyof agentPoolStore.PoolScope)[]) {
    const ids = input[list];
    if (ids === undefined) continue;
    const known = await agentPoolStore.existingInOrganization(ctx.db, list === 'allowedProjectIds' ? 'projects' : 'workspaces', organizationId, ids);
    const index = ids.findIndex((id) => !known.has(id));
    if (index >= 0) {
      const kind = list === 'allowedProjectIds' ? 'project' : 'workspace';
      throw new InvalidError(`${kind} ${ids[index]} not found in this organization`, {
        pointer: `/data/relationships/${SCOPE_RELATIONSHIPS[list]}/data/${index}/id`,
      });
    }
  }
}

async function writeScope(ctx: Ctx, poolId: string, input: AgentPoolInput): Promise<void> {
  for (const list of Object.keys(SCOPE_RELATIONSHIPS) as (keyof agentPoolStore.PoolScope)[]) {
    const ids = input[list];
    if (ids !== undefined) await agentPoolStore.replaceScope(ctx.db, poolId, list, ids);
  }
}

/** Creates a pool; organization-scoped unless said otherwise (agents.mdx "Create an Agent Pool"). */
export async function create(ctx: Ctx, organizationName: string, input: AgentPoolInput): Promise<AgentPoolView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'agent-pool:manage');
  if (input.name === undefined) throw new InvalidError('name is required', { pointer: `${ATTRIBUTES}/name` });
  validateName(input.name);
  await checkScope(ctx, org.id, input);
  const id = newId('apool');
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await agentPoolStore.insert(trx, {
        id,
        organizationId: org.id,
        name: input.name as string,
        organizationScoped: input.organizationScoped ?? true,
        now: ctx.now(),
      });
      await writeScope({ ...ctx, db: trx }, id, input);
    });
  } catch (err) {
    if (isUniqueViolation(err, agentPoolStore.NAME_CONSTRAINT)) throw duplicateName(input.name);
    throw err;
  }
  return show(ctx, id);
}

/** Renames, rescopes, or replaces the scope lists given (an empty list clears one). */
export async function update(ctx: Ctx, id: string, input: AgentPoolInput): Promise<AgentPoolView> {
  const pool = await findAuthorized(ctx, id, 'agent-pool:manage');
  if (input.name !== undefined) validateName(input.name);
  await checkScope(ctx, pool.organizationId, input);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await agentPoolStore.update(trx, pool.id, { name: input.name, organizationScoped: input.organizationScoped });
      await writeScope({ ...ctx, db: trx }, pool.id, input);
    });
  } catch (err) {
    if (isUniqueViolation(err, agentPoolStore.NAME_CONSTRAINT)) throw duplicateName(input.name ?? pool.name);
    throw err;
  }
  return show(ctx, pool.id);
}

/**
 * Deletes a pool with its agent tokens and agents. A pool that workspaces name as theirs, or that is
 * the organization's default, is refused (409): their runs would have nowhere to go.
 */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const pool = await findAuthorized(ctx, id, 'agent-pool:manage');
  await ctx.db.transaction().execute(async (trx) => {
    // The row lock conflicts with the key-share lock of a workspace being assigned the pool at the same time:
    // that assignment either committed before the count, or waits and then fails its foreign key check.
    if (!(await agentPoolStore.lockForDelete(trx, pool.id))) throw new NotFoundError(`agent pool ${id} not found`);
    const usage = await agentPoolStore.usage(trx, pool.id);
    if (usage.isOrganizationDefault) {
      throw new ConflictError(`agent pool ${pool.name} is the organization's default agent pool; choose another default first`);
    }
    if (usage.workspaces > 0) {
      throw new ConflictError(`agent pool ${pool.name} is used by ${usage.workspaces} workspace(s); move them to another execution mode or pool first`);
    }
    await agentPoolStore.deleteById(trx, pool.id);
  });
}

/**
 * Checks that a workspace may run on the pool (workspaces.mdx `agent-pool-id`): the pool is one of the
 * workspace's organization, and organization-scoped or allowing the workspace or its project. Raises a
 * 422 at `pointer` otherwise; the caller's right to change the workspace is all that is needed.
 */
export async function checkUsableBy(
  ctx: Ctx,
  poolId: string,
  workspace: { id: string; organizationId: string; projectId: string },
  pointer: string,
): Promise<void> {
  const pool = await agentPoolStore.findById(ctx.db, poolId);
  if (!pool || pool.organizationId !== workspace.organizationId) throw new InvalidError(`agent pool ${poolId} not found in this organization`, { pointer });
  if (!(await agentPoolStore.isUsableBy(ctx.db, pool.id, workspace))) {
    throw new InvalidError(`agent pool ${pool.name} does not allow this workspace; add it (or its project) to the pool's allowed workspaces`, { pointer });
  }
}
