import type { Ctx } from '../context.js';
import { ConflictError, ForbiddenError } from '../errors.js';
import { isRunId, newId } from '../ids.js';
import * as eventStore from './event-store.js';
import { advance, changeStatus, inRunTransaction, lockRun, scheduleWorkspace } from './schedule.js';
import * as scheduleStore from './schedule-store.js';
import { actionsAt, findAuthorized } from './service.js';
import { hasProcess, type RunActions } from './state.js';
import type { Run } from './store.js';
import * as runStore from './store.js';

/**
 * The run actions (run.mdx "Apply a Run" … "Forcefully execute a run"). Each one checks its
 * permission first, then, inside one transaction with the run locked, whether the run's status
 * allows it (409 otherwise).
 */

function actorOf(ctx: Ctx): string | null {
  return ctx.subject.kind === 'user' ? ctx.subject.userId : null;
}

function actionsOf(ctx: Ctx, run: Run): RunActions {
  return actionsAt(run, ctx.now()).actions;
}

/**
 * Confirms a run waiting for confirmation. The run goes on to the apply queue; a saved plan first
 * waits for its workspace like any queued run (run.mdx "Run Operations", `save_plan`).
 */
export async function apply(ctx: Ctx, runId: string, comment: string | undefined): Promise<void> {
  const { id } = await findAuthorized(ctx, runId, 'workspace:apply-run');
  await inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, id);
    if (!actionsOf(ctx, run).isConfirmable) throw new ConflictError(`run ${run.id} is ${run.status}, not paused for confirmation: apply not allowed`);
    const now = ctx.now();
    const confirmed = await changeStatus(trx, run, 'confirmed', { now, actorId: actorOf(ctx), description: comment });
    if (confirmed.savePlan) await scheduleWorkspace(trx, run.workspaceId, now);
    else await advance(trx, confirmed, { now });
  });
}

/** Ends a run that waits for confirmation or for its turn; later runs proceed. */
export async function discard(ctx: Ctx, runId: string, comment: string | undefined): Promise<void> {
  const { id } = await findAuthorized(ctx, runId, 'workspace:discard-run');
  await inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, id);
    if (!actionsOf(ctx, run).isDiscardable) {
      throw new ConflictError(`run ${run.id} is ${run.status}, not paused for confirmation or priority: discard not allowed`);
    }
    await changeStatus(trx, run, 'discarded', { now: ctx.now(), actorId: actorOf(ctx), description: comment });
  });
}

/**
 * Interrupts a run. One that only waits (queued, pending) ends `canceled` at once; one a process works
 * on is asked to stop: the runner sends terraform an interrupt and ends the run when it exits.
 */
export async function cancel(ctx: Ctx, runId: string, comment: string | undefined): Promise<void> {
  const { id } = await findAuthorized(ctx, runId, 'workspace:cancel-run');
  await inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, id);
    if (!actionsOf(ctx, run).isCancelable) throw new ConflictError(`run ${run.id} is ${run.status}: cancel not allowed`);
    const now = ctx.now();
    if (!hasProcess(run.status)) {
      await changeStatus(trx, run, 'canceled', { now, actorId: actorOf(ctx), description: comment });
      return;
    }
    await runStore.update(trx, run.id, { cancelRequestedAt: now });
    await eventStore.insert(trx, {
      id: newId('re'),
      runId: run.id,
      action: 'cancel_requested',
      description: comment ?? 'Cancel requested',
      actorId: actorOf(ctx),
      createdAt: now,
    });
  });
}

/** Ends a run at once after a cancel and its cool-off; the workspace is unlocked (run.mdx "Forcefully cancel a run"). */
export async function forceCancel(ctx: Ctx, runId: string, comment: string | undefined): Promise<void> {
  const { id } = await findAuthorized(ctx, runId, 'workspace:force-cancel-run');
  await inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, id);
    const { actions, forceCancelAvailableAt } = actionsAt(run, ctx.now());
    if (!actions.isForceCancelable) {
      const why = !hasProcess(run.status)
        ? `is ${run.status}, not planning or applying`
        : forceCancelAvailableAt === null
          ? 'has not been canceled yet: cancel it first'
          : `can be force-canceled from ${forceCancelAvailableAt.toISOString()}`;
      throw new ConflictError(`run ${run.id} ${why}`);
    }
    await changeStatus(trx, run, 'force_canceled', { now: ctx.now(), actorId: actorOf(ctx), description: comment });
  });
}

/**
 * Runs a pending run now: the run holding the workspace and the runs queued before this one are
 * discarded, and this one takes the workspace (run.mdx "Forcefully execute a run": 403 when the run is
 * not pending or no run locks the workspace, 409 when that run cannot be discarded).
 */
export async function forceExecute(ctx: Ctx, runId: string): Promise<void> {
  const { id } = await findAuthorized(ctx, runId, 'workspace:force-execute-run');
  await inRunTransaction(ctx, async (trx) => {
    const run = await lockRun(trx, id);
    if (run.status !== 'pending') throw new ForbiddenError(`run ${run.id} is ${run.status}, not pending`);
    const workspace = await scheduleStore.lockWorkspace(trx, run.workspaceId);
    const holderId = workspace?.lockedBy?.kind === 'runs' && isRunId(workspace.lockedBy.id) ? workspace.lockedBy.id : undefined;
    if (!workspace || !holderId || holderId === run.id) throw new ForbiddenError(`the workspace of run ${run.id} is not locked by another run`);
    const waiting = await scheduleStore.waitingRuns(trx, workspace);
    const position = waiting.findIndex((w) => w.id === run.id);
    // queue-all-runs off holds this run back until a run is queued manually (workspaces.mdx).
    if (position < 0) throw new ForbiddenError(`run ${run.id} is not queued: the workspace queues configuration version runs only after a manual run`);
    const holder = await runStore.findForUpdate(trx, holderId);
    if (!holder || !actionsOf(ctx, holder).isDiscardable) {
      throw new ConflictError(`run ${holderId}, which locks the workspace, is ${holder?.status ?? 'gone'} and cannot be discarded`);
    }
    const step = { now: ctx.now(), actorId: actorOf(ctx), description: `Discarded to run ${run.id} now` };
    for (const ahead of waiting.slice(0, position)) {
      const aheadRun = await runStore.findForUpdate(trx, ahead.id);
      if (aheadRun) await changeStatus(trx, aheadRun, 'discarded', step);
    }
    // Discarding the holder releases the workspace, and the queue lets this run, now first, in.
    await changeStatus(trx, holder, 'discarded', step);
  });
}
