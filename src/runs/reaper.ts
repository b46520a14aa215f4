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

/** A lease is reapable once past its end (`<` on the database's clock): look this long after it. */
const PAST_LEASE_END_MS = 50;
/** The shortest wait between looks: a lease still held past its end (a reap that lost a race) is not looked at in a busy loop. */
const MIN_LOOK_MS = 1000;

/**
 * When to look again: when the earliest held lease ends (a lost agent's run is taken back then), or
 * after `intervalMs` when that is sooner or no lease is held (a lease taken after this look is seen by
 * the next one, before it can end).
 */
export async function msUntilNextLook(ctx: RunnerContext, intervalMs: number): Promise<number> {
  const untilLeaseEnd = await scheduleStore.msUntilEarliestLeaseEnd(ctx.db);
  return untilLeaseEnd === undefined ? intervalMs : Math.min(intervalMs, Math.max(MIN_LOOK_MS, untilLeaseEnd + PAST_LEASE_END_MS));
}

/**
 * Reaps once now (what expired while no server was up is lost), then whenever `msUntilNextLook` says.
 * Returns the function that stops it.
 */
export async function startRunReaper(
  ctx: RunnerContext & { readonly log: Log },
  // Often enough that a lease taken after a look is seen before it ends (leases are renewed well within).
  intervalMs = Math.min(REAPER_INTERVAL_MS, (ctx.config.runLeaseSeconds * 1000) / 2),
): Promise<() => void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const lookAgain = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(look, ms);
    timer.unref();
  };
  const look = () => {
    reapExpiredLeases(ctx)
      .then(() => msUntilNextLook(ctx, intervalMs))
      .then(lookAgain, (err: unknown) => {
        ctx.log.error({ err }, 'run reaper failed');
        lookAgain(intervalMs);
      });
  };
  await reapExpiredLeases(ctx);
  lookAgain(await msUntilNextLook(ctx, intervalMs));
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
