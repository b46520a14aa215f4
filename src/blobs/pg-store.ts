import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { assertBlobKey, type BlobStore, type StoredBlob } from './blob-store.js';
import { MeasuringStream } from './fs-store.js';

/**
 * The size of a stored chunk, and how many one statement writes or reads. The server's memory
 * during a 100 MB transfer grows more than with files (`npm run bench -- state`): the driver and its
 * connections buffer whole messages, and bytea arrives as hex text.
 */
const CHUNK_BYTES = 256 * 1024;
const CHUNKS_PER_STATEMENT = 4;

/**
 * How long replaced or deleted content stays readable: a read that began before the change ends
 * first. Longer than any download of the largest state over a slow link is not needed: a read that
 * outlives it fails rather than mixing two contents.
 */
const RELEASE_GRACE = '15 minutes';

/** A put that a crashed replica left half-written is removed after this long. */
const ABANDONED_AFTER = '1 day';

/**
 * Blobs in PostgreSQL, for replicas that share one database (docs/design.md "Blobs"). A put streams
 * its content into chunks of a new upload, outside any transaction, then makes the key name that
 * upload in one short transaction: a reader sees the old content or the new, never a part. Replaced
 * and deleted uploads are released, and their chunks removed after a grace period by `sweepLeftovers`.
 */
export class PostgresBlobStore implements BlobStore {
  constructor(private readonly db: Db) {}

  async put(key: string, source: Readable, options: { maxBytes?: number } = {}): Promise<StoredBlob> {
    assertBlobKey(key);
    const uploadId = randomBytes(12).toString('hex');
    await this.db.insertInto('blob_uploads').values({ id: uploadId }).execute();
    const measuring = new MeasuringStream(options.maxBytes);
    try {
      await pipeline(source, measuring, new ChunkWriter(this.db, uploadId));
      const stored = { size: measuring.size, md5: measuring.md5() };
      await this.db.transaction().execute(async (trx) => {
        const previous = await trx.selectFrom('blobs').select('upload_id').where('key', '=', key).forUpdate().executeTakeFirst();
        await trx
          .insertInto('blobs')
          .values({ key, upload_id: uploadId, size: stored.size, md5: stored.md5 })
          .onConflict((oc) => oc.column('key').doUpdateSet({ upload_id: uploadId, size: stored.size, md5: stored.md5 }))
          .execute();
        if (previous) await release(trx, previous.upload_id);
      });
      return stored;
    } catch (err) {
      await this.db.deleteFrom('blob_uploads').where('id', '=', uploadId).execute();
      throw err;
    }
  }

  async get(key: string, options: { start?: number } = {}): Promise<Readable | undefined> {
    assertBlobKey(key);
    const blob = await this.db.selectFrom('blobs').select(['upload_id', 'size']).where('key', '=', key).executeTakeFirst();
    if (!blob) return undefined;
    const start = options.start ?? 0;
    const first = await this.db
      .selectFrom('blob_chunks')
      .select(['seq', 'byte_offset'])
      .where('upload_id', '=', blob.upload_id)
      .where('byte_offset', '<=', start)
      .orderBy('byte_offset', 'desc')
      .limit(1)
      .executeTakeFirst();
    return Readable.from(readChunks(this.db, blob.upload_id, first?.seq ?? 0, start - Number(first?.byte_offset ?? 0), Number(blob.size) > start));
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    assertBlobKey(key);
    const blob = await this.db.selectFrom('blobs').select('size').where('key', '=', key).executeTakeFirst();
    return blob && { size: Number(blob.size) };
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await this.db.transaction().execute(async (trx) => {
      const removed = await trx.deleteFrom('blobs').where('key', '=', key).returning('upload_id').executeTakeFirst();
      if (removed) await release(trx, removed.upload_id);
    });
  }

  /**
   * Removes released uploads past their grace period and puts abandoned by a crash; returns how
   * many. Safe at any time and from every replica: it never touches an upload a key names or a
   * recent put.
   */
  readonly sweepsWhileServing = true;

  async sweepLeftovers(): Promise<number> {
    const released = await this.db.deleteFrom('blob_uploads').where('released_at', '<', sql<Date>`now() - ${RELEASE_GRACE}::interval`).executeTakeFirst();
    const abandoned = await this.db
      .deleteFrom('blob_uploads')
      .where('released_at', 'is', null)
      .where('started_at', '<', sql<Date>`now() - ${ABANDONED_AFTER}::interval`)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('blobs').select('key').whereRef('blobs.upload_id', '=', 'blob_uploads.id'))))
      .executeTakeFirst();
    return Number(released.numDeletedRows) + Number(abandoned.numDeletedRows);
  }
}

async function release(trx: Db, uploadId: string): Promise<void> {
  await trx.updateTable('blob_uploads').set({ released_at: sql<Date>`now()` }).where('id', '=', uploadId).execute();
}

/** Reads an upload's chunks from `seq` on, CHUNKS_PER_STATEMENT per query, skipping `skip` bytes of the first. */
async function* readChunks(db: Db, uploadId: string, seq: number, skip: number, hasContent: boolean): AsyncGenerator<Buffer> {
  if (!hasContent) return;
  for (let next = seq, first = true; ; first = false) {
    const rows = await db
      .selectFrom('blob_chunks')
      .select(['seq', 'data'])
      .where('upload_id', '=', uploadId)
      .where('seq', '>=', next)
      .orderBy('seq')
      .limit(CHUNKS_PER_STATEMENT)
      .execute();
    // The first chunk exists for any non-empty blob; a missing one means the content was released and swept mid-read.
    if (first && rows[0]?.seq !== seq) throw new Error('the blob was removed while it was read');
    for (const [i, row] of rows.entries()) {
      const data = Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
      yield first && i === 0 && skip > 0 ? data.subarray(skip) : data;
    }
    if (rows.length < CHUNKS_PER_STATEMENT) return;
    next = (rows.at(-1)?.seq ?? next) + 1;
  }
}

/** Collects the stream and inserts it as the upload's chunks, CHUNKS_PER_STATEMENT per statement. */
class ChunkWriter extends Writable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private offset = 0;

  constructor(
    private readonly db: Db,
    private readonly uploadId: string,
  ) {
    super({ highWaterMark: CHUNK_BYTES * CHUNKS_PER_STATEMENT });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < CHUNK_BYTES * CHUNKS_PER_STATEMENT) {
      callback();
      return;
    }
    this.flush().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush().then(() => callback(), callback);
  }

  private async flush(): Promise<void> {
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    for (let at = 0; at < data.length; at += CHUNK_BYTES * CHUNKS_PER_STATEMENT) {
      const rows = [];
      for (let piece = at; piece < Math.min(data.length, at + CHUNK_BYTES * CHUNKS_PER_STATEMENT); piece += CHUNK_BYTES) {
        const bytes = data.subarray(piece, piece + CHUNK_BYTES);
        rows.push({ upload_id: this.uploadId, seq: this.seq, byte_offset: this.offset, data: bytes });
        this.seq += 1;
        this.offset += bytes.length;
      }
      await this.db.insertInto('blob_chunks').values(rows).execute();
    }
  }
}
