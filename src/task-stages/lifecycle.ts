import * as tokenStore from '../auth/token-store.js';
import type { Db } from '../db/database.js';
import { newId, type RunId, type WorkspaceId } from '../ids.js';
import * as policyEvaluationStore from '../policy-evaluations/store.js';
import * as policySetStore from '../policy-sets/store.js';
import { enqueue } from '../queue/queue.js';
import * as runTaskStore from '../run-tasks/store.js';
import type { TaskStageName } from '../runs/state.js';
import * as taskStageStore from './store.js';

/**
 * The task stages' side of the run lifecycle, called by the runs schedule inside its transactions:
 * a new run gets its stages, a stage starts when the run enters its running status, and a run that
 * ends cancels what is still open. Deciding a stage's outcome is the task-stages service's.
 */

/** Sends a result's request to its task's URL (delivery-jobs.ts). */
export const DELIVER_JOB = 'task-result.deliver';
/** Errors a result whose integration went quiet for longer than the timeout (delivery-jobs.ts); queued once the request was taken. */
export const TIMEOUT_JOB = 'task-result.timeout';

/** Evaluates a post-plan stage's policy sets against the plan (policy-evaluations/evaluate-job.ts). */
export const EVALUATE_POLICIES_JOB = 'policy-evaluation.evaluate';

/** Tries of a result's request, with the queue's backoff (2, 4, 8 s) between them; then the result is unreachable. */
export const DELIVERY_ATTEMPTS = 4;

const STAGE_ORDER: readonly TaskStageName[] = ['pre_plan', 'post_plan', 'pre_apply', 'post_apply'];

/**
 * Creates a new run's task stages: one per stage that has an enabled task, each with a pending result
 * per task, and a post-plan stage with a policy evaluation when policy sets apply to the workspace.
 * Fixed for the run: the CLI reads them once, right after creating it (cli-protocol.md §6.3).
 * Post-apply tasks are advisory whatever their setting (states.mdx "The Post-Apply Stage").
 */
export async function createStages(trx: Db, run: { id: RunId; workspaceId: WorkspaceId; organizationId: string; planOnly: boolean }, now: Date): Promise<void> {
  const [tasks, policies] = await Promise.all([
    runTaskStore.tasksForRuns(trx, run.workspaceId, run.organizationId),
    policySetStore.anyApplicable(trx, run.workspaceId),
  ]);
  // A plan-only run never applies: it has no apply-side stages.
  const stages = (run.planOnly ? STAGE_ORDER.slice(0, 2) : STAGE_ORDER)
    .map((stage) => ({
      id: newId('ts'),
      stage,
      results: tasks
        .filter((t) => t.stages.includes(stage))
        .map((t) => ({
          id: newId('taskrs'),
          taskId: t.task.id,
          taskName: t.task.name,
          taskUrl: t.task.url,
          workspaceTaskId: t.workspaceTaskId,
          enforcementLevel: stage === 'post_apply' ? ('advisory' as const) : t.enforcementLevel,
        })),
    }))
    .filter((s) => s.results.length > 0 || (policies && s.stage === 'post_plan'));
  await taskStageStore.insertStages(trx, run.id, stages, now);
  const postPlan = stages.find((s) => s.stage === 'post_plan');
  if (policies && postPlan) await policyEvaluationStore.insert(trx, { id: newId('poleval'), taskStageId: postPlan.id, now });
}

/** The run entered the stage's running status: the stage runs and each result's request goes out through the job queue. */
export async function startStage(trx: Db, runId: RunId, stage: TaskStageName, now: Date): Promise<void> {
  const taskStage = await taskStageStore.findStageForUpdate(trx, runId, stage);
  if (taskStage?.status !== 'pending') return;
  await taskStageStore.setStageStatus(trx, taskStage, 'running', now);
  for (const taskResultId of taskStage.resultIds) await enqueue(trx, DELIVER_JOB, { taskResultId }, { maxAttempts: DELIVERY_ATTEMPTS });
  const evaluation = await policyEvaluationStore.findByStageForUpdate(trx, taskStage.id);
  if (evaluation?.status === 'pending') {
    await policyEvaluationStore.setStatus(trx, evaluation, 'queued', now);
    await enqueue(trx, EVALUATE_POLICIES_JOB, { policyEvaluationId: evaluation.id });
  }
}

/**
 * The run ended: a stage still running or waiting is canceled with its open results, one it never
 * reached (a plan that errored before its post-plan stage) is unreachable; their access tokens go.
 */
export async function closeOpenStages(trx: Db, runId: RunId, now: Date): Promise<void> {
  for (const stage of await taskStageStore.openStagesOfRun(trx, runId)) {
    const status = stage.status === 'pending' ? 'unreachable' : 'canceled';
    await taskStageStore.setStageStatus(trx, stage, status, now);
    await taskStageStore.endOpenResults(
      trx,
      stage.id,
      status,
      status === 'canceled' ? 'The run ended before the task answered' : 'The run never reached this stage',
      now,
    );
    const evaluation = await policyEvaluationStore.findByStageForUpdate(trx, stage.id);
    if (evaluation && !policyEvaluationStore.FINAL_EVALUATION_STATUSES.includes(evaluation.status)) {
      await policyEvaluationStore.setStatus(trx, evaluation, status, now);
    }
  }
  await tokenStore.deleteTaskResultTokens(trx, { runId });
}
