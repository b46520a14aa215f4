import type { Config } from '../config.js';
import type { RunId } from '../ids.js';
import type { Log } from '../context.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import type { Db } from '../db/database.js';
import { ConflictError } from '../errors.js';
import * as logStore from './log-store.js';
import * as phaseStore from './phase-store.js';
import { advance, changeStatus, flowOf, inRunTransaction, lockRun } from './schedule.js';
import * as scheduleStore from './schedule-store.js';
import { isFinal, nextStatus } from './state.js';
import * as runStore from './store.js';

/**
 * What the runner calls: no user, no authorization (the runner works for the server). Every change
 * goes through the status transition in one transaction.
 */
export interface RunnerContext {
  readonly db: Db;
  readonly config: Config;
  readonly now: () => Date;
  /** Where the runs' status changes are logged (inRunTransaction). */
  readonly log?: Log | undefined;
}

export interface Claim {
  run: runStore.Run;
  phase: 'plan' | 'apply';
}

/**
 * Takes the next queued run for `pool`'s agents (null: the built-in runner), oldest first, whose
 * organization is below its concurrency limit (`TERRACE_RUN_CONCURRENCY`): plan_queued → planning or
 * apply_queued → applying, with a lease the agent renews while it works. Undefined when there is
 * nothing to take. Runs in the caller's transaction when given one.
 */
export async function claimNext(
  ctx: RunnerContext,
  limit: number = ctx.config.runConcurrency,
  pool: string | null = null,
  /** Work in the claim's transaction: the claim and what the caller records about it commit together. */
  hold?: (trx: Db, claim: Claim) => Promise<void>,
): Promise<Claim | undefined> {
  return inRunTransaction(ctx, async (trx) => {
    const candidate = await scheduleStore.lockNextQueued(trx, limit, pool);
    if (!candidate) return undefined;
    // Another replica may have claimed in this organization since the candidate was counted.
    if ((await scheduleStore.countRunningLocked(trx, candidate.organizationId)) >= limit) return undefined;
    const run = await runStore.findById(trx, candidate.id);
    if (!run) return undefined;
    const phase = run.status === 'plan_queued' ? 'plan' : 'apply';
    const claimed = await changeStatus(trx, run, phase === 'plan' ? 'planning' : 'applying', { now: ctx.now(), leaseSeconds: ctx.config.runLeaseSeconds });
    const result = { run: claimed, phase } as const;
    await hold?.(trx, result);
    return result;
  });
}

/** Extends the claim; false when the run is no longer the runner's (canceled, force-canceled, reaped): stop working on it. */
export function renewLease(ctx: Pick<RunnerContext, 'db' | 'config'>, runId: RunId): Promise<boolean> {
  return scheduleStore.renewLease(ctx.db, runId, ctx.config.runLeaseSeconds);
}

/** Locks a run that an agent works on; a run no longer planning or applying is a conflict. */
export async function lockRunning(trx: Db, runId: RunId): Promise<runStore.Run> {
  const run = await lockRun(trx, runId);
  if (!scheduleStore.RUNNING_STATUSES.includes(run.status)) throw new ConflictError(`run ${runId} is ${run.status}`);
  return run;
}

/** Whether the runner should stop the run's process: a cancel was requested, or the run already ended. */
export async function cancelRequested(db: Db, runId: RunId): Promise<boolean> {
  const run = await runStore.findById(db, runId);
  return !run || run.cancelRequestedAt !== null || isFinal(run.status);
}

export interface PlanResult {
  hasChanges: boolean;
  counts: phaseStore.ResourceCounts;
}

/**
 * The plan finished: planning → planned, then on by the one rule of runs/state.ts — planned_and_finished
 * (plan-only, or nothing to do), planned_and_saved, the apply queue when the run auto-applies (the CLI's
 * `-auto-approve` never confirms, cli-protocol.md §11.8), or a wait for confirmation.
 */
export async function finishPlan(ctx: RunnerContext, runId: RunId, result: PlanResult): Promise<runStore.Run> {
  return inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, runId);
    if (run.status !== 'planning') throw new ConflictError(`run ${runId} is ${run.status}, not planning`);
    const now = ctx.now();
    await runStore.update(trx, run.id, { hasChanges: result.hasChanges });
    await phaseStore.setResults(trx, 'plans', run.id, result.counts, result.hasChanges);
    const planned = await changeStatus(trx, { ...run, hasChanges: result.hasChanges }, 'planned', { now });
    return advance(trx, planned, { now });
  });
}

/**
 * The apply finished: applying → applied (or the post-apply stage); the workspace goes to the next run. A provisional
 * configuration version (a saved plan's) becomes the workspace's current one now that it is applied
 * (configuration-versions.mdx, `provisional`).
 */
export async function finishApply(ctx: RunnerContext, runId: RunId, result: { counts: phaseStore.ResourceCounts }): Promise<runStore.Run> {
  return inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, runId);
    if (run.status !== 'applying') throw new ConflictError(`run ${runId} is ${run.status}, not applying`);
    await phaseStore.setResults(trx, 'applies', run.id, result.counts);
    const version = run.configurationVersionId ? await configurationVersionStore.findById(trx, run.configurationVersionId) : undefined;
    if (version?.provisional && version.workspaceId === run.workspaceId) await configurationVersionStore.makeCurrent(trx, run.workspaceId, version.id);
    // On to the post-apply stage when the run has one, else applied.
    return changeStatus(trx, run, nextStatus(run.status, flowOf(run)) ?? 'applied', { now: ctx.now() });
  });
}

/** The phase failed: the run ends `errored` with the reason as its event. A run that already ended (force-canceled) stays as it is. */
export async function failPhase(ctx: RunnerContext, runId: RunId, reason: string): Promise<runStore.Run> {
  return inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, runId);
    return isFinal(run.status) ? run : changeStatus(trx, run, 'errored', { now: ctx.now(), description: reason });
  });
}

/**
 * The plan's agent shut down during it: the run goes back to plan_queued for the next agent. A run
 * that moved on meanwhile (canceled, force-canceled) stays as it is.
 */
export async function requeuePlan(ctx: RunnerContext, runId: RunId, reason: string): Promise<runStore.Run> {
  return inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, runId);
    return run.status === 'planning' ? requeueLocked(trx, run, reason, ctx.now()) : run;
  });
}

/**
 * The runner that held the run is gone (its lease lapsed, its agent exited, its server stopped). A
 * phase the agent never accepted never ran terraform (the handover's answer was lost, or the agent
 * stopped as it arrived): it goes back to its queue. One it accepted ends errored with `reason`.
 * Called with the run locked; a run no longer planning or applying stays as it is.
 */
export async function abandonLocked(trx: Db, run: runStore.Run, reason: string, now: Date): Promise<runStore.Run> {
  if (!scheduleStore.RUNNING_STATUSES.includes(run.status)) return run;
  if (run.runnerAcceptedAt !== null) return changeStatus(trx, run, 'errored', { now, description: reason });
  const phase = run.status === 'planning' ? 'plan' : 'apply';
  return requeueLocked(trx, run, `The agent did not take the ${phase}`, now);
}

/** abandonLocked in a transaction of its own. */
export async function abandon(ctx: RunnerContext, runId: RunId, reason: string): Promise<runStore.Run> {
  return inRunTransaction(ctx, async (trx) => abandonLocked(trx, await lockRun(trx, runId), reason, ctx.now()));
}

/** A planning or applying run back to its queue, the phase's partial log dropped: the next agent's writes its own from the start. */
async function requeueLocked(trx: Db, run: runStore.Run, reason: string, now: Date): Promise<runStore.Run> {
  const planning = run.status === 'planning';
  const phase = planning ? await phaseStore.findPlan(trx, { runId: run.id }) : await phaseStore.findApply(trx, { runId: run.id });
  if (phase) await logStore.deleteChunks(trx, phase.id);
  return changeStatus(trx, run, planning ? 'plan_queued' : 'apply_queued', { now, description: `${reason}; queued again` });
}

/** Terraform stopped after a requested cancel: the run ends `canceled` (unless it already ended). */
export async function finishCanceled(ctx: RunnerContext, runId: RunId): Promise<runStore.Run> {
  return inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, runId);
    return isFinal(run.status) ? run : changeStatus(trx, run, 'canceled', { now: ctx.now(), description: 'Canceled while running' });
  });
}
