import type { Db } from '../db/database.js';
import type { RunId, WorkspaceId } from '../ids.js';
import { enqueue } from '../queue/queue.js';
import * as runTriggerStore from './store.js';

/** Queues the destinations' runs of an applied run (fire-job.ts). */
export const FIRE_JOB = 'run-triggers.fire';

/**
 * The run applied: when its workspace is a source of run triggers, their runs are queued by a job of
 * the same transaction, so that an apply that rolls back triggers nothing and a restart loses nothing.
 */
export async function afterApplied(trx: Db, run: { id: RunId; workspaceId: WorkspaceId }): Promise<void> {
  if ((await runTriggerStore.destinationsOf(trx, run.workspaceId)).length > 0) await enqueue(trx, FIRE_JOB, { runId: run.id });
}
