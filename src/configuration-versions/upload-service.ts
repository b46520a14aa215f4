import type { Readable } from 'node:stream';
import { verifySignature } from '../blobs/signed-url.js';
import type { Config } from '../config.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { randomBase58 } from '../ids.js';
import { ARCHIVE_MAX_DEPTH, ARCHIVE_MAX_FILES, ARCHIVE_MAX_PATH_BYTES, ArchiveError, type ArchiveLimits, validateConfiguration } from '../runner/extract.js';
import { inRunTransaction } from '../runs/schedule.js';
import * as runCreation from '../runs/create.js';
import { uploadPath } from './service.js';
import * as configurationVersionStore from './store.js';
import { validationSlots } from './validation-slots.js';

/**
 * The upload to a version's `upload-url` (configuration-versions.mdx "Upload Configuration Files").
 * The signed URL is the authorization: the CLI sends no token (cli-protocol.md §6.1).
 */

/** The budget of an archive: checked at upload, so that a run never meets an archive it cannot extract. */
export function archiveLimits(config: Config): ArchiveLimits {
  return {
    maxBytes: config.maxConfigurationUnpackedBytes,
    maxFiles: ARCHIVE_MAX_FILES,
    maxPathBytes: ARCHIVE_MAX_PATH_BYTES,
    maxDepth: ARCHIVE_MAX_DEPTH,
    timeLimitMs: config.configurationUnpackTimeoutMs,
  };
}

/** A forged or expired URL is indistinguishable from an unknown one. */
export function verify(ctx: Ctx, id: string, expiry: string, signature: string): void {
  if (!verifySignature(ctx.config, uploadPath(id), expiry, signature, ctx.now())) throw new NotFoundError('not found');
}

function notUploadable(version: configurationVersionStore.ConfigurationVersion): ConflictError {
  return new ConflictError(
    `configuration version ${version.id} is ${version.status}: its files can be uploaded while it is pending, and replaced until a run uses them`,
  );
}

/**
 * Reads the stored archive through the tar parser, writing nothing, once one of the validation
 * slots is free; the refusal when it is not a safe configuration within its budget.
 */
export function validateArchive(ctx: Ctx, key: string): Promise<{ error: string; message: string } | undefined> {
  return validationSlots(ctx.config).run(async () => {
    const source = await ctx.blobs.get(key);
    if (!source) throw new Error(`blob ${key} vanished after its upload`);
    try {
      await validateConfiguration(source, archiveLimits(ctx.config));
      return undefined;
    } catch (err) {
      if (err instanceof ArchiveError) return { error: err.reason, message: err.message };
      throw err;
    } finally {
      source.destroy();
    }
  });
}

/**
 * pending → uploaded, or the files of an uploaded version that no run used replaced (the service
 * takes a second upload then), in one transaction. A pending version that is neither speculative
 * nor provisional becomes its workspace's current one (configuration-versions.mdx, `provisional`).
 * Undefined when the version took another way meanwhile; else the version and the files it replaced.
 */
async function completeUpload(
  trx: Db,
  id: string,
  blob: { key: string; size: number },
  now: Date,
): Promise<{ version: configurationVersionStore.ConfigurationVersion; replacedKey: string | null } | undefined> {
  const version = await configurationVersionStore.findByIdForUpdate(trx, id);
  if (version?.status === 'uploaded') {
    if (await configurationVersionStore.hasRuns(trx, id)) return undefined;
    const replaced = await configurationVersionStore.replaceUpload(trx, id, blob, now);
    return replaced && { version: replaced, replacedKey: version.blobKey };
  }
  const uploaded = await configurationVersionStore.markUploaded(trx, id, blob, now);
  if (!uploaded) return undefined;
  if (!uploaded.speculative && !uploaded.provisional) await configurationVersionStore.makeCurrent(trx, uploaded.workspaceId, uploaded.id);
  // configuration-versions.mdx: an `auto-queue-runs` upload queues a run at once (a provisional one does not: it is not meant to run yet).
  if (uploaded.autoQueueRuns && !uploaded.provisional) await runCreation.queueForUpload(trx, uploaded, now);
  return { version: uploaded, replacedKey: null };
}

/**
 * Stores the .tar.gz, checks it (validate), and marks the version uploaded, or errored with the
 * reason (then 422). Until a run uses the files, a later upload replaces them (a refused one leaves
 * an uploaded version as it was); after that, or once errored or archived, it is a 409. Past the
 * size limit: 413, and the version stays as it was.
 */
export async function upload(ctx: Ctx, id: string, body: Readable): Promise<configurationVersionStore.ConfigurationVersion> {
  const version = await configurationVersionStore.findById(ctx.db, id);
  if (!version) throw new NotFoundError(`configuration version ${id} not found`);
  if (version.status !== 'pending' && version.status !== 'uploaded') throw notUploadable(version);
  // A key of its own per upload: two concurrent uploads never write each other's file.
  const key = `configuration-versions/${id}/${randomBase58()}.tar.gz`;
  const stored = await ctx.blobs.put(key, body, { maxBytes: ctx.config.maxConfigurationBytes });
  let finished: { version: configurationVersionStore.ConfigurationVersion; replacedKey: string | null } | undefined;
  try {
    const refusal = await validateArchive(ctx, key);
    const now = ctx.now();
    if (refusal) {
      const errored = version.status === 'pending' ? await configurationVersionStore.markErrored(ctx.db, id, refusal, now) : undefined;
      throw new InvalidError(`the configuration archive was refused: ${errored?.errorMessage ?? refusal.message}`);
    }
    finished = await inRunTransaction(ctx, (trx) => completeUpload(trx, id, { key, size: stored.size }, now));
  } finally {
    if (!finished) await ctx.blobs.delete(key);
  }
  if (!finished) throw notUploadable((await configurationVersionStore.findById(ctx.db, id)) ?? version);
  // After the commit: a failed delete leaves an unreachable file, never a version without its files.
  if (finished.replacedKey) await ctx.blobs.delete(finished.replacedKey);
  return finished.version;
}
