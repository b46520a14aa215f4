import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createMessage, readKey, readSignature, verify } from 'openpgp';
import { deleteAfterCommit } from '../blobs/delete-job.js';
import { verifySignature } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import { ConflictError, InvalidError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import * as gpgKeyStore from '../gpg-keys/store.js';
import { randomBase58 } from '../ids.js';
import * as providerStore from './store.js';

/**
 * A provider version's files moving in and out (provider-versions-platforms.mdx): SHA256SUMS, its
 * signature and the platforms' zips, through signed URLs that are their only authorization.
 */

export type TransferKind = 'shasums' | 'shasums-sig' | 'binary';

export const UPLOAD_URL_TTL_SECONDS = 60 * 60;
export const DOWNLOAD_URL_TTL_SECONDS = 5 * 60;
/** SHA256SUMS lists one line per file: a few kilobytes; its signature less. */
const MAX_SHASUMS_BYTES = 1024 * 1024;
const MAX_SIGNATURE_BYTES = 64 * 1024;
/** A provider's zip: larger than configuration archives. */
const MAX_BINARY_BYTES = 1024 * 1024 * 1024;

export function uploadPath(kind: TransferKind, id: string): string {
  return `/_blobs/registry-providers/${kind}/${encodeURIComponent(id)}`;
}

export function downloadPath(kind: TransferKind, id: string): string {
  return `/_blobs/registry-providers/${kind}/${encodeURIComponent(id)}/download`;
}

function checkUploadUrl(ctx: Ctx, kind: TransferKind, id: string, expiry: string, signature: string): void {
  if (!verifySignature(ctx.config, uploadPath(kind, id), expiry, signature, ctx.now())) throw new NotFoundError('not found');
}

async function readSmall(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  let size = 0;
  const limited = body.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(size > maxBytes ? new PayloadTooLargeError(`${what} is larger than ${maxBytes} bytes`) : null, chunk);
      },
    }),
  );
  return buffer(limited);
}

/** Whether the detached signature signs the SHA256SUMS with the version's key. */
async function signatureVerifies(ctx: Ctx, version: providerStore.ProviderVersion, organizationId: string, shasums: string, sig: Buffer): Promise<boolean> {
  const key = await gpgKeyStore.find(ctx.db, organizationId, version.keyId);
  if (!key) return false;
  try {
    const result = await verify({
      message: await createMessage({ binary: Buffer.from(shasums) }),
      signature: await readSignature({ binarySignature: sig }),
      verificationKeys: await readKey({ armoredKey: key.asciiArmor }),
    });
    await result.signatures[0]?.verified;
    return result.signatures.length > 0;
  } catch {
    return false;
  }
}

async function versionForUpload(ctx: Ctx, id: string): Promise<{ version: providerStore.ProviderVersion; organizationId: string }> {
  const [version, organizationId] = await Promise.all([providerStore.findVersion(ctx.db, id), providerStore.organizationOfVersion(ctx.db, id)]);
  if (!version || !organizationId) throw new NotFoundError('not found');
  return { version, organizationId };
}

/** The version's SHA256SUMS; a new one drops a signature made for the old one. */
export async function uploadShasums(ctx: Ctx, id: string, expiry: string, signature: string, body: Readable): Promise<void> {
  checkUploadUrl(ctx, 'shasums', id, expiry, signature);
  const { version } = await versionForUpload(ctx, id);
  const shasums = (await readSmall(body, MAX_SHASUMS_BYTES, 'SHA256SUMS')).toString('utf8');
  if (!/^([0-9a-f]{64} {2}\S+\n?)+$/.test(shasums)) throw new InvalidError('SHA256SUMS must list "<sha256>  <file name>" lines');
  await providerStore.setShasums(ctx.db, version.id, { shasums, shasumsSig: null }, ctx.now());
}

/** The detached signature of SHA256SUMS: kept only when it verifies against the version's GPG key (422 otherwise). */
export async function uploadShasumsSignature(ctx: Ctx, id: string, expiry: string, signature: string, body: Readable): Promise<void> {
  checkUploadUrl(ctx, 'shasums-sig', id, expiry, signature);
  const { version, organizationId } = await versionForUpload(ctx, id);
  const sig = await readSmall(body, MAX_SIGNATURE_BYTES, 'SHA256SUMS.sig');
  if (version.shasums === null) throw new ConflictError('upload SHA256SUMS before its signature');
  if (!(await signatureVerifies(ctx, version, organizationId, version.shasums, sig))) {
    throw new InvalidError(`SHA256SUMS.sig is not a valid signature of SHA256SUMS by key ${version.keyId}`);
  }
  await providerStore.setShasums(ctx.db, version.id, { shasumsSig: sig }, ctx.now());
}

/** A platform's zip: streamed to the blob store while hashed; kept only when its SHA-256 is the platform's shasum. */
export async function uploadBinary(ctx: Ctx, id: string, expiry: string, signature: string, body: Readable): Promise<void> {
  checkUploadUrl(ctx, 'binary', id, expiry, signature);
  const platform = await providerStore.findPlatform(ctx.db, id);
  if (!platform) throw new NotFoundError('not found');
  const hash = createHash('sha256');
  const hashed = body.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    }),
  );
  const key = `registry-providers/${platform.id}/${randomBase58()}.zip`;
  const stored = await ctx.blobs.put(key, hashed, { maxBytes: MAX_BINARY_BYTES });
  const digest = hash.digest('hex');
  if (digest !== platform.shasum) {
    await ctx.blobs.delete(key);
    throw new InvalidError(`the binary's SHA-256 is ${digest}, not the platform's shasum ${platform.shasum}`);
  }
  await ctx.db.transaction().execute(async (trx) => {
    await deleteAfterCommit(trx, platform.blobKey ? [platform.blobKey] : []);
    await providerStore.setPlatformBinary(trx, platform.id, { key, size: stored.size }, ctx.now());
  });
}

/** What the download URLs serve; their signature is the authorization (terraform fetches them without a token). */
export async function download(ctx: Ctx, kind: TransferKind, id: string, expiry: string, signature: string): Promise<Buffer | Readable> {
  if (!verifySignature(ctx.config, downloadPath(kind, id), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  if (kind === 'binary') {
    const platform = await providerStore.findPlatform(ctx.db, id);
    const content = platform?.blobKey ? await ctx.blobs.get(platform.blobKey) : undefined;
    if (!content) throw new NotFoundError('not found');
    return content;
  }
  const version = await providerStore.findVersion(ctx.db, id);
  const content = kind === 'shasums' ? version?.shasums && Buffer.from(version.shasums) : version?.shasumsSig;
  if (!content) throw new NotFoundError('not found');
  return content;
}
