import type { Readable } from 'node:stream';
import type { WorkspaceId } from '../ids.js';
import { verifySignature } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { enqueue } from '../queue/queue.js';
import * as stateVersionStore from './store.js';

/**
 * The content of state versions: uploads to and downloads from signed capability URLs, streamed
 * straight between the request and the blob store (cli-protocol.md §5.1, §5.2). The URL is the
 * authorization: the CLI sends no token with uploads, and a token it sends with downloads is ignored.
 */

/** The raw state (`terraform state pull`), or the `terraform show -json` document. */
export type ContentKind = 'state' | 'json-state';

export const PROCESS_JOB = 'state-version.process';

/** Download URLs live briefly: the CLI fetches the state right after reading the version. */
export const DOWNLOAD_URL_TTL_SECONDS = 10 * 60;
/** Upload URLs allow for a large state over a slow link; they stop working once the content arrived. */
export const UPLOAD_URL_TTL_SECONDS = 60 * 60;

export function blobKey(stateVersionId: string, kind: ContentKind): string {
  return `state-versions/${stateVersionId}/${kind}`;
}

export function downloadPath(stateVersionId: string, kind: ContentKind): string {
  return `/_blobs/state-versions/${encodeURIComponent(stateVersionId)}/${kind}`;
}

/** A different path from the download's, so that a download URL cannot be used to upload. */
export function uploadPath(stateVersionId: string, kind: ContentKind): string {
  return `${downloadPath(stateVersionId, kind)}/upload`;
}

export interface SignedRequest {
  stateVersionId: string;
  kind: ContentKind;
  expiry: string;
  signature: string;
}

function verify(ctx: Ctx, path: string, request: SignedRequest): void {
  // A forged or expired URL is indistinguishable from an unknown one.
  if (!verifySignature(ctx.config, path, request.expiry, request.signature, ctx.now())) throw new NotFoundError('not found');
}

/** The keys the versions may have content under (a key without content is fine to delete). */
export function contentKeys(stateVersionIds: readonly string[]): string[] {
  return stateVersionIds.flatMap((id) => [blobKey(id, 'state'), blobKey(id, 'json-state')]);
}

/** The content keys of every version of the workspaces. */
export async function contentKeysOfWorkspaces(db: Db, workspaceIds: readonly WorkspaceId[]): Promise<string[]> {
  return contentKeys(await stateVersionStore.idsOfWorkspaces(db, workspaceIds));
}

/** Deletes a version's content; for versions whose creation failed. */
export async function deleteContent(ctx: Ctx, stateVersionId: string): Promise<void> {
  await Promise.all(contentKeys([stateVersionId]).map((key) => ctx.blobs.delete(key)));
}

/**
 * The raw state of a pending version. The MD5 is checked once the whole stream is stored: a mismatch
 * discards the version and its content (422), so the workspace's current state stays as it was. A
 * matching upload finalizes the version, makes it current and queues its parse.
 */
async function uploadState(ctx: Ctx, version: stateVersionStore.StateVersion, body: Readable): Promise<void> {
  if (version.status !== 'pending') {
    throw new ConflictError(`state version ${version.id} is ${version.status}: its state is uploaded once, while the version is pending`);
  }
  const key = blobKey(version.id, 'state');
  const stored = await ctx.blobs.put(key, body, { maxBytes: ctx.config.maxStateBytes });
  if (stored.md5 !== version.md5) {
    // Only the upload that discarded the version removes the content: a concurrent correct one may own it.
    if (await stateVersionStore.markDiscarded(ctx.db, version.id)) await ctx.blobs.delete(key);
    throw new InvalidError(
      `the uploaded state's MD5 (${stored.md5}) does not match the md5 given when the state version was created (${version.md5}); the state version is discarded`,
    );
  }
  const finalized = await ctx.db.transaction().execute(async (trx) => {
    await stateVersionStore.lockWorkspace(trx, version.workspaceId);
    if (!(await stateVersionStore.markFinalized(trx, version.id, stored.size))) return false;
    await stateVersionStore.setCurrent(trx, version.workspaceId, version.id);
    await enqueue(trx, PROCESS_JOB, { stateVersionId: version.id });
    return true;
  });
  if (!finalized) {
    const now = await stateVersionStore.findById(ctx.db, version.id);
    // Gone means deleted with its workspace after that delete collected its keys: no one else removes this file.
    if (now === undefined || now.status === 'discarded') await ctx.blobs.delete(key);
    throw new ConflictError(`state version ${version.id} was ${now?.status ?? 'deleted'} while its state was uploading`);
  }
}

/** The JSON state: once per version, while it is not discarded (state-versions.mdx "Upload State and JSON State"). */
async function uploadJsonState(ctx: Ctx, version: stateVersionStore.StateVersion, body: Readable): Promise<void> {
  if (version.status === 'discarded' || version.jsonSize !== null) {
    throw new ConflictError(`state version ${version.id} ${version.status === 'discarded' ? 'is discarded' : 'already has its JSON state'}`);
  }
  const key = blobKey(version.id, 'json-state');
  const stored = await ctx.blobs.put(key, body, { maxBytes: ctx.config.maxStateBytes });
  if (!(await stateVersionStore.markJsonUploaded(ctx.db, version.id, stored.size))) {
    const now = await stateVersionStore.findById(ctx.db, version.id);
    if (now === undefined || now.status === 'discarded') await ctx.blobs.delete(key);
    throw new ConflictError(`state version ${version.id} was discarded, deleted or received its JSON state while this upload ran`);
  }
}

/** A PUT to an upload URL. */
export async function upload(ctx: Ctx, request: SignedRequest, body: Readable): Promise<void> {
  verify(ctx, uploadPath(request.stateVersionId, request.kind), request);
  const version = await stateVersionStore.findById(ctx.db, request.stateVersionId);
  if (!version) throw new NotFoundError(`state version ${request.stateVersionId} not found`);
  await (request.kind === 'state' ? uploadState(ctx, version, body) : uploadJsonState(ctx, version, body));
}

/** A GET of a download URL: the content as a stream, and its size. */
export async function download(ctx: Ctx, request: SignedRequest): Promise<{ content: Readable; size: number }> {
  verify(ctx, downloadPath(request.stateVersionId, request.kind), request);
  const key = blobKey(request.stateVersionId, request.kind);
  const stat = await ctx.blobs.stat(key);
  const content = stat && (await ctx.blobs.get(key));
  if (!stat || !content) throw new NotFoundError(`state version ${request.stateVersionId} has no ${request.kind}`);
  return { content, size: stat.size };
}
