import type { Readable } from 'node:stream';
import { verifySignature } from '../blobs/signed-url.js';
import type { Config } from '../config.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { randomBase58 } from '../ids.js';
import { ARCHIVE_MAX_DEPTH, ARCHIVE_MAX_FILES, ARCHIVE_MAX_PATH_BYTES, ArchiveError, type ArchiveLimits, validateConfiguration } from '../runner/extract.js';
import * as runService from '../runs/service.js';
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

function notPending(version: configurationVersionStore.ConfigurationVersion): ConflictError {
  return new ConflictError(`configuration version ${version.id} is ${version.status}: its files are uploaded once, while it is pending`);
}

/**
 * Reads the stored archive through the tar parser, writing nothing, once one of the validation
 * slots is free; the refusal when it is not a safe configuration within its budget.
 */
function validate(ctx: Ctx, key: string): Promise<{ error: string; message: string } | undefined> {
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
 * pending → uploaded, in one transaction. A version that is neither speculative nor provisional
 * becomes its workspace's current one (configuration-versions.mdx, `provisional`).
 */
async function completeUpload(
  trx: Db,
  version: configurationVersionStore.ConfigurationVersion,
  blob: { key: string; size: number },
  now: Date,
): Promise<configurationVersionStore.ConfigurationVersion | undefined> {
  const uploaded = await configurationVersionStore.markUploaded(trx, version.id, blob, now);
  if (!uploaded) return undefined;
  if (!uploaded.speculative && !uploaded.provisional) await configurationVersionStore.makeCurrent(trx, uploaded.workspaceId, uploaded.id);
  // configuration-versions.mdx: an `auto-queue-runs` upload queues a run at once (a provisional one does not: it is not meant to run yet).
  if (uploaded.autoQueueRuns && !uploaded.provisional) await runService.queueForUpload(trx, uploaded, now);
  return uploaded;
}

/**
 * Stores the .tar.gz, checks it (validate), and marks the version uploaded, or errored with
 * the reason (then 422). One upload per version: a later one is a 409. Past the size limit: 413, and
 * the version stays pending.
 */
export async function upload(ctx: Ctx, id: string, body: Readable): Promise<configurationVersionStore.ConfigurationVersion> {
  const version = await configurationVersionStore.findById(ctx.db, id);
  if (!version) throw new NotFoundError(`configuration version ${id} not found`);
  if (version.status !== 'pending') throw notPending(version);
  // A key of its own per upload: two concurrent uploads never write each other's file; the first to commit wins.
  const key = `configuration-versions/${id}/${randomBase58()}.tar.gz`;
  const stored = await ctx.blobs.put(key, body, { maxBytes: ctx.config.maxConfigurationBytes });
  let finished: configurationVersionStore.ConfigurationVersion | undefined;
  try {
    const refusal = await validate(ctx, key);
    const now = ctx.now();
    finished = refusal
      ? await configurationVersionStore.markErrored(ctx.db, id, refusal, now)
      : await ctx.db.transaction().execute((trx) => completeUpload(trx, version, { key, size: stored.size }, now));
  } finally {
    if (finished?.status !== 'uploaded') await ctx.blobs.delete(key);
  }
  if (!finished) throw notPending((await configurationVersionStore.findById(ctx.db, id)) ?? version);
  if (finished.status === 'errored') throw new InvalidError(`the configuration archive was refused: ${finished.errorMessage}`);
  return finished;
}
