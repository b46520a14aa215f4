import { allowedActions, can } from '../auth/authorize.js';
import * as tokenStore from '../auth/token-store.js';
import type { Ctx, Log } from '../context.js';
import type { Db } from '../db/database.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { newId, type RunId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as policyEvaluationStore from '../policy-evaluations/store.js';
import { advance, changeStatus, inRunTransaction, lockRun } from '../runs/schedule.js';
import * as runService from '../runs/service.js';
import { type RunStatus, TASK_STAGE_RUNNING } from '../runs/state.js';
import * as runStore from '../runs/store.js';
import * as taskStageStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { Outcome, ResultStatus, StageStatus, TaskResult, TaskStage } from './store.js';

/**
 * Task stages and results (run-task-stages-and-results.mdx): reading them with the run, the override of
 * a failed mandatory post-plan stage, the integration's callback (run-tasks-integration.mdx "Run Task
 * Callback"), and the one rule that decides a stage once every result has its answer.
 */

/** A stage as the caller sees it: whether they may override, and whether it can be overridden now. */
export interface TaskStageView {
  stage: taskStageStore.TaskStage;
  canOverride: boolean;
}

/** Overriding a failed mandatory stage: "Manage Policy Overrides" (permissions.mdx), which task stages share with policies. */
const OVERRIDE_ACTION = 'workspace:manage-policy-overrides';

/** The runs among `runIds` whose runs the caller may read. */
async function readableRuns(ctx: Ctx, runIds: readonly RunId[]): Promise<Map<string, runStore.Run>> {
  const readable = new Map<string, runStore.Run>();
  for (const run of await runStore.findManyById(ctx.db, [...new Set(runIds)])) {
    if (await can(ctx, 'workspace:read-runs', runService.targetOf(run))) readable.set(run.id, run);
  }
  return readable;
}

async function stageViews(ctx: Ctx, stages: readonly taskStageStore.TaskStage[]): Promise<TaskStageView[]> {
  const runs = await readableRuns(
    ctx,
    stages.map((s) => s.runId),
  );
  const views: TaskStageView[] = [];
  for (const stage of stages) {
    const run = runs.get(stage.runId);
    if (run) views.push({ stage, canOverride: (await allowedActions(ctx, runService.targetOf(run))).has(OVERRIDE_ACTION) });
  }
  return views;
}

export async function showStage(ctx: Ctx, id: string): Promise<TaskStageView> {
  const stage = await taskStageStore.findStage(ctx.db, id);
  const [view] = stage ? await stageViews(ctx, [stage]) : [];
  if (!view) throw new NotFoundError(`task stage ${id} not found`);
  return view;
}

export async function visibleStages(ctx: Ctx, ids: readonly string[]): Promise<TaskStageView[]> {
  return stageViews(ctx, await taskStageStore.findStages(ctx.db, ids));
}

export async function listStages(ctx: Ctx, runId: string, page: Page): Promise<Paged<TaskStageView>> {
  const run = await runService.findAuthorized(ctx, runId, 'workspace:read-runs');
  const { items: stages, total } = await taskStageStore.pageStagesOfRun(ctx.db, run.id, { limit: page.size, offset: pageOffset(page) });
  return { items: await stageViews(ctx, stages), total };
}

export async function visibleResults(ctx: Ctx, ids: readonly string[]): Promise<taskStageStore.TaskResult[]> {
  const results = await taskStageStore.findResults(ctx.db, ids);
  const runs = await readableRuns(
    ctx,
    results.map((r) => r.runId),
  );
  return results.filter((r) => runs.has(r.runId));
}

export async function showResult(ctx: Ctx, id: string): Promise<taskStageStore.TaskResult> {
  const [result] = await visibleResults(ctx, [id]);
  if (!result) throw new NotFoundError(`task result ${id} not found`);
  return result;
}

export async function listOutcomes(ctx: Ctx, resultId: string, page: Page): Promise<Paged<taskStageStore.Outcome>> {
  const result = await showResult(ctx, resultId);
  return taskStageStore.pageOutcomes(ctx.db, result.id, { limit: page.size, offset: pageOffset(page) });
}

export async function visibleOutcomes(ctx: Ctx, ids: readonly string[]): Promise<taskStageStore.Outcome[]> {
  const outcomes = await taskStageStore.findOutcomes(ctx.db, ids);
  const results = new Set((await visibleResults(ctx, [...new Set(outcomes.map((o) => o.taskResultId))])).map((r) => r.id));
  return outcomes.filter((o) => results.has(o.taskResultId));
}

export async function showOutcome(ctx: Ctx, id: string): Promise<taskStageStore.Outcome> {
  const [outcome] = await visibleOutcomes(ctx, [id]);
  if (!outcome) throw new NotFoundError(`task result outcome ${id} not found`);
  return outcome;
}

/** An outcome's markdown body; 404 when the integration sent none. */
export async function outcomeBody(ctx: Ctx, id: string): Promise<string> {
  const { body } = await showOutcome(ctx, id);
  if (body === null) throw new NotFoundError(`task result outcome ${id} has no body`);
  return body;
}

/**
 * Overrides a stage waiting for it: the failed mandatory tasks are let through and the run goes on
 * as if the stage had passed (run-task-stages-and-results.mdx "Override a Task Stage"). 403 without
 * the override permission, 409 when the stage does not wait for one.
 */
export async function override(ctx: Ctx, id: string, comment: string | undefined): Promise<TaskStageView> {
  const view = await showStage(ctx, id);
  if (!view.canOverride) throw new ForbiddenError(`overriding task stage ${id} needs permission to manage policy overrides`);
  await inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, view.stage.runId);
    const stage = await taskStageStore.findStageForUpdate(trx, run.id, view.stage.stage);
    if (stage?.status !== 'awaiting_override' || run.status !== 'post_plan_awaiting_decision') {
      throw new ConflictError(`task stage ${id} is ${stage?.status ?? 'gone'}: only a stage awaiting an override can be overridden`);
    }
    const now = ctx.now();
    await taskStageStore.setStageStatus(trx, stage, 'passed', now);
    const evaluation = await policyEvaluationStore.findByStageForUpdate(trx, stage.id);
    if (evaluation?.status === 'failed') await policyEvaluationStore.setStatus(trx, evaluation, 'overridden', now);
    const actorId = ctx.subject.kind === 'user' ? ctx.subject.userId : null;
    const completed = await changeStatus(trx, run, 'post_plan_completed', { now, actorId, description: comment ?? 'Failed mandatory checks overridden' });
    await advance(trx, completed, { now });
  });
  return showStage(ctx, id);
}

/** What an integration, the delivery or the timeout tells of a result. */
export interface ResultReport {
  status: Exclude<taskStageStore.ResultStatus, 'pending'>;
  message?: string | undefined;
  url?: string | undefined;
  /** Replace the result's outcomes; undefined keeps them. */
  outcomes?: Omit<taskStageStore.Outcome, 'id' | 'taskResultId' | 'createdAt'>[] | undefined;
}

const FINAL: ReadonlySet<taskStageStore.ResultStatus> = new Set(taskStageStore.FINAL_RESULT_STATUSES);

/**
 * Records a report on a result that has no answer yet; returns false when it already had one. A final
 * answer revokes the result's access token and, when it was the stage's last, decides the stage. Takes
 * the run's locks first, as every run transaction does, then the result's.
 */
export async function reportResult(ctx: { db: Db; log?: Log | undefined; now: () => Date }, resultId: string, report: ResultReport): Promise<boolean> {
  const known = await taskStageStore.findResult(ctx.db, resultId);
  if (!known) throw new NotFoundError(`task result ${resultId} not found`);
  return inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, known.runId);
    const result = await taskStageStore.findResultForUpdate(trx, resultId);
    if (!result || FINAL.has(result.status)) return false;
    const now = ctx.now();
    await taskStageStore.updateResult(
      trx,
      result,
      {
        ...(report.status !== result.status ? { status: report.status } : {}),
        ...(report.message !== undefined ? { message: report.message } : {}),
        ...(report.url !== undefined ? { url: report.url } : {}),
        lastUpdateAt: now,
      },
      now,
    );
    if (report.outcomes) {
      await taskStageStore.replaceOutcomes(
        trx,
        result.id,
        report.outcomes.map((o) => ({ ...o, id: newId('taskro') })),
        now,
      );
    }
    if (FINAL.has(report.status)) {
      await tokenStore.deleteTaskResultTokens(trx, { taskResultId: result.id });
      await decideStage(trx, run, result.stage, now);
    }
    return true;
  });
}

/**
 * The policy sets whose mandatory policies failed or errored in a failed evaluation, and whether every
 * one of them may be overridden (policy-sets.mdx `overridable`).
 */
async function blockingPolicySets(trx: Db, evaluation: policyEvaluationStore.PolicyEvaluation): Promise<{ names: string[]; overridable: boolean }> {
  const { items: outcomes } = await policyEvaluationStore.pageOutcomes(
    trx,
    evaluation.id,
    [{ status: 'failed', enforcementLevel: 'mandatory' }, { status: 'errored' }],
    { limit: 1000, offset: 0 },
  );
  return { names: outcomes.map((o) => o.policySetName), overridable: outcomes.every((o) => o.overridable) };
}

/**
 * The one rule for a stage whose results and policy evaluation all answered (states.mdx, run-tasks.mdx
 * "Understanding Run Tasks Within a Run", policy-enforcement "Policy Enforcement Levels"): the most
 * restrictive wins. Every mandatory task and policy passed: the stage passes, with advisory failures
 * visible in their results, and the run goes on. A mandatory task did not pass (failed, errored,
 * unreachable) or a mandatory policy failed or errored: a post-plan stage waits for an override (the CLI
 * offers it) unless a failing policy set is not overridable; any other stage fails and the run errors.
 */
export async function decideStage(trx: Db, run: runStore.Run, stageName: taskStageStore.TaskStage['stage'], now: Date): Promise<void> {
  const stage = await taskStageStore.findStageForUpdate(trx, run.id, stageName);
  if (stage?.status !== 'running' || run.status !== TASK_STAGE_RUNNING[stageName]) return;
  const results = await taskStageStore.resultsOfStage(trx, stage.id);
  if (results.some((r) => !FINAL.has(r.status))) return;
  const evaluation = await policyEvaluationStore.findByStageForUpdate(trx, stage.id);
  if (evaluation && !policyEvaluationStore.FINAL_EVALUATION_STATUSES.includes(evaluation.status)) return;
  const failed = results.filter((r) => r.enforcementLevel === 'mandatory' && r.status !== 'passed');
  const policies = evaluation?.status === 'failed' || evaluation?.status === 'errored' ? await blockingPolicySets(trx, evaluation) : undefined;
  if (failed.length === 0 && !policies) {
    await taskStageStore.setStageStatus(trx, stage, 'passed', now);
    const completed = await changeStatus(trx, run, `${stageName}_completed` as RunStatus, { now });
    await advance(trx, completed, { now });
    return;
  }
  const reasons = [
    ...(failed.length > 0 ? [`Mandatory run task${failed.length > 1 ? 's' : ''} ${failed.map((r) => r.taskName).join(', ')} did not pass`] : []),
    ...(policies
      ? [
          policies.names.length > 0
            ? `Mandatory policies of policy set${policies.names.length > 1 ? 's' : ''} ${policies.names.join(', ')} did not pass`
            : 'The policy evaluation errored',
        ]
      : []),
  ];
  const description = reasons.join('; ');
  if (stageName === 'post_plan' && (policies?.overridable ?? true)) {
    await taskStageStore.setStageStatus(trx, stage, 'awaiting_override', now);
    await changeStatus(trx, run, 'post_plan_awaiting_decision', { now, description });
  } else {
    await taskStageStore.setStageStatus(trx, stage, 'failed', now);
    await changeStatus(trx, run, 'errored', { now, description });
  }
}

/** The integration's callback: only with the result's own access token; 409 once the result has its answer. */
export async function callback(ctx: Ctx, resultId: string, report: ResultReport): Promise<taskStageStore.TaskResult> {
  const subject = ctx.subject;
  if (subject.kind !== 'task-result' || subject.taskResultId !== resultId) throw new NotFoundError(`task result ${resultId} not found`);
  if (!(await reportResult(ctx, resultId, report))) throw new ConflictError(`task result ${resultId} already has its final status`);
  const result = await taskStageStore.findResult(ctx.db, resultId);
  if (!result) throw new NotFoundError(`task result ${resultId} not found`);
  return result;
}
