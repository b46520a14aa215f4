import type { Log } from '../context.js';
import { reapExpiredLeases as reapExpiredTestLeases } from '../module-tests/job-service.js';
import { abandonLocked, type RunnerContext } from './runner-service.js';
import { inRunTransaction, lockRun } from './schedule.js';
import * as scheduleStore from './schedule-store.js';

/**
 * Crash recovery (docs/design.md "Agents"): a run whose agent stopped renewing its lease — the agent
 * or the server it ran in died — ends `errored` with the reason, its workspace lock is released and
 * its job token revoked; a phase the agent never accepted goes back to its queue instead. Any
 * replica may reap any run: the lease, on the database's clock, says the agent is gone.
 */

export const REAPER_INTERVAL_MS = 30_000;

export const REAPED_REASON = 'The agent running this run stopped responding before the run finished';

/** Abandons every run (and errors every module test run) whose lease expired; returns how many. */
export async function reapExpiredLeases(ctx: RunnerContext): Promise<number> {
  let reaped = 0;
  for (const runId of await scheduleStore.expiredLeases(ctx.db)) {
    const done = await inRunTransaction(ctx, async (trx) => {
      const run = await lockRun(trx, runId);
      // Checked again under the lock: the runner may have renewed or finished meanwhile.
      if (!scheduleStore.RUNNING_STATUSES.includes(run.status) || !(await scheduleStore.leaseExpired(trx, runId))) return false;
      await abandonLocked(trx, run, REAPED_REASON, ctx.now());
      return true;
    });
    if (done) reaped++;
  }
  return reaped + (await reapExpiredTestLeases(ctx));
}

/**
 * Reaps once now (what expired while no server was up is lost), then every
 * `intervalMs`. Returns the function that stops the timer.
 */
export async function startRunReaper(
  ctx: RunnerContext & { readonly log: Log },
  // Often enough that a lapsed lease is noticed within half a lease at most.
  intervalMs = Math.min(REAPER_INTERVAL_MS, (ctx.config.runLeaseSeconds * 1000) / 2),
): Promise<() => void> {
  await reapExpiredLeases(ctx);
  const timer = setInterval(() => {
    reapExpiredLeases(ctx).catch((err: unknown) => ctx.log.error({ err }, 'run reaper failed'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
