import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { open } from '../crypto/sealing.js';
import { newId } from '../ids.js';
import { enqueue, type Job, type JobContext } from '../queue/queue.js';
import { postToTask } from '../run-tasks/outbound.js';
import * as runTaskStore from '../run-tasks/store.js';
import * as phaseStore from '../runs/phase-store.js';
import * as runStore from '../runs/store.js';
import * as userStore from '../users/store.js';
import * as workspaceStore from '../workspaces/store.js';
import { TIMEOUT_JOB } from './lifecycle.js';
import { reportResult } from './service.js';
import * as taskStageStore from './store.js';

/**
 * The integration protocol's outbound side (run-tasks-integration.mdx "Run Task Request"), as jobs of
 * the queue: a result's request, retried with backoff until the task's URL takes it or the tries run
 * out (unreachable), and the timeout that errors a result whose integration went quiet.
 */

/** The longest a result may stay open however often the integration says it is still running (run-tasks-integration.mdx). */
const MAX_RESULT_MS = 60 * 60_000;
/** An access token outlives no result: revoked at the answer, and expired after the longest a result may take. */
const TOKEN_LIFETIME_MS = MAX_RESULT_MS;

type RequestPayload = Record<string, string | number | boolean | null | Record<string, boolean>>;

/** The request body of run-tasks-integration.mdx "Request Body", with a new access token; undefined when the run or task is gone. */
async function requestFor(ctx: JobContext, result: taskStageStore.TaskResult): Promise<{ payload: RequestPayload; task: runTaskStore.RunTask } | undefined> {
  const run = await runStore.findById(ctx.db, result.runId);
  const task = result.taskId ? await runTaskStore.findById(ctx.db, result.taskId) : undefined;
  const workspace = run && (await workspaceStore.findById(ctx.db, run.workspaceId));
  if (!run || !task || !workspace) return undefined;
  const [plan, creator] = await Promise.all([
    phaseStore.findPlan(ctx.db, { runId: run.id }),
    run.createdById ? userStore.findById(ctx.db, run.createdById) : undefined,
  ]);
  const { secret, hash } = generateToken();
  // One live token per result: a retried request replaces the last one's.
  await ctx.db.transaction().execute(async (trx) => {
    await tokenStore.deleteTaskResultTokens(trx, { taskResultId: result.id });
    await tokenStore.insert(trx, {
      id: newId('at'),
      kind: 'task-result',
      hash,
      organizationId: run.organizationId,
      runId: run.id,
      taskResultId: result.id,
      description: `run task ${task.name} of run ${run.id}`,
      expiredAt: new Date(ctx.now().getTime() + TOKEN_LIFETIME_MS),
    });
  });
  const base = `https://${ctx.config.hostname}`;
  const api = `${base}/api/v2`;
  const workspaceApp = `${base}/app/${encodeURIComponent(task.organizationName)}/${encodeURIComponent(workspace.name)}`;
  return {
    task,
    payload: {
      payload_version: 1,
      stage: result.stage,
      access_token: secret,
      capabilities: { outcomes: true },
      configuration_version_download_url: run.configurationVersionId ? `${api}/configuration-versions/${run.configurationVersionId}/download` : null,
      configuration_version_id: run.configurationVersionId,
      is_speculative: run.planOnly,
      organization_name: task.organizationName,
      // The plan exists from the post-plan stage on.
      ...(result.stage !== 'pre_plan' && plan ? { plan_json_api_url: `${api}/plans/${plan.id}/json-output` } : {}),
      run_app_url: `${workspaceApp}/runs/${run.id}`,
      run_created_at: run.createdAt.toISOString(),
      run_created_by: creator?.username ?? null,
      run_id: run.id,
      run_message: run.message,
      task_result_callback_url: `${api}/task-results/${result.id}/callback`,
      task_result_enforcement_level: result.enforcementLevel,
      task_result_id: result.id,
      // Terrace has no VCS connections.
      vcs_branch: null,
      vcs_commit_url: null,
      vcs_pull_request_url: null,
      vcs_repo_url: null,
      workspace_app_url: workspaceApp,
      workspace_id: workspace.id,
      workspace_name: workspace.name,
      workspace_working_directory: workspace.workingDirectory,
    },
  };
}

/**
 * Sends a pending result's request. Taken (200): the result is running and its timeout starts. Not
 * taken: thrown, so the queue tries again with backoff; after the last try the result is unreachable.
 * A result that has its answer already (a quick callback, a canceled run) is left alone.
 */
export async function deliverTaskResult(ctx: JobContext, payload: { taskResultId: string }, job: Job): Promise<void> {
  const result = await taskStageStore.findResult(ctx.db, payload.taskResultId);
  if (result?.status !== 'pending') return;
  const request = await requestFor(ctx, result);
  if (!request) {
    await reportResult(ctx, result.id, { status: 'errored', message: 'The run task was deleted before its request could be sent' });
    return;
  }
  const body = JSON.stringify(request.payload);
  const sealedKey = await runTaskStore.findSealedHmacKey(ctx.db, request.task.id);
  try {
    await postToTask(ctx.config, request.task.url, body, sealedKey ? open(ctx.config, sealedKey) : null);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (job.attempts < job.maxAttempts) throw new Error(`run task ${request.task.name} request: ${reason}`);
    await reportResult(ctx, result.id, { status: 'unreachable', message: `The run task's URL could not be reached: ${reason}` });
    return;
  }
  const now = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    const current = await taskStageStore.findResultForUpdate(trx, result.id);
    if (current?.status !== 'pending') return;
    await taskStageStore.updateResult(trx, current, { status: 'running', lastUpdateAt: now }, now);
    await enqueue(trx, TIMEOUT_JOB, { taskResultId: result.id }, { runAt: new Date(now.getTime() + ctx.config.runTaskTimeoutMs) });
  });
}

/**
 * Errors a result whose integration said nothing for the timeout (a progress update restarts it), or
 * that has been open for an hour (run-tasks-integration.mdx "Run Task Callback").
 */
export async function timeOutTaskResult(ctx: JobContext, payload: { taskResultId: string }): Promise<void> {
  const result = await taskStageStore.findResult(ctx.db, payload.taskResultId);
  if (!result || taskStageStore.FINAL_RESULT_STATUSES.includes(result.status)) return;
  const startedAt = Date.parse(result.statusTimestamps['running-at'] ?? result.createdAt.toISOString());
  const quietSince = (result.lastUpdateAt ?? result.createdAt).getTime();
  const deadline = Math.min(quietSince + ctx.config.runTaskTimeoutMs, startedAt + MAX_RESULT_MS);
  if (ctx.now().getTime() < deadline) {
    await enqueue(ctx.db, TIMEOUT_JOB, payload, { runAt: new Date(deadline) });
    return;
  }
  const minutes = Math.round(ctx.config.runTaskTimeoutMs / 60_000);
  const message =
    deadline === startedAt + MAX_RESULT_MS
      ? 'The run task did not finish within 60 minutes'
      : `The run task sent no update for ${minutes} minute${minutes === 1 ? '' : 's'}`;
  await reportResult(ctx, result.id, { status: 'errored', message });
}
