import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import { type BinaryCopy, binaryCopyBytes, COPY_HEADER, COPY_TRAILER } from '../db/binary-copy.js';
import type { Database, Db } from '../db/database.js';
import { assertBlobKey, type BlobStore, type StoredBlob } from './blob-store.js';
import { MeasuringStream } from './fs-store.js';
import { countedReadPieces } from './streamed-garbage.js';

/**
 * The size of a stored chunk, and how many one binary COPY writes or reads: a batch is what memory
 * holds per transfer and direction, twice over (one batch in the database's hands while the next
 * arrives), and 1 MiB per statement already makes the per-statement cost small against the bytes'
 * (`npm run bench -- state --parts transfer`, docs/design.md "Blobs").
 */
const CHUNK_BYTES = 256 * 1024;
const CHUNKS_PER_COPY = 4;
const BATCH_BYTES = CHUNK_BYTES * CHUNKS_PER_COPY;
/**
 * COPYs of one upload that run at once, each on its own connection: the server's TOAST writes are
 * what an upload waits for, and two backends do them on two cores.
 */
const COPIES_IN_FLIGHT = 2;

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
  private readonly db: Db;
  private readonly copy: BinaryCopy;

  constructor(database: Pick<Database, 'db' | 'copy'>) {
    this.db = database.db;
    this.copy = database.copy;
  }

  async put(key: string, source: Readable, options: { maxBytes?: number } = {}): Promise<StoredBlob> {
    assertBlobKey(key);
    const uploadId = randomBytes(12).toString('hex');
    await this.db.insertInto('blob_uploads').values({ id: uploadId }).execute();
    const measuring = new MeasuringStream(options.maxBytes);
    const writer = new ChunkWriter(this.copy, uploadId);
    try {
      await pipeline(source, measuring, writer);
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
      // A COPY still running would otherwise add chunks to the upload while it is being deleted.
      await writer.settled();
      await this.db.deleteFrom('blob_uploads').where('id', '=', uploadId).execute();
      throw err;
    }
  }

  async get(key: string, options: { start?: number } = {}): Promise<Readable | undefined> {
    assertBlobKey(key);
    const blob = await this.db.selectFrom('blobs').select(['upload_id', 'size']).where('key', '=', key).executeTakeFirst();
    if (!blob) return undefined;
    const start = options.start ?? 0;
    if (Number(blob.size) <= start) return Readable.from([]);
    const first = await this.db
      .selectFrom('blob_chunks')
      .select(['seq', 'byte_offset'])
      .where('upload_id', '=', blob.upload_id)
      .where('byte_offset', '<=', start)
      .orderBy('byte_offset', 'desc')
      .limit(1)
      .executeTakeFirst();
    // Counted in bytes, the stream reads one batch ahead of its consumer and no further.
    return Readable.from(
      countedReadPieces(this.readChunks(blob.upload_id, first?.seq ?? 0, start - Number(first?.byte_offset ?? 0), Number(blob.size) - start)),
      {
        objectMode: false,
        highWaterMark: BATCH_BYTES,
      },
    );
  }

  /**
   * Reads `length` bytes of an upload from chunk `seq` on, one binary COPY per batch, skipping `skip`
   * bytes of the first chunk. A batch comes as the pieces the connection received: no chunk is assembled.
   */
  private async *readChunks(uploadId: string, seq: number, skip: number, length: number): AsyncGenerator<Buffer> {
    let toSkip = skip;
    let left = length;
    for (let next = seq; left > 0; next += CHUNKS_PER_COPY) {
      // COPY takes no parameters: the values are inlined as literals, quoted by Kysely.
      const query = this.db
        .selectFrom('blob_chunks')
        .select('data')
        .where('upload_id', '=', sql.lit(uploadId))
        .where('seq', '>=', sql.lit(next))
        .where('seq', '<', sql.lit(next + CHUNKS_PER_COPY))
        .orderBy('seq')
        .compile();
      const pieces = binaryCopyBytes(await this.copy.out(query.sql));
      // Chunks are never empty: none while bytes are due means the content was released and swept mid-read.
      if (pieces.length === 0) throw new Error('the blob was removed while it was read');
      for (const piece of pieces) {
        const skipped = Math.min(toSkip, piece.length);
        toSkip -= skipped;
        left -= piece.length - skipped;
        if (skipped < piece.length) yield piece.subarray(skipped);
      }
    }
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

/** The columns a binary COPY of chunks fills, in the order of `rowHead`'s fields. */
const CHUNK_COLUMNS = 'blob_chunks (upload_id, seq, byte_offset, data)';

/** A chunk's row in binary COPY up to its data: a field count, then each field's length and bytes, the data's length last. */
function rowHead(uploadId: string, seq: number, byteOffset: number, dataLength: number): Buffer {
  const id = Buffer.from(uploadId);
  const head = Buffer.allocUnsafe(2 + 4 + id.length + 4 + 4 + 4 + 8 + 4);
  let at = head.writeInt16BE(4, 0);
  at = head.writeInt32BE(id.length, at);
  at += id.copy(head, at);
  at = head.writeInt32BE(seq, head.writeInt32BE(4, at));
  at = head.writeBigInt64BE(BigInt(byteOffset), head.writeInt32BE(8, at));
  head.writeInt32BE(dataLength, at);
  return head;
}

/**
 * Writes the stream as the upload's chunks, one binary COPY per batch. The incoming pieces go to the
 * database as they came (no concatenation), and the COPY of one batch runs while the next arrives:
 * at most one COPY at a time, so memory holds about two batches.
 */
class ChunkWriter extends Writable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private offset = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** The first COPY that failed: the write fails with it. */
  private failure: unknown;

  constructor(
    private readonly copy: BinaryCopy,
    private readonly uploadId: string,
  ) {
    super({ highWaterMark: BATCH_BYTES });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.sendFullBatches().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sendFullBatches()
      .then(async () => {
        if (this.pendingBytes > 0) await this.send(this.pendingBytes);
        await this.settled();
        if (this.failure !== undefined) throw this.failure;
      })
      .then(() => callback(), callback);
  }

  /** Resolves once no COPY of this upload runs any more, whatever its outcome. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }

  private async sendFullBatches(): Promise<void> {
    while (this.pendingBytes >= BATCH_BYTES) {
      if (this.failure !== undefined) throw this.failure;
      await this.send(BATCH_BYTES);
    }
  }

  /** Waits until fewer than COPIES_IN_FLIGHT run, then starts a COPY of the next `bytes` pending without waiting for it. */
  private async send(bytes: number): Promise<void> {
    while (this.inFlight.size >= COPIES_IN_FLIGHT) await Promise.race(this.inFlight);
    const parts: Buffer[] = [COPY_HEADER];
    for (let left = bytes; left > 0; ) {
      const length = Math.min(CHUNK_BYTES, left);
      parts.push(rowHead(this.uploadId, this.seq, this.offset, length), ...this.take(length));
      this.seq += 1;
      this.offset += length;
      left -= length;
    }
    parts.push(COPY_TRAILER);
    const copy = this.copy.in(CHUNK_COLUMNS, parts);
    this.inFlight.add(copy);
    // Awaited by a later send, _final or settled; until then a failure must not count as unhandled.
    copy.then(
      () => this.inFlight.delete(copy),
      (err: unknown) => {
        this.inFlight.delete(copy);
        this.failure ??= err;
      },
    );
  }

  /** Removes the first `bytes` pending bytes, as views of the pieces that hold them. */
  private take(bytes: number): Buffer[] {
    const taken: Buffer[] = [];
    this.pendingBytes -= bytes;
    for (let left = bytes; left > 0; ) {
      const piece = this.pending[0] as Buffer;
      if (piece.length <= left) {
        this.pending.shift();
        taken.push(piece);
        left -= piece.length;
      } else {
        taken.push(piece.subarray(0, left));
        this.pending[0] = piece.subarray(left);
        left = 0;
      }
    }
    return taken;
  }
}
