import { type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { RunId, WorkspaceId } from '../ids.js';
import { effectivePoolId } from '../agent-pools/store.js';
import type { Db } from '../db/database.js';
import type { DB } from '../db/schema.js';
import type { LockHolder } from '../workspaces/store.js';
import { isActive, RUN_STATUSES, type RunStatus, statusesFrom } from './state.js';

/** The queue's queries: which run holds a workspace, which waits next, which a runner takes. */

/** Statuses a runner works in: each one occupies a slot of the organization's concurrency limit. */
export const RUNNING_STATUSES: readonly RunStatus[] = ['planning', 'applying'];
/** Statuses waiting for a runner. */
export const RUNNER_QUEUED_STATUSES: readonly RunStatus[] = ['plan_queued', 'apply_queued'];

const ACTIVE_STATUSES = RUN_STATUSES.filter(isActive);
/** A saved plan only holds its workspace once someone applied it and it got the workspace (run.mdx "Run Operations", `save_plan`). */
const SAVED_PLAN_HOLDING_STATUSES: readonly RunStatus[] = statusesFrom('pre_apply_running', 'post_apply_completed');
/** Runs created by a configuration version upload (auto-queue-runs): what `queue-all-runs` holds back. */
export const CONFIGURATION_VERSION_SOURCE = 'tfe-configuration-version';

/** The run holds its workspace: the one non-speculative run between leaving the queue and ending. */
function holdsWorkspace(eb: ExpressionBuilder<DB, 'runs'>) {
  return eb.and([
    eb('runs.plan_only', '=', false),
    eb('runs.status', 'in', ACTIVE_STATUSES),
    eb.or([eb('runs.save_plan', '=', false), eb('runs.status', 'in', SAVED_PLAN_HOLDING_STATUSES)]),
  ]);
}

/**
 * The run waits for its workspace: a pending run that is neither speculative nor a saved plan (those
 * plan at once, in parallel), or a saved plan someone applied (`confirmed`).
 */
function waitsForWorkspace(eb: ExpressionBuilder<DB, 'runs'>) {
  return eb.or([
    eb.and([eb('runs.status', '=', 'pending'), eb('runs.plan_only', '=', false), eb('runs.save_plan', '=', false)]),
    eb.and([eb('runs.status', '=', 'confirmed'), eb('runs.save_plan', '=', true)]),
  ]);
}

export interface LockedWorkspace {
  id: WorkspaceId;
  lockedBy: LockHolder | null;
  queueAllRuns: boolean;
}

/** Locks the workspace row: scheduling of one workspace happens one transaction at a time. */
export async function lockWorkspace(db: Db, workspaceId: WorkspaceId): Promise<LockedWorkspace | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .select(['id', 'locked_by_kind', 'locked_by_id', 'queue_all_runs'])
    .where('id', '=', workspaceId)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      lockedBy: row.locked_by_kind && row.locked_by_id ? { kind: row.locked_by_kind as LockHolder['kind'], id: row.locked_by_id } : null,
      queueAllRuns: row.queue_all_runs,
    }
  );
}

/** The run holding the workspace, if any. */
export async function findHolder(db: Db, workspaceId: WorkspaceId): Promise<RunId | undefined> {
  const row = await db.selectFrom('runs').select('id').where('workspace_id', '=', workspaceId).where(holdsWorkspace).executeTakeFirst();
  return row?.id;
}

/**
 * The runs waiting for the workspace, first in line first. With `queue-all-runs` off, a run queued by
 * a configuration version waits until a run was queued another way before it (workspaces.mdx
 * "queue-all-runs"); until then it is skipped, not in the way.
 */
export async function waitingRuns(db: Db, workspace: LockedWorkspace, limit?: number): Promise<{ id: RunId; status: RunStatus }[]> {
  let query = db
    .selectFrom('runs')
    .select(['runs.id', 'runs.status'])
    .where('runs.workspace_id', '=', workspace.id)
    .where(waitsForWorkspace)
    .orderBy('runs.queued_at')
    .orderBy('runs.created_at')
    .orderBy('runs.id');
  if (!workspace.queueAllRuns) {
    query = query.where((eb) =>
      eb.or([
        eb('runs.source', '<>', CONFIGURATION_VERSION_SOURCE),
        eb.exists(
          eb
            .selectFrom('runs as manual')
            .select('manual.id')
            .whereRef('manual.workspace_id', '=', 'runs.workspace_id')
            .where('manual.source', '<>', CONFIGURATION_VERSION_SOURCE)
            .whereRef('manual.created_at', '<=', 'runs.created_at'),
        ),
      ]),
    );
  }
  if (limit !== undefined) query = query.limit(limit);
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, status: row.status as RunStatus }));
}

export async function setCurrentRun(db: Db, workspaceId: WorkspaceId, runId: RunId): Promise<void> {
  await db.updateTable('workspaces').set({ current_run_id: runId }).where('id', '=', workspaceId).execute();
}

export async function setLatestRun(db: Db, workspaceId: WorkspaceId, runId: RunId): Promise<void> {
  await db.updateTable('workspaces').set({ latest_run_id: runId }).where('id', '=', workspaceId).execute();
}

/**
 * Whether the run's workspace executes on `pool`'s agents (an agent pool's id) or, for `null`, on the
 * server's built-in runner: the workspace's effective pool (agent-pools/store.ts) is that pool, or
 * none (any mode but `agent`).
 */
function executesOn(pool: string | null) {
  return (eb: ExpressionBuilder<DB, 'runs'>) =>
    eb.exists(
      eb
        .selectFrom('workspaces')
        .innerJoin('organizations', 'organizations.id', 'workspaces.organization_id')
        .select('workspaces.id')
        .whereRef('workspaces.id', '=', 'runs.workspace_id')
        .where((inner) => (pool === null ? inner(effectivePoolId(inner), 'is', null) : inner(effectivePoolId(inner), '=', pool))),
    );
}

/**
 * Locks the oldest run waiting for a runner of `pool` (see executesOn) whose organization has fewer
 * than `limit` runs planning or applying. SKIP LOCKED lets replicas and agents claim at once without
 * waiting on each other.
 */
export async function lockNextQueued(db: Db, limit: number, pool: string | null): Promise<{ id: RunId; organizationId: string } | undefined> {
  const row = await db
    .selectFrom('runs')
    .select(['runs.id', 'runs.organization_id'])
    .where('runs.status', 'in', RUNNER_QUEUED_STATUSES)
    .where(executesOn(pool))
    .where((eb) =>
      eb(
        eb
          .selectFrom('runs as running')
          .select((inner) => inner.fn.countAll<number>().as('n'))
          .whereRef('running.organization_id', '=', 'runs.organization_id')
          .where('running.status', 'in', RUNNING_STATUSES),
        '<',
        limit,
      ),
    )
    .orderBy('runs.queued_at')
    .orderBy('runs.id')
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return row && { id: row.id, organizationId: row.organization_id };
}

/**
 * The organization's runs planning or applying, counted under a lock of the organization's row:
 * two replicas claiming for one organization take turns, so the limit holds exactly.
 */
export async function countRunningLocked(db: Db, organizationId: string): Promise<number> {
  await db.selectFrom('organizations').select('id').where('id', '=', organizationId).forUpdate().execute();
  const row = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .where('status', 'in', RUNNING_STATUSES)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Renews the lease of a run a runner still works on, the first renewal recording that the runner
 * accepted the phase; false when the run is no longer planning or applying.
 */
export async function renewLease(db: Db, runId: RunId, leaseSeconds: number): Promise<boolean> {
  const result = await db
    .updateTable('runs')
    .set({ runner_lease_until: sql<Date>`now() + make_interval(secs => ${leaseSeconds})`, runner_accepted_at: sql<Date>`coalesce(runner_accepted_at, now())` })
    .where('id', '=', runId)
    .where('status', 'in', RUNNING_STATUSES)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Runs whose runner stopped renewing the lease (the database's clock decides). */
export async function expiredLeases(db: Db): Promise<RunId[]> {
  const rows = await db.selectFrom('runs').select('id').where('runner_lease_until', '<', sql<Date>`now()`).where('status', 'in', RUNNING_STATUSES).execute();
  return rows.map((row) => row.id);
}

/**
 * Milliseconds (on the database's clock) until the earliest lease of a running run or module test
 * run ends, the reaper's next moment to look; undefined when none is held.
 */
export async function msUntilEarliestLeaseEnd(db: Db): Promise<number | undefined> {
  const leases = db
    .selectFrom('runs')
    .select('runner_lease_until as lease_end')
    .where('status', 'in', RUNNING_STATUSES)
    .where('runner_lease_until', 'is not', null)
    .unionAll(db.selectFrom('test_runs').select('runner_lease_until as lease_end').where('status', '=', 'running').where('runner_lease_until', 'is not', null));
  const row = await db
    .selectFrom(leases.as('leases'))
    .select(sql<number | null>`extract(epoch from min(lease_end) - now()) * 1000`.as('ms'))
    .executeTakeFirst();
  return row?.ms == null ? undefined : Number(row.ms);
}

/** Whether the run's lease has expired, read under the run's lock. */
export async function leaseExpired(db: Db, runId: RunId): Promise<boolean> {
  const row = await db.selectFrom('runs').select(sql<SqlBool>`runner_lease_until < now()`.as('expired')).where('id', '=', runId).executeTakeFirst();
  return row?.expired === true;
}
