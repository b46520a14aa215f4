import type { Db } from '../db/database.js';
import { enqueue, type JobContext } from '../queue/queue.js';

export const DELETE_BLOBS_JOB = 'blobs.delete';

/** Keys per job: a payload stays small, and a retry repeats little. */
const KEYS_PER_JOB = 1000;

/**
 * Deletes the blobs once the transaction `trx` commits: the jobs are enqueued in it, so a rollback
 * deletes nothing (the rows that name the blobs stay), and a failed delete is retried.
 */
export async function deleteAfterCommit(trx: Db, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += KEYS_PER_JOB) await enqueue(trx, DELETE_BLOBS_JOB, { keys: keys.slice(i, i + KEYS_PER_JOB) });
}

/** Idempotent: an absent key is fine. */
export async function deleteBlobs(ctx: JobContext, payload: { keys: string[] }): Promise<void> {
  for (const key of payload.keys) await ctx.blobs.delete(key);
}
