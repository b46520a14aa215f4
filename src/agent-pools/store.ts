import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { AgentPoolTable, DB } from '../db/schema.js';
import { camelized, lookupsById, selectWithOrganizationName, fromWithOrganization } from '../db/rows.js';

/** The case-insensitive unique index on a pool's name in its organization (migration 0011). */
export const NAME_CONSTRAINT = 'agent_pools_name_key';

export interface AgentPool {
  id: string;
  organizationId: string;
  organizationName: string;
  name: string;
  /** true: every workspace of the organization may use the pool (except excluded ones). */
  organizationScoped: boolean;
  createdAt: Date;
  /** Agents that last reported idle or busy: idle, busy and unknown ones (agents.mdx `agent-count`). */
  agentCount: number;
}

/** The workspaces and projects a pool is scoped to: OpenAPI `allowed-workspaces`, `allowed-projects`, `excluded-workspaces`. */
export interface PoolScope {
  allowedWorkspaceIds: string[];
  allowedProjectIds: string[];
  excludedWorkspaceIds: string[];
}

/** The tables that hold a pool's scope, by the relationship they serve. */
export const SCOPE_TABLES = {
  allowedWorkspaceIds: 'agent_pool_allowed_workspaces',
  allowedProjectIds: 'agent_pool_allowed_projects',
  excludedWorkspaceIds: 'agent_pool_excluded_workspaces',
} as const;

type PoolRecord = { id: string; organization_id: string; organization_name: string; name: string; organization_scoped: boolean; created_at: Date } & {
  agent_count: number | string | null;
};

function toAgentPool(row: PoolRecord): AgentPool {
  return { ...camelized(row), agentCount: Number(row.agent_count ?? 0) };
}

/** Statuses an agent reports while it lives; `unknown` is one of them with an old ping (agents/service.ts). */
const LIVE_STATUSES = ['idle', 'busy'];

function selectPools(db: Db) {
  return selectWithOrganizationName(db, 'agent_pools').select((eb) =>
    eb
      .selectFrom('agents')
      .select((inner) => inner.fn.countAll<number>().as('n'))
      .whereRef('agents.agent_pool_id', '=', 'agent_pools.id')
      .where('agents.status', 'in', LIVE_STATUSES)
      .as('agent_count'),
  );
}

export const { findById, findManyById } = lookupsById(selectPools, 'agent_pools.id', toAgentPool);

/**
 * Whether the pool (a reference to `agent_pools`) serves a workspace of this project: organization-scoped,
 * the workspace allowed, or its project allowed; an excluded workspace only by being allowed itself.
 */
function usableBy(eb: ExpressionBuilder<DB, 'agent_pools'>, workspaceId: string, projectId: string): Expression<SqlBool> {
  const listed = (table: 'agent_pool_allowed_workspaces' | 'agent_pool_excluded_workspaces') =>
    eb.exists(
      eb
        .selectFrom(table)
        .select(sql.lit(1).as('one'))
        .whereRef(`${table}.agent_pool_id`, '=', 'agent_pools.id')
        .where(`${table}.workspace_id`, '=', workspaceId),
    );
  const projectAllowed = eb.exists(
    eb
      .selectFrom('agent_pool_allowed_projects')
      .select(sql.lit(1).as('one'))
      .whereRef('agent_pool_allowed_projects.agent_pool_id', '=', 'agent_pools.id')
      .where('agent_pool_allowed_projects.project_id', '=', projectId),
  );
  return eb.or([
    listed('agent_pool_allowed_workspaces'),
    eb.and([eb.or([eb('agent_pools.organization_scoped', '=', true), projectAllowed]), eb.not(listed('agent_pool_excluded_workspaces'))]),
  ]);
}

/** Whether the pool serves the workspace (see usableBy). */
export async function isUsableBy(db: Db, poolId: string, workspace: { id: string; projectId: string }): Promise<boolean> {
  const row = await db
    .selectFrom('agent_pools')
    .select('id')
    .where('id', '=', poolId)
    .where((eb) => usableBy(eb, workspace.id, workspace.projectId))
    .executeTakeFirst();
  return row !== undefined;
}

export type AgentPoolSortField = 'name' | 'created-at';

export interface AgentPoolFilter {
  /** `q`: name contains, ignoring case. */
  search?: string | undefined;
  /** `filter[allowed_workspaces][name]`, resolved: only pools this workspace may use. */
  usableBy?: { id: string; projectId: string } | undefined;
  /** `filter[allowed_projects][name]`, resolved: only organization-scoped pools and those allowing this project. */
  allowingProjectId?: string | undefined;
}

function filtered(db: Db, organizationId: string, filter: AgentPoolFilter) {
  let query = selectPools(db).where('agent_pools.organization_id', '=', organizationId);
  if (filter.search !== undefined) query = query.where('agent_pools.name', 'ilike', `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const workspace = filter.usableBy;
  if (workspace) query = query.where((eb) => usableBy(eb, workspace.id, workspace.projectId));
  const projectId = filter.allowingProjectId;
  if (projectId !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('agent_pools.organization_scoped', '=', true),
        eb.exists(
          eb
            .selectFrom('agent_pool_allowed_projects')
            .select(sql.lit(1).as('one'))
            .whereRef('agent_pool_allowed_projects.agent_pool_id', '=', 'agent_pools.id')
            .where('agent_pool_allowed_projects.project_id', '=', projectId),
        ),
      ]),
    );
  }
  return query;
}

const SORT_COLUMNS = { name: sql`lower(agent_pools.name)`, 'created-at': sql.ref('agent_pools.created_at') } as const;

/** A page of the organization's pools matching `filter`, the number matching, and the number in the organization (`status-counts`). */
export async function selectPage(
  db: Db,
  organizationId: string,
  filter: AgentPoolFilter,
  sort: { field: AgentPoolSortField; descending: boolean },
  window: PageWindow,
): Promise<{ pools: AgentPool[]; matching: number; total: number }> {
  const direction = sql.raw(sort.descending ? 'desc' : 'asc');
  const ordered = filtered(db, organizationId, filter).orderBy(sql`${SORT_COLUMNS[sort.field]} ${direction}`).orderBy('agent_pools.id');
  const [page, total] = await Promise.all([pageAndTotal(ordered, window), countInOrganization(db, organizationId)]);
  return { pools: page.rows.map(toAgentPool), matching: page.total, total };
}

export async function countInOrganization(db: Db, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('agent_pools')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The scopes of these pools, in one query per table. */
export async function scopesOf(db: Db, poolIds: readonly string[]): Promise<Map<string, PoolScope>> {
  const scopes = new Map<string, PoolScope>(poolIds.map((id) => [id, { allowedWorkspaceIds: [], allowedProjectIds: [], excludedWorkspaceIds: [] }]));
  if (poolIds.length === 0) return scopes;
  const [allowedWorkspaces, allowedProjects, excludedWorkspaces] = await Promise.all([
    db
      .selectFrom('agent_pool_allowed_workspaces')
      .select(['agent_pool_id', 'workspace_id as id'])
      .where('agent_pool_id', 'in', poolIds)
      .orderBy('workspace_id')
      .execute(),
    db
      .selectFrom('agent_pool_allowed_projects')
      .select(['agent_pool_id', 'project_id as id'])
      .where('agent_pool_id', 'in', poolIds)
      .orderBy('project_id')
      .execute(),
    db
      .selectFrom('agent_pool_excluded_workspaces')
      .select(['agent_pool_id', 'workspace_id as id'])
      .where('agent_pool_id', 'in', poolIds)
      .orderBy('workspace_id')
      .execute(),
  ]);
  for (const row of allowedWorkspaces) scopes.get(row.agent_pool_id)?.allowedWorkspaceIds.push(row.id);
  for (const row of allowedProjects) scopes.get(row.agent_pool_id)?.allowedProjectIds.push(row.id);
  for (const row of excludedWorkspaces) scopes.get(row.agent_pool_id)?.excludedWorkspaceIds.push(row.id);
  return scopes;
}

/**
 * The pool a workspace runs on, in SQL: its own pool in its own `agent` mode, the organization's default
 * pool when it follows an `agent` default, none otherwise. The rule of workspaces/execution.ts `executionOf`.
 */
export function effectivePoolId(eb: ExpressionBuilder<DB, 'workspaces' | 'organizations'>) {
  const organizationUsesAgents = sql<boolean>`organizations.settings->>'default-execution-mode' = 'agent'`;
  return eb
    .case()
    .when('workspaces.execution_mode', '=', 'agent')
    .then(eb.ref('workspaces.agent_pool_id'))
    .when(eb.and([eb('workspaces.execution_mode', 'is', null), organizationUsesAgents]))
    .then(eb.ref('organizations.default_agent_pool_id'))
    .else(sql<string | null>`null`)
    .end();
}

/** The workspaces that run on these pools (the pools' `workspaces` relationship), by pool. */
export async function workspacesRunningOn(db: Db, poolIds: readonly string[]): Promise<Map<string, string[]>> {
  const byPool = new Map<string, string[]>(poolIds.map((id) => [id, []]));
  if (poolIds.length === 0) return byPool;
  const rows = await fromWithOrganization(db, 'workspaces')
    .select((eb) => ['workspaces.id', effectivePoolId(eb).as('pool_id')])
    .where((eb) => eb(effectivePoolId(eb), 'in', poolIds))
    .orderBy('workspaces.id')
    .execute();
  for (const row of rows) if (row.pool_id) byPool.get(row.pool_id)?.push(row.id);
  return byPool;
}

/** How many workspaces name the pool as theirs, and whether it is its organization's default: what keeps it from being deleted. */
export async function usage(db: Db, poolId: string): Promise<{ workspaces: number; isOrganizationDefault: boolean }> {
  const [workspaces, defaults] = await Promise.all([
    db
      .selectFrom('workspaces')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('agent_pool_id', '=', poolId)
      .executeTakeFirstOrThrow(),
    db.selectFrom('organizations').select('id').where('default_agent_pool_id', '=', poolId).executeTakeFirst(),
  ]);
  return { workspaces: Number(workspaces.n), isOrganizationDefault: defaults !== undefined };
}

/** Of these ids, those of workspaces (or projects) in the organization. */
export async function existingInOrganization(db: Db, table: 'workspaces' | 'projects', organizationId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom(table).select('id').where('organization_id', '=', organizationId).where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** A workspace of the organization by name, for the list filter. */
export async function findWorkspaceByName(db: Db, organizationId: string, name: string): Promise<{ id: string; projectId: string } | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .select(['id', 'project_id'])
    .where('organization_id', '=', organizationId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row && { id: row.id, projectId: row.project_id };
}

/** A project of the organization by name (names are unique ignoring case), for the list filter. */
export async function findProjectIdByName(db: Db, organizationId: string, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('projects')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
  return row?.id;
}

export async function insert(db: Db, pool: { id: string; organizationId: string; name: string; organizationScoped: boolean; now: Date }): Promise<void> {
  await db
    .insertInto('agent_pools')
    .values({ id: pool.id, organization_id: pool.organizationId, name: pool.name, organization_scoped: pool.organizationScoped, created_at: pool.now })
    .execute();
}

export async function update(db: Db, id: string, changes: { name?: string | undefined; organizationScoped?: boolean | undefined }): Promise<void> {
  const columns: Partial<Record<keyof AgentPoolTable, unknown>> = { name: changes.name, organization_scoped: changes.organizationScoped };
  const set = Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length > 0) await db.updateTable('agent_pools').set(set).where('id', '=', id).execute();
}

/** Replaces one of the pool's scope lists with `ids`. */
export async function replaceScope(db: Db, poolId: string, list: keyof PoolScope, ids: readonly string[]): Promise<void> {
  const table = SCOPE_TABLES[list];
  await db.deleteFrom(table).where('agent_pool_id', '=', poolId).execute();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  if (table === 'agent_pool_allowed_projects') {
    await db
      .insertInto(table)
      .values(unique.map((id) => ({ agent_pool_id: poolId, project_id: id })))
      .execute();
  } else {
    await db
      .insertInto(table)
      .values(unique.map((id) => ({ agent_pool_id: poolId, workspace_id: id })))
      .execute();
  }
}

/** Locks the pool's row for the rest of the transaction; false when it is gone. */
export async function lockForDelete(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('agent_pools').select('id').where('id', '=', id).forUpdate().executeTakeFirst()) !== undefined;
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('agent_pools').where('id', '=', id).execute();
}
