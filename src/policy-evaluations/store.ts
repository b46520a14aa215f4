import { type Selectable, sql } from 'kysely';
import type { RunId } from '../ids.js';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { DB, StoredPolicyOutcome, StoredResultCount } from '../db/schema.js';
import { camelized, lookupsById, type RowOf } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

export type { StoredPolicyOutcome, StoredResultCount } from '../db/schema.js';

/** policy-evaluations.mdx and go-tfe's PolicyEvaluationStatus. */
export const EVALUATION_STATUSES = ['pending', 'queued', 'running', 'passed', 'failed', 'errored', 'overridden', 'canceled', 'unreachable'] as const;
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];
export const FINAL_EVALUATION_STATUSES: readonly EvaluationStatus[] = ['passed', 'failed', 'errored', 'overridden', 'canceled', 'unreachable'];

export const NO_RESULTS: StoredResultCount = { 'advisory-failed': 0, 'mandatory-failed': 0, passed: 0, errored: 0 };

export interface PolicyEvaluation {
  id: string;
  taskStageId: string;
  runId: RunId;
  status: EvaluationStatus;
  resultCount: StoredResultCount;
  statusTimestamps: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface PolicySetOutcome {
  id: string;
  policyEvaluationId: string;
  policySetName: string;
  policySetDescription: string | null;
  overridable: boolean;
  error: string;
  outcomes: StoredPolicyOutcome[];
  resultCount: StoredResultCount;
  createdAt: Date;
}

function selectEvaluations(db: Db) {
  return db
    .selectFrom('policy_evaluations')
    .innerJoin('task_stages', 'task_stages.id', 'policy_evaluations.task_stage_id')
    .selectAll('policy_evaluations')
    .select('task_stages.run_id');
}

function toEvaluation(row: RowOf<typeof selectEvaluations>): PolicyEvaluation {
  return { ...camelized(row), status: row.status as EvaluationStatus };
}

export async function insert(db: Db, evaluation: { id: string; taskStageId: string; now: Date }): Promise<void> {
  await db
    .insertInto('policy_evaluations')
    .values({
      id: evaluation.id,
      task_stage_id: evaluation.taskStageId,
      status: 'pending',
      result_count: JSON.stringify(NO_RESULTS),
      status_timestamps: JSON.stringify({}),
      created_at: evaluation.now,
      updated_at: evaluation.now,
    })
    .execute();
}

export const { findById, findManyById } = lookupsById(selectEvaluations, 'policy_evaluations.id', toEvaluation);

/** The stage's evaluation, locked: its status changes in one transaction at a time. */
export async function findByStageForUpdate(db: Db, taskStageId: string): Promise<PolicyEvaluation | undefined> {
  const row = await selectEvaluations(db).where('policy_evaluations.task_stage_id', '=', taskStageId).forUpdate().executeTakeFirst();
  return row && toEvaluation(row);
}

export async function pageOfStage(db: Db, taskStageId: string, window: PageWindow): Promise<Paged<PolicyEvaluation>> {
  const { rows, total } = await pageAndTotal(
    selectEvaluations(db).where('policy_evaluations.task_stage_id', '=', taskStageId).orderBy('policy_evaluations.id'),
    window,
  );
  return { items: rows.map(toEvaluation), total };
}

export async function setStatus(
  db: Db,
  evaluation: Pick<PolicyEvaluation, 'id' | 'statusTimestamps'>,
  status: EvaluationStatus,
  now: Date,
  resultCount?: StoredResultCount,
): Promise<void> {
  await db
    .updateTable('policy_evaluations')
    .set({
      status,
      status_timestamps: JSON.stringify({ ...evaluation.statusTimestamps, [`${status}-at`]: now.toISOString() }),
      updated_at: now,
      ...(resultCount ? { result_count: JSON.stringify(resultCount) } : {}),
    })
    .where('id', '=', evaluation.id)
    .execute();
}

export async function insertOutcomes(
  db: Db,
  evaluationId: string,
  outcomes: readonly Omit<PolicySetOutcome, 'policyEvaluationId' | 'createdAt'>[],
  now: Date,
): Promise<void> {
  if (outcomes.length === 0) return;
  await db
    .insertInto('policy_set_outcomes')
    .values(
      outcomes.map((o, position) => ({
        id: o.id,
        policy_evaluation_id: evaluationId,
        position,
        policy_set_name: o.policySetName,
        policy_set_description: o.policySetDescription,
        overridable: o.overridable,
        error: o.error,
        outcomes: JSON.stringify(o.outcomes),
        result_count: JSON.stringify(o.resultCount),
        created_at: now,
      })),
    )
    .execute();
}

function toOutcome(row: Selectable<DB['policy_set_outcomes']>): PolicySetOutcome {
  return camelized(row);
}

export async function findOutcomes(db: Db, ids: readonly string[]): Promise<PolicySetOutcome[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('policy_set_outcomes').selectAll().where('id', 'in', ids).execute()).map(toOutcome);
}

/** A filter of policy-evaluations.mdx "List Policy Outcomes": a set matches when one of its outcomes does. */
export interface OutcomeFilter {
  status: 'passed' | 'failed' | 'errored';
  enforcementLevel?: 'advisory' | 'mandatory' | undefined;
}

export async function pageOutcomes(db: Db, evaluationId: string, filters: readonly OutcomeFilter[], window: PageWindow): Promise<Paged<PolicySetOutcome>> {
  let query = db.selectFrom('policy_set_outcomes').selectAll().where('policy_evaluation_id', '=', evaluationId);
  if (filters.length > 0) {
    // jsonb containment: {"status": …, "enforcement_level": …} inside one element of `outcomes`.
    query = query.where((eb) =>
      eb.or(
        filters.map(
          (f) =>
            sql<boolean>`outcomes @> ${JSON.stringify([{ status: f.status, ...(f.enforcementLevel && f.status !== 'errored' ? { enforcement_level: f.enforcementLevel } : {}) }])}::jsonb`,
        ),
      ),
    );
  }
  const { rows, total } = await pageAndTotal(query.orderBy('position'), window);
  return { items: rows.map(toOutcome), total };
}
