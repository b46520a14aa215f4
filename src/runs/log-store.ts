import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { PhaseKind } from './phase-store.js';
import { prepared } from '../db/prepared.js';

/**
 * The logs of plans and applies. While a phase runs, its log grows as chunks in PostgreSQL, so any
 * replica can serve it; when the phase ends the runner stores it as one blob and drops the chunks.
 */

export interface LogChunk {
  /** Where the chunk starts in the log (STX not counted). */
  offset: number;
  data: Buffer;
}

/** Whose log a chunk is: a plan's or an apply's (`runId`), or a module test run's (`testRunId`); it goes with its owner. */
export type ChunkOwner = { id: string } & ({ runId: string } | { testRunId: string });

export async function appendChunk(db: Db, phase: ChunkOwner, seq: number, chunk: LogChunk): Promise<void> {
  const owner = 'runId' in phase ? { run_id: phase.runId } : { test_run_id: phase.testRunId };
  await db
    .insertInto('run_log_chunks')
    .values({ phase_id: phase.id, ...owner, seq, byte_offset: chunk.offset, data: chunk.data })
    .execute();
}

/** The chunks holding bytes from `offset` on, in order, as many as cover `limit` bytes. */
export async function readChunks(db: Db, phaseId: string, offset: number, limit: number): Promise<LogChunk[]> {
  // Prepared: what every CLI following a running phase polls.
  const rows = await prepared(
    db
      .selectFrom('run_log_chunks')
      .select(['byte_offset', 'data'])
      .where('phase_id', '=', phaseId)
      .where(sql<boolean>`byte_offset + octet_length(data) > ${offset}`)
      .where('byte_offset', '<', offset + limit)
      .orderBy('seq'),
  ).execute();
  return rows.map((row) => ({ offset: Number(row.byte_offset), data: row.data }));
}

/** The phase's complete log, once stored as a blob. */
export async function setLogBlobKey(db: Db, kind: PhaseKind, phaseId: string, blobKey: string): Promise<void> {
  await db.updateTable(kind).set({ log_blob_key: blobKey }).where('id', '=', phaseId).execute();
}

export async function deleteChunks(db: Db, phaseId: string): Promise<void> {
  await db.deleteFrom('run_log_chunks').where('phase_id', '=', phaseId).execute();
}

/** The length of the log so far. */
export async function chunkedSize(db: Db, phaseId: string): Promise<number> {
  const row = await db
    .selectFrom('run_log_chunks')
    .select(sql<number>`coalesce(max(byte_offset + octet_length(data)), 0)`.as('size'))
    .where('phase_id', '=', phaseId)
    .executeTakeFirstOrThrow();
  return Number(row.size);
}

/** The chunks from the `from`-th on, in order. */
export async function readChunksBySeq(db: Db, phaseId: string, from: number, count: number): Promise<Buffer[]> {
  const rows = await db
    .selectFrom('run_log_chunks')
    .select('data')
    .where('phase_id', '=', phaseId)
    .where('seq', '>=', from)
    .orderBy('seq')
    .limit(count)
    .execute();
  return rows.map((row) => row.data);
}

/** The sequence number the next chunk of a phase's log takes. */
async function nextChunkSeq(db: Db, phaseId: string): Promise<number> {
  const row = await db
    .selectFrom('run_log_chunks')
    .select(sql<number>`coalesce(max(seq) + 1, 0)`.as('next'))
    .where('phase_id', '=', phaseId)
    .executeTakeFirstOrThrow();
  return Number(row.next);
}

/**
 * Appends what an agent sent at `offset` of a growing log, in the caller's transaction: a chunk already
 * stored (a retry) is accepted once; a gap is answered with the log's size instead.
 */
export async function appendAt(db: Db, phase: ChunkOwner, offset: number, data: Buffer): Promise<{ gapAt: number } | undefined> {
  const size = await chunkedSize(db, phase.id);
  if (offset + data.length <= size) return undefined;
  if (offset !== size) return { gapAt: size };
  await appendChunk(db, phase, await nextChunkSeq(db, phase.id), { offset, data });
  return undefined;
}
