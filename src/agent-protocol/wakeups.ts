import type { Database } from '../db/database.js';
import { RUNS_CHANNEL } from '../runs/schedule.js';

/**
 * Wakes the agents' long polls when a run may be claimable: a NOTIFY on `terrace_runs` from any
 * replica (a run queued, a runner slot freed). Without a listener (tests), waits poll.
 */
export type WaitForRuns = (ms: number, signal: AbortSignal) => Promise<void>;

/** Without notifications: wait at most this long before looking again. */
const POLL_MS = 1_000;
/** With notifications: the fallback look. */
const LISTENING_POLL_MS = 5_000;

function sleep(ms: number, signal: AbortSignal, wake?: (resolve: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    let stopListening = () => {};
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      stopListening();
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    if (wake) stopListening = wake(done);
  });
}

export const pollForRuns: WaitForRuns = (ms, signal) => sleep(Math.min(ms, POLL_MS), signal);

/** Listens once for the whole server; returns the wait function and how to stop listening. */
export async function listenForRuns(database: Database): Promise<{ wait: WaitForRuns; close: () => Promise<void> }> {
  const waiters = new Set<() => void>();
  const unlisten = await database.listen(RUNS_CHANNEL, () => {
    for (const waiter of [...waiters]) waiter();
  });
  // Notifications are best effort: look again every few seconds anyway.
  const wait: WaitForRuns = (ms, signal) =>
    sleep(Math.min(ms, LISTENING_POLL_MS), signal, (resolve) => {
      waiters.add(resolve);
      return () => waiters.delete(resolve);
    });
  return { wait, close: unlisten };
}
