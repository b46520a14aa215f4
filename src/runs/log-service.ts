import { Readable } from 'node:stream';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import * as testRunStore from '../module-tests/store.js';
import * as logStore from './log-store.js';
import * as phaseStore from './phase-store.js';
import { PHASE_ENDED } from './state.js';

/**
 * Reading the log of a plan, an apply or a module test run through its `log-read-url`, the way the CLI does
 * (cli-protocol.md §6.4): a capability URL with the signature in the path (the CLI sends no token and
 * replaces the query string), `offset` honoured, 200 with an empty body before any output, STX first
 * and ETX as the very last byte once the phase is done. Offsets count the STX byte.
 */

export const STX = 0x02;
export const ETX = 0x03;

/** What one read returns at most when the client does not say; the CLI asks for up to 64 KiB. */
const DEFAULT_LIMIT = 65_536;
const MAX_LIMIT = 1024 * 1024;
/** Long enough for a client that starts reading a queued phase and follows it to its time limit. */
const URL_VALIDITY_SECONDS = 24 * 3600;

/** Whose log: a plan's, an apply's, or a module test run's (private-registry/tests.mdx `log-read-url`). */
export type LogKind = phaseStore.PhaseKind | 'test-runs';

function logPath(kind: LogKind, id: string): string {
  return `/_logs/${kind}/${encodeURIComponent(id)}`;
}

export function logReadUrl(ctx: Pick<Ctx, 'config' | 'baseUrl' | 'now'>, kind: LogKind, id: string): string {
  const longestPhaseSeconds = Math.ceil(Math.max(ctx.config.planTimeoutMs, ctx.config.applyTimeoutMs) / 1000);
  return signedUrl(ctx, logPath(kind, id), URL_VALIDITY_SECONDS + longestPhaseSeconds);
}

export interface LogRead {
  kind: string;
  id: string;
  expiry: string;
  signature: string;
  /** Bytes already read, STX included. */
  offset: number;
  limit: number | undefined;
}

/** Up to `count` bytes of a stream. */
async function take(stream: Readable, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    if (count <= 0) return Buffer.alloc(0);
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= count) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, count);
}

/** What a log is read from: the blob once stored, else the chunks; `ended` once no more output comes. */
interface LogSource {
  id: string;
  logBlobKey: string | null;
  ended: boolean;
}

async function findSource(ctx: Ctx, kind: LogKind, id: string): Promise<LogSource | undefined> {
  if (kind === 'test-runs') {
    const run = await testRunStore.findTestRun(ctx.db, id);
    return run && { id: run.id, logBlobKey: run.logBlobKey, ended: testRunStore.TEST_RUN_ENDED.has(run.status) };
  }
  const phase = kind === 'plans' ? await phaseStore.findPlan(ctx.db, { id }) : await phaseStore.findApply(ctx.db, { id });
  return phase && { id: phase.id, logBlobKey: phase.logBlobKey, ended: PHASE_ENDED.has(phase.status) };
}

/** The log's bytes `[from, to)` (STX not counted) and its whole size once it is complete. */
async function content(ctx: Ctx, phase: LogSource, from: number, to: number): Promise<{ bytes: Buffer; completeSize: number | undefined }> {
  if (phase.logBlobKey) {
    const [stat, stream] = await Promise.all([ctx.blobs.stat(phase.logBlobKey), ctx.blobs.get(phase.logBlobKey, { start: from })]);
    if (!stat || !stream) throw new Error(`log blob ${phase.logBlobKey} is missing`);
    return { bytes: await take(stream, to - from), completeSize: stat.size };
  }
  const chunks = to > from ? await logStore.readChunks(ctx.db, phase.id, from, to - from) : [];
  const joined = Buffer.concat(chunks.map((chunk) => chunk.data));
  const start = chunks[0] ? from - chunks[0].offset : 0;
  const bytes = joined.subarray(start, start + (to - from));
  // A phase that ended without its runner storing the log (never started, or its server stopped) keeps what it has.
  return { bytes, completeSize: phase.ended ? await logStore.chunkedSize(ctx.db, phase.id) : undefined };
}

export async function read(ctx: Ctx, request: LogRead): Promise<Buffer> {
  if (request.kind !== 'plans' && request.kind !== 'applies' && request.kind !== 'test-runs') throw new NotFoundError('not found');
  const kind: LogKind = request.kind;
  if (!verifySignature(ctx.config, logPath(kind, request.id), request.expiry, request.signature, ctx.now())) throw new NotFoundError('not found');
  const phase = await findSource(ctx, kind, request.id);
  if (!phase) throw new NotFoundError('not found');
  const { offset } = request;
  const limit = Math.min(request.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  // Framed log: STX at 0, the content at 1…n, ETX at n + 1 once complete.
  const { bytes, completeSize } = await content(ctx, phase, Math.max(offset - 1, 0), offset + limit - 1);
  // Nothing yet: an empty body, not even STX, so the CLI waits (and STX arrives with the first output).
  if (completeSize === undefined && bytes.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  if (offset === 0) parts.push(Buffer.from([STX]));
  parts.push(bytes);
  const end = offset + parts.reduce((n, part) => n + part.length, 0);
  if (completeSize !== undefined && end === completeSize + 1 && end < offset + limit) parts.push(Buffer.from([ETX]));
  return Buffer.concat(parts);
}

/**
 * Up to `limit` bytes of a plan's or apply's log from `offset` (content only, no STX/ETX framing), and
 * whether nothing more comes after them: for a reader its caller authorized (the web UI's run page).
 */
export async function readPhaseLog(
  ctx: Ctx,
  kind: phaseStore.PhaseKind,
  phaseId: string,
  offset: number,
  limit: number,
): Promise<{ bytes: Buffer; isComplete: boolean }> {
  const phase = await findSource(ctx, kind, phaseId);
  if (!phase) throw new NotFoundError(`${kind} ${phaseId} not found`);
  const { bytes, completeSize } = await content(ctx, phase, offset, offset + limit);
  return { bytes, isComplete: completeSize !== undefined && offset + bytes.length >= completeSize };
}

/** Chunks read back per query when a finished phase's log becomes a blob. */
const CHUNKS_PER_READ = 200;

/**
 * The phase ended: its log, stored as chunks while it ran, becomes one blob and the chunks go. A
 * reader that sees the phase done finds all of it.
 */
export async function storePhaseLog(ctx: Pick<Ctx, 'db' | 'blobs'>, kind: LogKind, phaseId: string): Promise<void> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let from = 0; ; from += CHUNKS_PER_READ) {
      const page = await logStore.readChunksBySeq(ctx.db, phaseId, from, CHUNKS_PER_READ);
      for (const data of page) yield data;
      if (page.length < CHUNKS_PER_READ) return;
    }
  }
  const key = `${kind}/${phaseId}/log`;
  await ctx.blobs.put(key, Readable.from(chunks()));
  await ctx.db.transaction().execute(async (trx) => {
    if (kind === 'test-runs') await testRunStore.setLogBlobKey(trx, phaseId, key);
    else await logStore.setLogBlobKey(trx, kind, phaseId, key);
    await logStore.deleteChunks(trx, phaseId);
  });
}
