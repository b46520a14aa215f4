import { type Expression, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { RunRow } from '../db/schema.js';
import { containsPattern } from '../workspaces/rules.js';
import { type Phase, type PhaseRow, type Plan, type PlanRow, toPhase, toPlan } from './phase-store.js';
import { RUNNER_QUEUED_STATUSES, RUNNING_STATUSES } from './schedule-store.js';
import type { RunStatus, TaskStageName } from './state.js';
import { prepared } from '../db/prepared.js';

/**
 * A run as stored, with its workspace's project (authorization needs it) and its task stages (its
 * flow does): what status changes, claims and leases read.
 */
export interface Run {
  /** Its task stages, one per run stage with tasks, fixed when the run was created. */
  taskStages: { id: string; stage: TaskStageName }[];
  id: string;
  workspaceId: string;
  organizationId: string;
  projectId: string;
  configurationVersionId: string | null;
  status: RunStatus;
  message: string;
  source: string;
  triggerReason: string;
  isDestroy: boolean;
  refresh: boolean;
  refreshOnly: boolean;
  replaceAddrs: string[] | null;
  targetAddrs: string[] | null;
  /** Sealed JSON of `[{key, value}]`; null when the run has no variables. */
  sealedVariables: string | null;
  planOnly: boolean;
  autoApply: boolean;
  allowEmptyApply: boolean;
  allowConfigGeneration: boolean;
  savePlan: boolean;
  terraformVersion: string | null;
  debuggingMode: boolean;
  hasChanges: boolean;
  createdById: string | null;
  /** `<status>-at` → ISO time. */
  statusTimestamps: Record<string, string>;
  queuedAt: Date | null;
  runnerLeaseUntil: Date | null;
  cancelRequestedAt: Date | null;
  /** The agent working on the current phase. */
  agentId: string | null;
  /** For a run a run trigger queued: the source workspace's applied run. */
  triggeredByRunId: string | null;
  createdAt: Date;
}

/** A run as the API shows it: with its events and its two phases as they were when the run was read. */
export interface RunWithPhases extends Run {
  /** Its events' ids, oldest first. */
  eventIds: string[];
  plan: Plan;
  apply: Phase;
}

/** The settings a run is created with. */
export type NewRun = Omit<Run, 'projectId' | 'hasChanges' | 'runnerLeaseUntil' | 'cancelRequestedAt' | 'agentId' | 'taskStages'>;

function toRun(row: RunRow & { project_id: string; task_stages: Run['taskStages'] }): Run {
  return {
    id: row.id,
    taskStages: row.task_stages,
    workspaceId: row.workspace_id,
    organizationId: row.organization_id,
    projectId: row.project_id,
    configurationVersionId: row.configuration_version_id,
    status: row.status as RunStatus,
    message: row.message,
    source: row.source,
    triggerReason: row.trigger_reason,
    isDestroy: row.is_destroy,
    refresh: row.refresh,
    refreshOnly: row.refresh_only,
    replaceAddrs: row.replace_addrs,
    targetAddrs: row.target_addrs,
    sealedVariables: row.sealed_variables,
    planOnly: row.plan_only,
    autoApply: row.auto_apply,
    allowEmptyApply: row.allow_empty_apply,
    allowConfigGeneration: row.allow_config_generation,
    savePlan: row.save_plan,
    terraformVersion: row.terraform_version,
    debuggingMode: row.debugging_mode,
    hasChanges: row.has_changes,
    createdById: row.created_by_id,
    statusTimestamps: row.status_timestamps,
    queuedAt: row.queued_at,
    runnerLeaseUntil: row.runner_lease_until,
    cancelRequestedAt: row.cancel_requested_at,
    agentId: row.agent_id,
    triggeredByRunId: row.triggered_by_run_id,
    createdAt: row.created_at,
  };
}

function toRunWithPhases(
  row: RunRow & { project_id: string; task_stages: Run['taskStages']; event_ids: string[]; plan_row: PlanRow; apply_row: PhaseRow },
): RunWithPhases {
  return { ...toRun(row), eventIds: row.event_ids, plan: toPlan(row.plan_row), apply: toPhase('applies', row.apply_row) };
}

/** A run's event ids, oldest first, as a column of its row: a run is shown in one statement with them. */
const EVENT_IDS = sql<string[]>`coalesce((select array_agg(run_events.id order by run_events.seq) from run_events where run_events.run_id = runs.id), '{}')`;
/** A run's task stages in run order, as a column of its row too. */
const TASK_STAGES = sql<
  Run['taskStages']
>`coalesce((select jsonb_agg(jsonb_build_object('id', task_stages.id, 'stage', task_stages.stage) order by array_position(array['pre_plan','post_plan','pre_apply','post_apply'], task_stages.stage)) from task_stages where task_stages.run_id = runs.id), '[]'::jsonb)`;

/**
 * A run's plan and apply rows, as JSON columns of its row (every phase column is a JSON type: text,
 * integers, booleans, jsonb), so that showing a run is one statement.
 */
const PLAN_ROW = sql<PlanRow>`(select to_jsonb(plans) from plans where plans.run_id = runs.id)`;
const APPLY_ROW = sql<PhaseRow>`(select to_jsonb(applies) from applies where applies.run_id = runs.id)`;

/** What a run's row is read with, beside its own columns. */
const RUN_COLUMNS = ['workspaces.project_id', TASK_STAGES.as('task_stages')] as const;
/** And what showing it adds. */
const SHOWN_COLUMNS = [EVENT_IDS.as('event_ids'), PLAN_ROW.as('plan_row'), APPLY_ROW.as('apply_row')] as const;

/** Runs without their events and phases: the runner's and the status changes' reads skip those subqueries. */
function selectRuns(db: Db) {
  return db.selectFrom('runs').innerJoin('workspaces', 'workspaces.id', 'runs.workspace_id').selectAll('runs').select(RUN_COLUMNS);
}

function selectRunsWithPhases(db: Db) {
  return selectRuns(db).select(SHOWN_COLUMNS);
}

export async function insert(db: Db, run: NewRun): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      id: run.id,
      workspace_id: run.workspaceId,
      organization_id: run.organizationId,
      configuration_version_id: run.configurationVersionId,
      status: run.status,
      message: run.message,
      source: run.source,
      trigger_reason: run.triggerReason,
      is_destroy: run.isDestroy,
      refresh: run.refresh,
      refresh_only: run.refreshOnly,
      replace_addrs: run.replaceAddrs && JSON.stringify(run.replaceAddrs),
      target_addrs: run.targetAddrs && JSON.stringify(run.targetAddrs),
      sealed_variables: run.sealedVariables,
      plan_only: run.planOnly,
      auto_apply: run.autoApply,
      allow_empty_apply: run.allowEmptyApply,
      allow_config_generation: run.allowConfigGeneration,
      save_plan: run.savePlan,
      terraform_version: run.terraformVersion,
      debugging_mode: run.debuggingMode,
      created_by_id: run.createdById,
      triggered_by_run_id: run.triggeredByRunId,
      status_timestamps: JSON.stringify(run.statusTimestamps),
      queued_at: run.queuedAt,
      created_at: run.createdAt,
    })
    .execute();
}

/** Whether the workspace has a run that `sourceRunId`'s apply triggered. */
export async function isTriggeredBy(db: Db, workspaceId: string, sourceRunId: string): Promise<boolean> {
  const row = await db
    .selectFrom('runs')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('triggered_by_run_id', '=', sourceRunId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The chain of runs that triggered one another up to `runId`, nearest first: their ids and workspaces. */
export async function triggerChain(db: Db, runId: string): Promise<{ id: string; workspaceId: string }[]> {
  const rows = await sql<{ id: string; workspace_id: string }>`
    WITH RECURSIVE chain (id, workspace_id, triggered_by_run_id, depth) AS (
      SELECT id, workspace_id, triggered_by_run_id, 0 FROM runs WHERE id = ${runId}
      UNION ALL
      SELECT runs.id, runs.workspace_id, runs.triggered_by_run_id, chain.depth + 1
      FROM runs JOIN chain ON runs.id = chain.triggered_by_run_id
      WHERE chain.depth < 1000
    )
    SELECT id, workspace_id FROM chain ORDER BY depth`.execute(db);
  return rows.rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id }));
}

export async function findById(db: Db, id: string): Promise<Run | undefined> {
  const row = await prepared(selectRuns(db).where('runs.id', '=', id)).executeTakeFirst();
  return row && toRun(row);
}

/** A run to show, in one statement (clients poll it). */
export async function findWithPhasesById(db: Db, id: string): Promise<RunWithPhases | undefined> {
  const row = await prepared(selectRunsWithPhases(db).where('runs.id', '=', id)).executeTakeFirst();
  return row && toRunWithPhases(row);
}

/** Runs by id, in the order of `ids`; unknown ids are left out. */
export async function findManyById(db: Db, ids: readonly string[]): Promise<Run[]> {
  if (ids.length === 0) return [];
  return inOrder(ids, (await selectRuns(db).where('runs.id', 'in', ids).execute()).map(toRun));
}

/** Runs to show by id, in the order of `ids`; unknown ids are left out. */
export async function findManyWithPhasesById(db: Db, ids: readonly string[]): Promise<RunWithPhases[]> {
  if (ids.length === 0) return [];
  return inOrder(ids, (await selectRunsWithPhases(db).where('runs.id', 'in', ids).execute()).map(toRunWithPhases));
}

function inOrder<R extends { id: string }>(ids: readonly string[], runs: R[]): R[] {
  const byId = new Map(runs.map((run) => [run.id, run]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Only the status of each run by id, for lists that show it beside something else. */
export async function findStatuses(db: Db, ids: readonly string[]): Promise<{ id: string; workspaceId: string; status: RunStatus }[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('runs').select(['id', 'workspace_id', 'status']).where('id', 'in', ids).execute();
  return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id, status: row.status as RunStatus }));
}

/** The ids of the runs of a workspace or an organization that have not ended. */
export async function findUnfinishedIds(
  db: Db,
  scope: { workspaceId: string } | { organizationId: string },
  finalStatuses: readonly RunStatus[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('runs')
    .select('id')
    .where('status', 'not in', finalStatuses)
    .$call((q) => ('workspaceId' in scope ? q.where('workspace_id', '=', scope.workspaceId) : q.where('organization_id', '=', scope.organizationId)))
    .execute();
  return rows.map((row) => row.id);
}

/** The run's workspace, without locking anything: the first step of taking locks in workspace-then-run order. */
export async function workspaceIdOf(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('runs').select('workspace_id').where('id', '=', id).executeTakeFirst();
  return row?.workspace_id;
}

/** Locks the run's row for the rest of the transaction. */
export async function findForUpdate(db: Db, id: string): Promise<Run | undefined> {
  const row = await selectRuns(db).where('runs.id', '=', id).forUpdate('runs').executeTakeFirst();
  return row && toRun(row);
}

/** What a status change writes; undefined leaves a column as it is. */
export interface RunChanges {
  status?: RunStatus;
  statusTimestamps?: Record<string, string>;
  queuedAt?: Date | null;
  cancelRequestedAt?: Date | null;
  hasChanges?: boolean;
  /** Seconds from the database's clock (shared by every replica); null clears the lease. */
  leaseSeconds?: number | null;
}

export async function update(db: Db, id: string, changes: RunChanges): Promise<void> {
  const lease =
    changes.leaseSeconds === undefined ? undefined : changes.leaseSeconds === null ? null : sql<Date>`now() + make_interval(secs => ${changes.leaseSeconds})`;
  await db
    .updateTable('runs')
    .set({
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.statusTimestamps !== undefined ? { status_timestamps: JSON.stringify(changes.statusTimestamps) } : {}),
      ...(changes.queuedAt !== undefined ? { queued_at: changes.queuedAt } : {}),
      ...(changes.cancelRequestedAt !== undefined ? { cancel_requested_at: changes.cancelRequestedAt } : {}),
      ...(changes.hasChanges !== undefined ? { has_changes: changes.hasChanges } : {}),
      ...(lease !== undefined ? { runner_lease_until: lease } : {}),
    })
    .where('id', '=', id)
    .execute();
}

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
export type RunScope = { workspaceId: string } | { organizationId: string; teamIds?: readonly string[] | undefined };

function filtered(db: Db, scope: RunScope, filter: RunFilter) {
  let query = db
    .selectFrom('runs')
    .innerJoin('workspaces', 'workspaces.id', 'runs.workspace_id')
    .leftJoin('users as creator', 'creator.id', 'runs.created_by_id');
  if ('workspaceId' in scope) query = query.where('runs.workspace_id', '=', scope.workspaceId);
  else {
    query = query.where('runs.organization_id', '=', scope.organizationId);
    const teamIds = scope.teamIds;
    if (teamIds !== undefined) {
      // Team access to the workspace or to its project: every level reads runs (permissions.mdx, "read runs" is the minimum).
      query =
        teamIds.length === 0
          ? query.where(sql<SqlBool>`false`)
          : query.where((eb) =>
              eb.or([
                eb('runs.workspace_id', 'in', db.selectFrom('team_workspaces').select('workspace_id').where('team_id', 'in', teamIds)),
                eb('workspaces.project_id', 'in', db.selectFrom('team_projects').select('project_id').where('team_id', 'in', teamIds)),
              ]),
            );
    }
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
    query = query.where((eb) => eb.or([eb('runs.id', 'ilike', pattern), eb('runs.message', 'ilike', pattern), eb('creator.username', 'ilike', pattern)]));
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
