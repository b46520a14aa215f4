import { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Db } from '../db/database.js';
import * as logStore from '../runs/log-store.js';
import type { PhaseKind } from '../runs/phase-store.js';
import { Redactor } from './redact.js';

/**
 * The log of one running phase. Output goes through the streaming redactor as it comes, then is
 * stored as chunks in PostgreSQL, so that any replica serves it while the phase runs
 * (runs/log-service.ts); `close` turns it into one blob and drops the chunks. The redactor holds back
 * what could be the start of a secret, so chunk boundaries cannot split one; chunks end at line ends
 * where they can, for readers of a running log.
 */

/** How long output waits to be stored: a few hundred chunks a minute at most, and little delay. */
const FLUSH_DELAY_MS = 200;
/** Redacted output waiting for its line's end is stored anyway past this size. */
const MAX_PENDING_BYTES = 64 * 1024;
/** Chunks read back per query when the log becomes a blob. */
const CHUNKS_PER_READ = 200;

export class PhaseLog {
  readonly redactor = new Redactor();
  private pending = Buffer.alloc(0);
  private offset = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly deps: { db: Db; blobs: BlobStore },
    readonly kind: PhaseKind,
    readonly phaseId: string,
    readonly runId: string,
  ) {}

  /** Output as it arrives. */
  write(chunk: Buffer | string): void {
    this.append(this.redactor.write(chunk));
  }

  private append(redacted: Buffer): void {
    if (redacted.length === 0) return;
    this.pending = Buffer.concat([this.pending, redacted]);
    if (this.pending.length >= MAX_PENDING_BYTES) this.flush(false);
    else this.timer ??= setTimeout(() => this.flush(false), FLUSH_DELAY_MS);
  }

  /** A line of Terrace's own. */
  line(text: string): void {
    this.write(`${text}\n`);
  }

  /**
   * Stores what is pending (already redacted): complete lines, or everything when `all` or when a line
   * grew too long. The redactor's output never ends inside a UTF-8 character, so neither does a chunk.
   */
  private flush(all: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const end = all || this.pending.length >= MAX_PENDING_BYTES ? this.pending.length : this.pending.lastIndexOf(0x0a) + 1;
    if (end === 0) return;
    const data = Buffer.from(this.pending.subarray(0, end));
    this.pending = this.pending.subarray(end);
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(false), FLUSH_DELAY_MS);
    const chunk = { offset: this.offset, data };
    const seq = this.seq++;
    this.offset += data.length;
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      try {
        await logStore.appendChunk(this.deps.db, { id: this.phaseId, runId: this.runId }, seq, chunk);
      } catch (err) {
        // Later chunks would leave a gap: the log stops here, and close() reports it.
        this.failure = err;
      }
    });
  }

  /** Reads the chunks back in order, for the blob. */
  private async *chunks(): AsyncGenerator<Buffer> {
    for (let from = 0; ; from += CHUNKS_PER_READ) {
      const page = await logStore.readChunksBySeq(this.deps.db, this.phaseId, from, CHUNKS_PER_READ);
      for (const data of page) yield data;
      if (page.length < CHUNKS_PER_READ) return;
    }
  }

  /** Stores the rest, then the whole log as the phase's blob; the chunks go. Throws when the log could not be stored. */
  async close(): Promise<void> {
    this.append(this.redactor.end());
    this.flush(true);
    await this.writes;
    if (this.failure) throw this.failure;
    const key = `${this.kind}/${this.phaseId}/log`;
    await this.deps.blobs.put(key, Readable.from(this.chunks()));
    await this.deps.db.transaction().execute(async (trx) => {
      await logStore.setLogBlobKey(trx, this.kind, this.phaseId, key);
      await logStore.deleteChunks(trx, this.phaseId);
    });
  }
}
