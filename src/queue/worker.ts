import type { Database } from '../db/database.js';
import { claim, complete, fail, type Job, type JobContext, type JobHandler, JOBS_CHANNEL, msUntilNextDue } from './queue.js';

export interface QueueWorkerOptions {
  database: Database;
  context: JobContext;
  /** Every job kind this worker runs, with its handler (src/jobs.ts lists them). */
  handlers: Readonly<Record<string, JobHandler>>;
  /** Jobs run at once by this replica (default 4). */
  concurrency?: number;
  /** Polling interval, the fallback when a NOTIFY is missed (default 2 s); a job due later wakes the worker itself. */
  pollMs?: number;
  /** How long a claimed job is held before another worker may take it over (default 300 s). */
  leaseSeconds?: number;
  /** The unit of a failed job's retry backoff, 2^attempts units (default 1 s; tests of the retries shorten it). */
  backoffUnitMs?: number;
}

/**
 * Runs queued jobs on this replica: woken by NOTIFY from any replica, at the time the next waiting
 * job becomes due (a retry's backoff, a scheduled sweep, a dead worker's lease), and by polling as a
 * fallback; up to `concurrency` at a time.
 */
export class QueueWorker {
  private active = 0;
  private filling = false;
  private refillRequested = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  /** Wakes the worker when the next waiting job becomes due. */
  private dueTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: QueueWorkerOptions) {}

  async start(): Promise<void> {
    this.unlisten = await this.options.database.listen(JOBS_CHANNEL, () => this.wake());
    this.timer = setInterval(() => this.wake(), this.options.pollMs ?? 2000);
    this.timer.unref();
    this.wake();
  }

  /** Stops claiming and waits for the jobs in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearTimeout(this.dueTimer);
    await this.unlisten?.();
    await Promise.allSettled([...this.running]);
  }

  /** Claims jobs until the worker is full or the queue has nothing due. */
  wake(): void {
    if (this.filling) {
      this.refillRequested = true;
      return;
    }
    this.filling = true;
    this.fill()
      .catch((err: unknown) => this.options.context.log.error({ err }, 'job queue: claim failed'))
      .finally(() => {
        this.filling = false;
        if (this.refillRequested && !this.stopping) {
          this.refillRequested = false;
          this.wake();
        }
      });
  }

  private async fill(): Promise<void> {
    const kinds = Object.keys(this.options.handlers);
    while (!this.stopping && this.active < (this.options.concurrency ?? 4)) {
      const job = await claim(this.options.database.db, kinds, this.options.leaseSeconds ?? 300);
      if (!job) return this.wakeWhenDue(kinds);
      this.active++;
      const run = this.run(job).finally(() => {
        this.active--;
        this.running.delete(run);
        if (!this.stopping) this.wake();
      });
      this.running.add(run);
    }
  }

  /** Nothing is due now: sets the one timer for the next job that will be, when it comes before the poll's. */
  private async wakeWhenDue(kinds: readonly string[]): Promise<void> {
    const ms = await msUntilNextDue(this.options.database.db, kinds);
    clearTimeout(this.dueTimer);
    if (ms === undefined || ms >= (this.options.pollMs ?? 2000) || this.stopping) return;
    // A few milliseconds late rather than early: a job found not yet due would set the timer again.
    this.dueTimer = setTimeout(() => this.wake(), ms + 5);
    this.dueTimer.unref();
  }

  private async run(job: Job): Promise<void> {
    const { context, handlers, database } = this.options;
    try {
      await (handlers[job.kind] as JobHandler)(context, job.payload, job);
      await complete(database.db, job);
    } catch (err) {
      context.log.warn({ job: { id: job.id, kind: job.kind, attempts: job.attempts }, err }, 'job failed');
      await fail(database.db, job, err instanceof Error ? err.message : String(err), this.options.backoffUnitMs).catch((failErr: unknown) =>
        context.log.error({ err: failErr }, 'job queue: could not record a failure'),
      );
    }
  }
}
