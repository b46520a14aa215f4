import { sql } from 'kysely';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config.js';
import type { Log } from '../context.js';
import type { Db } from '../db/database.js';

/** The channel `enqueue` notifies and workers listen on. */
export const JOBS_CHANNEL = 'terrace_jobs';

/** What a job handler gets: no caller, no request. Handlers authorize nothing; the enqueuer did. */
export interface JobContext {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly config: Config;
  readonly log: Log;
  readonly now: () => Date;
}

/**
 * Does one job. A job may run more than once (a replica can die after the work and before the
 * job's removal), so a handler must be idempotent. Throwing schedules a retry with backoff.
 */
export type JobHandler = (ctx: JobContext, payload: any, job: Job) => Promise<void>;

export interface Job {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

export interface EnqueueOptions {
  /** Not before this time (default: now). */
  runAt?: Date;
  /** Attempts before the job is marked failed (default 5). */
  maxAttempts?: number;
}

/**
 * Adds a job. Call it with the transaction that makes the job necessary: the job exists exactly
 * when that transaction commits, and the NOTIFY that wakes workers is delivered at commit too.
 *
 * @example
 * await ctx.db.transaction().execute(async (trx) => {
 *   await stateVersionStore.markUploaded(trx, id);
 *   await enqueue(trx, 'state-version.process', { stateVersionId: id });
 * });
 */
export async function enqueue(db: Db, kind: string, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<void> {
  await db
    .insertInto('jobs')
    .values({ kind, payload: JSON.stringify(payload), max_attempts: options.maxAttempts ?? 5, ...(options.runAt ? { run_at: options.runAt } : {}) })
    .execute();
  await sql`SELECT pg_notify(${JOBS_CHANNEL}, ${kind})`.execute(db);
}

/**
 * Makes the one waiting job of a recurring `kind` due by `runAt`: moves an unclaimed one earlier, or
 * adds one when none waits (a claimed one is running, and schedules its successor itself as it ends).
 * An advisory lock makes replicas take turns here, so that the kind never has two waiting jobs.
 */
export async function scheduleRecurring(db: Db, kind: string, runAt: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${kind}))`.execute(trx);
    const waiting = await trx
      .selectFrom('jobs')
      .select(['id', 'run_at'])
      .where('kind', '=', kind)
      .where('failed_at', 'is', null)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
      .executeTakeFirst();
    if (!waiting) return enqueue(trx, kind, {}, { runAt });
    if (waiting.run_at <= runAt) return;
    await trx.updateTable('jobs').set({ run_at: runAt }).where('id', '=', waiting.id).execute();
    await sql`SELECT pg_notify(${JOBS_CHANNEL}, ${kind})`.execute(trx);
  });
}

/**
 * Takes the oldest due job that no worker holds, for `leaseSeconds`. SKIP LOCKED lets replicas claim
 * concurrently without waiting on each other; the lease makes a job whose worker died claimable again.
 */
export async function claim(db: Db, kinds: readonly string[], leaseSeconds: number): Promise<Job | undefined> {
  if (kinds.length === 0) return undefined;
  const row = await db
    .updateTable('jobs')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), locked_until: sql`now() + make_interval(secs => ${leaseSeconds})` }))
    .where(
      'id',
      '=',
      db
        .selectFrom('jobs')
        .select('id')
        .where('failed_at', 'is', null)
        .where('run_at', '<=', sql<Date>`now()`)
        .where('kind', 'in', kinds)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
        .orderBy('run_at')
        .orderBy('id')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'kind', 'payload', 'attempts', 'max_attempts'])
    .executeTakeFirst();
  return row && { id: Number(row.id), kind: row.kind, payload: row.payload, attempts: row.attempts, maxAttempts: row.max_attempts };
}

/**
 * Milliseconds until the first job of `kinds` that no worker can claim now becomes claimable (its
 * `run_at`, or the end of a dead worker's lease), by the database's clock; undefined when none waits.
 */
export async function msUntilNextDue(db: Db, kinds: readonly string[]): Promise<number | undefined> {
  if (kinds.length === 0) return undefined;
  const row = await db
    .selectFrom('jobs')
    .select(sql<number | null>`extract(epoch from min(greatest(run_at, coalesce(locked_until, run_at))) - now()) * 1000`.as('ms'))
    .where('failed_at', 'is', null)
    .where('kind', 'in', kinds)
    .executeTakeFirst();
  return row?.ms == null ? undefined : Math.max(0, Number(row.ms));
}

/** The job is done: it leaves the table. */
export async function complete(db: Db, job: Job): Promise<void> {
  await db.deleteFrom('jobs').where('id', '=', job.id).execute();
}

/**
 * Retries later with exponential backoff (2^attempts seconds, at most 10 minutes), or marks the job
 * failed. `backoffUnitMs` scales the backoff: a second in production, less in tests of the retries.
 */
export async function fail(db: Db, job: Job, error: string, backoffUnitMs = 1000): Promise<void> {
  const isLastAttempt = job.attempts >= job.maxAttempts;
  const delaySeconds = (Math.min(2 ** job.attempts, 600) * backoffUnitMs) / 1000;
  await db
    .updateTable('jobs')
    .set({
      last_error: error.slice(0, 4000),
      locked_until: null,
      ...(isLastAttempt ? { failed_at: sql<Date>`now()` } : { run_at: sql<Date>`now() + make_interval(secs => ${delaySeconds})` }),
    })
    .where('id', '=', job.id)
    .execute();
}
