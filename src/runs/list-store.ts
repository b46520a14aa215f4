import { type Expression, type SqlBool, sql } from 'kysely';
import type { WorkspaceId } from '../ids.js';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { reachedByTeams } from '../workspaces/list-store.js';
import { containsPattern } from '../workspaces/rules.js';
import { RUNNER_QUEUED_STATUSES, RUNNING_STATUSES } from './schedule-store.js';
import type { RunStatus } from './state.js';
import { RUN_COLUMNS, type RunWithPhases, SHOWN_COLUMNS, toRunWithPhases } from './store.js';

/** Run lists: a workspace's or an organization's runs by filter, the organization's line for runners, its capacity. */

/** A run list's `filter[…]` and `search[…]` (run.mdx "List Runs in a Workspace"); each given one narrows the list. */
export interface RunFilter {
  statuses?: readonly RunStatus[] | undefined;
  operations?: readonly RunOperation[] | undefined;
  sources?: readonly string[] | undefined;
  /** Created at or after. */
  createdFrom?: Date | undefined;
  /** Created before. */
  createdBefore?: Date | undefined;
  /** Exact username of the creator. */
  user?: string | undefined;
  /** Matches nothing: no run has a commit without VCS. */
  commit?: string | undefined;
  /** Run id, message or creator username, contains (case-insensitive). */
  basic?: string | undefined;
  workspaceNames?: readonly string[] | undefined;
}

/**
 * run.mdx "Run Operations". A run has one: the first that applies in this order. `action_only` (runs
 * invoking Terraform actions, seeds/002 run.md) is known so that a filter listing every operation works,
 * and matches no run: Terrace does not tell action invocations apart.
 */
export const RUN_OPERATIONS = ['plan_only', 'save_plan', 'refresh_only', 'destroy', 'empty_apply', 'plan_and_apply', 'action_only'] as const;
export type RunOperation = (typeof RUN_OPERATIONS)[number];

const OPERATION_COLUMNS = {
  plan_only: 'runs.plan_only',
  save_plan: 'runs.save_plan',
  refresh_only: 'runs.refresh_only',
  destroy: 'runs.is_destroy',
  empty_apply: 'runs.allow_empty_apply',
} as const;

/** The runs performing `operation`: its flag set and no earlier operation's. */
function operationIs(operation: RunOperation): Expression<SqlBool> {
  if (operation === 'action_only') return sql<SqlBool>`false`;
  const order = Object.keys(OPERATION_COLUMNS) as (keyof typeof OPERATION_COLUMNS)[];
  const index = operation === 'plan_and_apply' ? order.length : order.indexOf(operation);
  const earlier = order.slice(0, index).map((op) => sql`NOT ${sql.ref(OPERATION_COLUMNS[op])}`);
  const own = operation === 'plan_and_apply' ? [] : [sql.ref(OPERATION_COLUMNS[operation])];
  return sql<SqlBool>`(${sql.join([...earlier, ...own, sql`true`], sql` AND `)})`;
}

/** The runs of a workspace, or of an organization (optionally only those of workspaces that `teamIds` reach). */
export type RunScope = { workspaceId: WorkspaceId } | { organizationId: string; teamIds?: readonly string[] | undefined };

function filtered(db: Db, scope: RunScope, filter: RunFilter) {
  let query = db
    .selectFrom('runs')
    .innerJoin('workspaces', 'workspaces.id', 'runs.workspace_id')
    .leftJoin('users as creator', 'creator.id', 'runs.created_by_id');
  if ('workspaceId' in scope) query = query.where('runs.workspace_id', '=', scope.workspaceId);
  else {
    query = query.where('runs.organization_id', '=', scope.organizationId);
    // Every level of team access reads runs (permissions.mdx, "read runs" is the minimum).
    if (scope.teamIds !== undefined) query = query.where(reachedByTeams(db, scope.teamIds));
  }
  if (filter.statuses) query = query.where('runs.status', 'in', filter.statuses.length > 0 ? filter.statuses : ['']);
  if (filter.operations) {
    const operations = filter.operations;
    query = query.where((eb) => eb.or(operations.map(operationIs)));
  }
  if (filter.sources) query = query.where('runs.source', 'in', filter.sources.length > 0 ? filter.sources : ['']);
  if (filter.createdFrom) query = query.where('runs.created_at', '>=', filter.createdFrom);
  if (filter.createdBefore) query = query.where('runs.created_at', '<', filter.createdBefore);
  if (filter.workspaceNames) query = query.where('workspaces.name', 'in', filter.workspaceNames.length > 0 ? filter.workspaceNames : ['']);
  if (filter.commit !== undefined) query = query.where(sql<SqlBool>`false`);
  if (filter.user !== undefined) query = query.where('creator.username', '=', filter.user);
  if (filter.basic !== undefined) {
    const pattern = containsPattern(filter.basic);
    query = query.where((eb) => eb.or([eb(sql.ref<string>('runs.id'), 'ilike', pattern), eb('runs.message', 'ilike', pattern), eb('creator.username', 'ilike', pattern)]));
  }
  return query;
}

/** A page of runs, newest first, and whether another page follows; the total only when `withTotal`. */
export async function selectPage(
  db: Db,
  scope: RunScope,
  filter: RunFilter,
  window: PageWindow,
  withTotal: boolean,
): Promise<{ runs: RunWithPhases[]; hasMore: boolean; total: number | undefined }> {
  const ordered = filtered(db, scope, filter)
    .selectAll('runs')
    .select(RUN_COLUMNS)
    .select(SHOWN_COLUMNS)
    .orderBy('runs.created_at', 'desc')
    .orderBy('runs.id', 'desc');
  // One row past the page says whether another follows.
  const lookahead = { limit: window.limit + 1, offset: window.offset };
  const { rows, total } = withTotal
    ? await pageAndTotal(ordered, lookahead)
    : { rows: await ordered.limit(lookahead.limit).offset(lookahead.offset).execute(), total: undefined };
  return { runs: rows.slice(0, window.limit).map(toRunWithPhases), hasMore: rows.length > window.limit, total };
}

/**
 * A page of the organization's line for runners (the CLI's "Waiting for N queued run(s)", cli-protocol.md
 * §6.9): runs planning or applying first, with position 0, then those waiting for a runner in claim
 * order, each positioned by the number of the organization's runs ahead of it. Positions count every
 * run of the organization; `scope` only decides which of them the page shows.
 */
export async function selectQueuePage(
  db: Db,
  scope: RunScope & { organizationId: string },
  window: PageWindow,
): Promise<{ runs: { run: RunWithPhases; position: number }[]; total: number }> {
  const lineStatuses = [...RUNNING_STATUSES, ...RUNNER_QUEUED_STATUSES];
  const position = sql<number>`CASE WHEN runs.status IN (${sql.join(RUNNING_STATUSES)}) THEN 0 ELSE
    (SELECT count(*) FROM runs ahead WHERE ahead.organization_id = runs.organization_id AND (
      ahead.status IN (${sql.join(RUNNING_STATUSES)})
      OR (ahead.status IN (${sql.join(RUNNER_QUEUED_STATUSES)}) AND (ahead.queued_at, ahead.id) < (runs.queued_at, runs.id))))
    END`;
  const line = filtered(db, scope, { statuses: lineStatuses })
    .selectAll('runs')
    .select(RUN_COLUMNS)
    .select(SHOWN_COLUMNS)
    .select(position.as('position'))
    .orderBy('position')
    .orderBy('runs.queued_at')
    .orderBy('runs.id');
  const { rows, total } = await pageAndTotal(line, window);
  return { runs: rows.map((row) => ({ run: toRunWithPhases(row), position: Number(row.position) })), total };
}

/** The organization's runs planning or applying, and those waiting for a runner (`organization-capacity`). */
export async function countCapacity(db: Db, organizationId: string): Promise<{ running: number; pending: number }> {
  const row = await db
    .selectFrom('runs')
    .select([
      sql<number>`count(*) FILTER (WHERE status IN (${sql.join(RUNNING_STATUSES)}))`.as('running'),
      sql<number>`count(*) FILTER (WHERE status IN (${sql.join(RUNNER_QUEUED_STATUSES)}))`.as('pending'),
    ])
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return { running: Number(row.running), pending: Number(row.pending) };
}
