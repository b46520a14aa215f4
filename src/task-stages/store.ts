import { type Selectable, sql } from 'kysely';
import type { RunId } from '../ids.js';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { TaskStageName } from '../runs/state.js';
import type { EnforcementLevel } from '../run-tasks/store.js';
import { camelized, lookupsById, type RowOf } from '../db/rows.js';
import type { DB } from '../db/schema.js';
import type { Paged } from '../db/paging.js';

/** Task stages, their results and the results' outcomes (run-task-stages-and-results.mdx). */

export const STAGE_STATUSES = ['pending', 'running', 'passed', 'failed', 'awaiting_override', 'canceled', 'errored', 'unreachable'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];
export const RESULT_STATUSES = ['pending', 'running', 'passed', 'failed', 'errored', 'canceled', 'unreachable'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** A result in one of these has its answer: nothing changes it any more. */
export const FINAL_RESULT_STATUSES: readonly ResultStatus[] = ['passed', 'failed', 'errored', 'canceled', 'unreachable'];
const OPEN_STAGE_STATUSES: readonly StageStatus[] = ['pending', 'running', 'awaiting_override'];

export interface TaskStage {
  id: string;
  runId: RunId;
  stage: TaskStageName;
  status: StageStatus;
  statusTimestamps: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  /** Its results' ids, in task order. */
  resultIds: string[];
  /** Its policy evaluation's id, as a list: the post-plan stage of a workspace with policy sets has one. */
  policyEvaluationIds: string[];
}

export interface TaskResult {
  id: string;
  taskStageId: string;
  runId: RunId;
  stage: TaskStageName;
  /** Its run is plan-only. */
  isSpeculative: boolean;
  taskId: string | null;
  taskName: string;
  taskUrl: string;
  workspaceTaskId: string | null;
  enforcementLevel: EnforcementLevel;
  status: ResultStatus;
  message: string | null;
  url: string | null;
  statusTimestamps: Record<string, string>;
  lastUpdateAt: Date | null;
  outcomeIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface Outcome {
  id: string;
  taskResultId: string;
  outcomeId: string;
  description: string;
  body: string | null;
  url: string | null;
  tags: Record<string, { label: string; level?: string }[]> | null;
  createdAt: Date;
}

/** A task a new run's stage calls, as the run's creation finds it. */
export interface PlannedResult {
  taskId: string;
  taskName: string;
  taskUrl: string;
  workspaceTaskId: string | null;
  enforcementLevel: EnforcementLevel;
}

const RESULT_IDS = sql<
  string[]
>`coalesce((select array_agg(task_results.id order by task_results.position) from task_results where task_results.task_stage_id = task_stages.id), '{}')`;

const POLICY_EVALUATION_IDS = sql<
  string[]
>`coalesce((select array_agg(policy_evaluations.id) from policy_evaluations where policy_evaluations.task_stage_id = task_stages.id), '{}')`;

function selectStages(db: Db) {
  return db
    .selectFrom('task_stages')
    .selectAll('task_stages')
    .select([RESULT_IDS.as('result_ids'), POLICY_EVALUATION_IDS.as('policy_evaluation_ids')]);
}

function toStage(row: RowOf<typeof selectStages>): TaskStage {
  return { ...camelized(row), stage: row.stage as TaskStageName, status: row.status as StageStatus };
}

const OUTCOME_IDS = sql<
  string[]
>`coalesce((select array_agg(task_result_outcomes.id order by task_result_outcomes.position) from task_result_outcomes where task_result_outcomes.task_result_id = task_results.id), '{}')`;

function selectResults(db: Db) {
  return db
    .selectFrom('task_results')
    .innerJoin('task_stages', 'task_stages.id', 'task_results.task_stage_id')
    .innerJoin('runs', 'runs.id', 'task_stages.run_id')
    .selectAll('task_results')
    .select(['task_stages.run_id', 'task_stages.stage', 'runs.plan_only', OUTCOME_IDS.as('outcome_ids')]);
}

function toResult({ plan_only, ...row }: RowOf<typeof selectResults>): TaskResult {
  return {
    ...camelized(row),
    stage: row.stage as TaskStageName,
    isSpeculative: plan_only,
    enforcementLevel: row.enforcement_level as EnforcementLevel,
    status: row.status as ResultStatus,
  };
}

/** Creates a run's stages, each with its pending results. */
export async function insertStages(
  db: Db,
  runId: RunId,
  stages: readonly { id: string; stage: TaskStageName; results: readonly (PlannedResult & { id: string })[] }[],
  now: Date,
): Promise<void> {
  if (stages.length === 0) return;
  const timestamps = JSON.stringify({ 'pending-at': now.toISOString() });
  await db
    .insertInto('task_stages')
    .values(stages.map((s) => ({ id: s.id, run_id: runId, stage: s.stage, status_timestamps: timestamps, created_at: now, updated_at: now })))
    .execute();
  // A post-plan stage may have no task, only a policy evaluation.
  if (stages.every((s) => s.results.length === 0)) return;
  await db
    .insertInto('task_results')
    .values(
      stages.flatMap((s) =>
        s.results.map((r, position) => ({
          id: r.id,
          task_stage_id: s.id,
          task_id: r.taskId,
          task_name: r.taskName,
          task_url: r.taskUrl,
          workspace_task_id: r.workspaceTaskId,
          enforcement_level: r.enforcementLevel,
          status_timestamps: timestamps,
          position,
          created_at: now,
          updated_at: now,
        })),
      ),
    )
    .execute();
}

export const { findById: findStage, findManyById: findStages } = lookupsById(selectStages, 'task_stages.id', toStage);

/** Locks the stage row: a stage's outcome is decided by one transaction at a time. */
export async function findStageForUpdate(db: Db, runId: RunId, stage: TaskStageName): Promise<TaskStage | undefined> {
  const row = await selectStages(db).where('task_stages.run_id', '=', runId).where('task_stages.stage', '=', stage).forUpdate().executeTakeFirst();
  return row && toStage(row);
}

export async function pageStagesOfRun(db: Db, runId: RunId, window: PageWindow): Promise<Paged<TaskStage>> {
  const query = selectStages(db)
    .where('task_stages.run_id', '=', runId)
    .orderBy(sql`array_position(array['pre_plan','post_plan','pre_apply','post_apply'], task_stages.stage)`);
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toStage), total };
}

export async function setStageStatus(db: Db, stage: Pick<TaskStage, 'id' | 'statusTimestamps'>, status: StageStatus, now: Date): Promise<void> {
  await db
    .updateTable('task_stages')
    .set({
      status,
      status_timestamps: JSON.stringify({ ...stage.statusTimestamps, [`${status.replaceAll('_', '-')}-at`]: now.toISOString() }),
      updated_at: now,
    })
    .where('id', '=', stage.id)
    .execute();
}

/** The run's stages that have not ended, for a run that ends. */
export async function openStagesOfRun(db: Db, runId: RunId): Promise<TaskStage[]> {
  return (await selectStages(db).where('task_stages.run_id', '=', runId).where('task_stages.status', 'in', OPEN_STAGE_STATUSES).execute()).map(toStage);
}

export async function findResult(db: Db, id: string): Promise<TaskResult | undefined> {
  const row = await selectResults(db).where('task_results.id', '=', id).executeTakeFirst();
  return row && toResult(row);
}

export async function findResults(db: Db, ids: readonly string[]): Promise<TaskResult[]> {
  if (ids.length === 0) return [];
  return (await selectResults(db).where('task_results.id', 'in', ids).orderBy('task_results.position').execute()).map(toResult);
}

export async function resultsOfStage(db: Db, stageId: string): Promise<TaskResult[]> {
  return (await selectResults(db).where('task_results.task_stage_id', '=', stageId).orderBy('task_results.position').execute()).map(toResult);
}

export async function findResultForUpdate(db: Db, id: string): Promise<TaskResult | undefined> {
  const row = await selectResults(db).where('task_results.id', '=', id).forUpdate('task_results').executeTakeFirst();
  return row && toResult(row);
}

export interface ResultChanges {
  status?: ResultStatus;
  message?: string | null;
  url?: string | null;
  lastUpdateAt?: Date;
}

/** Writes a result's changes; a new status gets its `<status>-at` timestamp. */
export async function updateResult(db: Db, result: Pick<TaskResult, 'id' | 'statusTimestamps'>, changes: ResultChanges, now: Date): Promise<void> {
  const timestamps = changes.status === undefined ? undefined : { ...result.statusTimestamps, [`${changes.status}-at`]: now.toISOString() };
  await db
    .updateTable('task_results')
    .set({
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(timestamps ? { status_timestamps: JSON.stringify(timestamps) } : {}),
      ...(changes.message !== undefined ? { message: changes.message } : {}),
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.lastUpdateAt !== undefined ? { last_update_at: changes.lastUpdateAt } : {}),
      updated_at: now,
    })
    .where('id', '=', result.id)
    .execute();
}

/** Ends every result of the stage that has no answer yet with `status` (a canceled run, a stage given up). */
export async function endOpenResults(db: Db, stageId: string, status: ResultStatus, message: string, now: Date): Promise<void> {
  await db
    .updateTable('task_results')
    .set({
      status,
      message,
      status_timestamps: sql`status_timestamps || jsonb_build_object(${`${status}-at`}::text, ${now.toISOString()}::text)`,
      updated_at: now,
    })
    .where('task_stage_id', '=', stageId)
    .where('status', 'not in', FINAL_RESULT_STATUSES)
    .execute();
}

/** Replaces a result's outcomes with those of the latest callback that sent some. */
export async function replaceOutcomes(db: Db, resultId: string, outcomes: readonly Omit<Outcome, 'taskResultId' | 'createdAt'>[], now: Date): Promise<void> {
  await db.deleteFrom('task_result_outcomes').where('task_result_id', '=', resultId).execute();
  if (outcomes.length === 0) return;
  await db
    .insertInto('task_result_outcomes')
    .values(
      outcomes.map((o, position) => ({
        id: o.id,
        task_result_id: resultId,
        position,
        outcome_id: o.outcomeId,
        description: o.description,
        body: o.body,
        url: o.url,
        tags: o.tags === null ? null : JSON.stringify(o.tags),
        created_at: now,
      })),
    )
    .execute();
}

function toOutcome(row: Selectable<DB['task_result_outcomes']>): Outcome {
  return camelized(row);
}

export async function findOutcomes(db: Db, ids: readonly string[]): Promise<Outcome[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('task_result_outcomes').selectAll().where('id', 'in', ids).orderBy('position').execute()).map(toOutcome);
}

export async function pageOutcomes(db: Db, resultId: string, window: PageWindow): Promise<Paged<Outcome>> {
  const query = db.selectFrom('task_result_outcomes').selectAll().where('task_result_id', '=', resultId).orderBy('position');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toOutcome), total };
}
