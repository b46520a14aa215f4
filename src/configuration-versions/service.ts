import { authorizeWorkspace, workspacesPermitting } from '../auth/authorize.js';
import type { Readable } from 'node:stream';
import type { Action } from '../auth/permissions.js';
import { signedUrl } from '../blobs/signed-url.js';
import { taskTokenRunId } from '../auth/task-result-access.js';
import type { Ctx } from '../context.js';
import * as runStore from '../runs/store.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as configurationVersionStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { ConfigurationVersion, ConfigurationVersionStatus } from './store.js';

/** A version as the caller sees it; the capability URL to upload to only in the create response, as the service does. */
export interface ConfigurationVersionView {
  version: configurationVersionStore.ConfigurationVersion;
  uploadUrl: string | null;
}

/** configuration-versions.mdx "Create a Configuration Version": every attribute is optional. */
export interface CreateConfigurationVersionInput {
  autoQueueRuns?: boolean | undefined;
  speculative?: boolean | undefined;
  provisional?: boolean | undefined;
}

/** The capability URL's lifetime. */
const UPLOAD_URL_TTL_SECONDS = 60 * 60;

/** The path the upload route serves and the signature covers. */
export function uploadPath(id: string): string {
  return `/_blobs/configuration-versions/${id}/upload`;
}

export function viewOf(version: configurationVersionStore.ConfigurationVersion): ConfigurationVersionView {
  return { version, uploadUrl: null };
}

function versionNotFound(id: string): NotFoundError {
  return new NotFoundError(`configuration version ${id} not found`);
}

/** Loads a version and checks `action` on its workspace. */
async function authorizedVersion(ctx: Ctx, id: string, action: Action): Promise<configurationVersionStore.ConfigurationVersion> {
  const version = await configurationVersionStore.findById(ctx.db, id);
  if (!version) throw versionNotFound(id);
  await authorizeWorkspace(ctx, { id: version.workspaceId }, action, `configuration version ${id}`);
  return version;
}

/** The version of the run whose task integration calls (run-tasks-integration.mdx `configuration_version_download_url`). */
async function versionOfTaskRun(ctx: Ctx, id: string): Promise<configurationVersionStore.ConfigurationVersion> {
  const runId = taskTokenRunId(ctx.subject);
  const run = runId === undefined ? undefined : await runStore.findById(ctx.db, runId);
  const version = run?.configurationVersionId === id ? await configurationVersionStore.findById(ctx.db, id) : undefined;
  if (!version) throw versionNotFound(id);
  return version;
}

/** Needs queue-plans permission (configuration-versions.mdx); organization tokens lack it. */
export async function create(ctx: Ctx, workspaceId: string, input: CreateConfigurationVersionInput): Promise<ConfigurationVersionView> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:queue-run', `workspace ${workspaceId}`);
  const values = {
    id: newId('cv'),
    workspaceId: workspace.id,
    source: 'tfe-api',
    autoQueueRuns: input.autoQueueRuns ?? true,
    speculative: input.speculative ?? false,
    provisional: input.provisional ?? false,
    createdAt: ctx.now(),
  };
  const version = await ctx.db.transaction().execute(async (trx) => {
    const inserted = await configurationVersionStore.insert(trx, values);
    // The workspace's current version from its creation on, as the service shows it (docs/design.md "Where Terrace follows the service").
    if (!inserted.speculative && !inserted.provisional) await configurationVersionStore.makeCurrent(trx, inserted.workspaceId, inserted.id);
    return inserted;
  });
  // The upload may be retried through this URL while no run used the files (upload-service.ts).
  return { version, uploadUrl: signedUrl(ctx, uploadPath(version.id), UPLOAD_URL_TTL_SECONDS) };
}

export async function show(ctx: Ctx, id: string): Promise<ConfigurationVersionView> {
  return viewOf(await authorizedVersion(ctx, id, 'workspace:read'));
}

/** The versions by id whose workspace the caller may read, for `include=`, in one query; the others are left out. */
export async function readableViews(ctx: Ctx, ids: readonly string[]): Promise<ConfigurationVersionView[]> {
  const versions = await configurationVersionStore.findManyById(ctx.db, ids);
  const readable = await workspacesPermitting(
    ctx,
    versions.map((v) => v.workspaceId),
    'workspace:read',
  );
  return versions.filter((v) => readable.has(v.workspaceId)).map(viewOf);
}

/** A workspace's versions, newest first; read runs permission (configuration-versions.mdx). */
export async function list(ctx: Ctx, workspaceId: string, page: Page): Promise<Paged<ConfigurationVersionView>> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:read', `workspace ${workspaceId}`);
  const { versions, total } = await configurationVersionStore.selectPage(ctx.db, workspace.id, { limit: page.size, offset: pageOffset(page) });
  return { items: versions.map(viewOf), total };
}

/** Commit information exists only for versions from VCS, which Terrace does not fetch: always none. */
export async function ingressAttributes(ctx: Ctx, id: string): Promise<null> {
  await authorizedVersion(ctx, id, 'workspace:read');
  return null;
}

/** The uploaded .tar.gz. Any other status is a 404 (configuration-versions.mdx "Download Configuration Files"). */
export async function download(ctx: Ctx, id: string): Promise<{ body: Readable; size: number | null }> {
  const version = taskTokenRunId(ctx.subject) === undefined ? await authorizedVersion(ctx, id, 'workspace:read') : await versionOfTaskRun(ctx, id);
  const notUploaded = new NotFoundError(`configuration version ${id} is not uploaded`);
  if (version.status !== 'uploaded' || !version.blobKey) throw notUploaded;
  // An archive between the read and here deletes the blob: the same 404.
  const body = await ctx.blobs.get(version.blobKey);
  if (!body) throw notUploaded;
  return { body, size: version.size };
}

/**
 * Discards the uploaded files (configuration-versions.mdx "Archive a Configuration Version"): only an
 * uploaded version that is not its workspace's current one and has no run in progress; anything else is a 409.
 */
export async function archive(ctx: Ctx, id: string): Promise<void> {
  const version = await authorizedVersion(ctx, id, 'workspace:queue-run');
  // The service's own wording for these two (docs/design.md "Where Terrace follows the service").
  if (version.status !== 'uploaded')
    throw new ConflictError(`transition not allowed: configuration version ${id} is ${version.status}; only an uploaded version can be archived`);
  if ((await configurationVersionStore.currentIdOf(ctx.db, version.workspaceId)) === id) {
    throw new ConflictError(`configuration could not be archived because it is current: ${id} is its workspace's current configuration version`);
  }
  // Every run that is not final may still plan or apply from these files (a pending or saved plan too).
  const runId = await configurationVersionStore.unfinishedRunId(ctx.db, id);
  if (runId !== undefined) throw new ConflictError(`configuration version ${id} is used by run ${runId}, which is not finished, and cannot be archived`);
  if (!(await configurationVersionStore.archive(ctx.db, id, ctx.now()))) {
    throw new ConflictError(`configuration version ${id} cannot be archived now`);
  }
  // After the commit: a failed delete leaves an unreachable file, never a version without its files.
  if (version.blobKey) await ctx.blobs.delete(version.blobKey);
}
