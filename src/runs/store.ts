import { sql } from 'kysely';
import type { RunId, WorkspaceId } from '../ids.js';
import type { Db } from '../db/database.js';
import type { RunRow } from '../db/schema.js';
import { type Phase, type PhaseRow, type Plan, type PlanRow, toPhase, toPlan } from './phase-store.js';
import type { RunStatus, TaskStageName } from './state.js';
import { prepared } from '../db/prepared.js';

/**
 * A run as stored, with its workspace's project (authorization needs it) and its task stages (its
 * flow does): what status changes, claims and leases read.
 */
export interface Run {
  /** Its task stages, one per run stage with tasks, fixed when the run was created. */
  taskStages: { id: string; stage: TaskStageName }[];
  id: RunId;
  workspaceId: WorkspaceId;
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
  /** When the agent took the phase it holds (its first heartbeat); null before, and between phases. */
  runnerAcceptedAt: Date | null;
  cancelRequestedAt: Date | null;
  /** The agent working on the current phase. */
  agentId: string | null;
  /** For a run a run trigger queued: the source workspace's applied run. */
  triggeredByRunId: RunId | null;
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
export type NewRun = Omit<Run, 'projectId' | 'hasChanges' | 'runnerLeaseUntil' | 'runnerAcceptedAt' | 'cancelRequestedAt' | 'agentId' | 'taskStages'>;

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
    runnerAcceptedAt: row.runner_accepted_at,
    cancelRequestedAt: row.cancel_requested_at,
    agentId: row.agent_id,
    triggeredByRunId: row.triggered_by_run_id,
    createdAt: row.created_at,
  };
}

export function toRunWithPhases(
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
export const RUN_COLUMNS = ['workspaces.project_id', TASK_STAGES.as('task_stages')] as const;
/** And what showing it adds. */
export const SHOWN_COLUMNS = [EVENT_IDS.as('event_ids'), PLAN_ROW.as('plan_row'), APPLY_ROW.as('apply_row')] as const;

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
export async function isTriggeredBy(db: Db, workspaceId: WorkspaceId, sourceRunId: RunId): Promise<boolean> {
  const row = await db
    .selectFrom('runs')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('triggered_by_run_id', '=', sourceRunId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The chain of runs that triggered one another up to `runId`, nearest first: their ids and workspaces. */
export async function triggerChain(db: Db, runId: RunId): Promise<{ id: RunId; workspaceId: WorkspaceId }[]> {
  const rows = await sql<{ id: RunId; workspace_id: WorkspaceId }>`
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

export async function findById(db: Db, id: RunId): Promise<Run | undefined> {
  const row = await prepared(selectRuns(db).where('runs.id', '=', id)).executeTakeFirst();
  return row && toRun(row);
}

/** A run to show, in one statement (clients poll it). */
export async function findWithPhasesById(db: Db, id: RunId): Promise<RunWithPhases | undefined> {
  const row = await prepared(selectRunsWithPhases(db).where('runs.id', '=', id)).executeTakeFirst();
  return row && toRunWithPhases(row);
}

/** Runs by id, in the order of `ids`; unknown ids are left out. */
export async function findManyById(db: Db, ids: readonly RunId[]): Promise<Run[]> {
  if (ids.length === 0) return [];
  return inOrder(ids, (await selectRuns(db).where('runs.id', 'in', ids).execute()).map(toRun));
}

/** Runs to show by id, in the order of `ids`; unknown ids are left out. */
export async function findManyWithPhasesById(db: Db, ids: readonly RunId[]): Promise<RunWithPhases[]> {
  if (ids.length === 0) return [];
  return inOrder(ids, (await selectRunsWithPhases(db).where('runs.id', 'in', ids).execute()).map(toRunWithPhases));
}

function inOrder<R extends { id: RunId }>(ids: readonly RunId[], runs: R[]): R[] {
  const byId = new Map(runs.map((run) => [run.id, run]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Only the status of each run by id, for lists that show it beside something else. */
export async function findStatuses(db: Db, ids: readonly RunId[]): Promise<{ id: RunId; workspaceId: WorkspaceId; status: RunStatus }[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('runs').select(['id', 'workspace_id', 'status']).where('id', 'in', ids).execute();
  return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id, status: row.status as RunStatus }));
}

/** The ids of the runs of a workspace or an organization that have not ended. */
export async function findUnfinishedIds(
  db: Db,
  scope: { workspaceId: WorkspaceId } | { organizationId: string },
  finalStatuses: readonly RunStatus[],
): Promise<RunId[]> {
  const rows = await db
    .selectFrom('runs')
    .select('id')
    .where('status', 'not in', finalStatuses)
    .$call((q) => ('workspaceId' in scope ? q.where('workspace_id', '=', scope.workspaceId) : q.where('organization_id', '=', scope.organizationId)))
    .execute();
  return rows.map((row) => row.id);
}

/** The run's workspace, without locking anything: the first step of taking locks in workspace-then-run order. */
export async function workspaceIdOf(db: Db, id: RunId): Promise<WorkspaceId | undefined> {
  const row = await db.selectFrom('runs').select('workspace_id').where('id', '=', id).executeTakeFirst();
  return row?.workspace_id;
}

/** Locks the run's row for the rest of the transaction. */
export async function findForUpdate(db: Db, id: RunId): Promise<Run | undefined> {
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

export async function update(db: Db, id: RunId, changes: RunChanges): Promise<void> {
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
      // A new lease (or none) is a new holder, who has not accepted the phase yet.
      ...(lease !== undefined ? { runner_lease_until: lease, runner_accepted_at: null } : {}),
    })
    .where('id', '=', id)
    .execute();
}
