import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { WorkspaceId } from '../ids.js';
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import type { ConfigurationVersionTable } from '../db/schema.js';
import { RUN_STATUS_GROUPS } from '../runs/state.js';
import { camelized } from '../db/rows.js';

/** configuration-versions.mdx "Configuration Version States" that Terrace reaches (no VCS: never `fetching`). */
export type ConfigurationVersionStatus = 'pending' | 'uploaded' | 'errored' | 'archived';

export interface ConfigurationVersion {
  id: string;
  workspaceId: WorkspaceId;
  /** `tfe-api`: every version is created through the API or the CLI. */
  source: string;
  status: ConfigurationVersionStatus;
  autoQueueRuns: boolean;
  speculative: boolean;
  provisional: boolean;
  error: string | null;
  errorMessage: string | null;
  /** Where the .tar.gz is while the version is uploaded. */
  blobKey: string | null;
  size: number | null;
  uploadedAt: Date | null;
  erroredAt: Date | null;
  archivedAt: Date | null;
  createdAt: Date;
}

export interface NewConfigurationVersion {
  id: string;
  workspaceId: WorkspaceId;
  source: string;
  autoQueueRuns: boolean;
  speculative: boolean;
  provisional: boolean;
  createdAt: Date;
}

function toConfigurationVersion(row: Selectable<ConfigurationVersionTable>): ConfigurationVersion {
  return { ...camelized(row), status: row.status as ConfigurationVersionStatus, size: row.size === null ? null : Number(row.size) };
}

export async function insert(db: Db, version: NewConfigurationVersion): Promise<ConfigurationVersion> {
  const row = await db
    .insertInto('configuration_versions')
    .values({
      id: version.id,
      workspace_id: version.workspaceId,
      source: version.source,
      status: 'pending',
      auto_queue_runs: version.autoQueueRuns,
      speculative: version.speculative,
      provisional: version.provisional,
      created_at: version.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toConfigurationVersion(row);
}

/** Versions by id, in one query; unknown ids are left out. */
export async function findManyById(db: Db, ids: readonly string[]): Promise<ConfigurationVersion[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('configuration_versions').selectAll().where('id', 'in', ids).execute()).map(toConfigurationVersion);
}

export async function findById(db: Db, id: string): Promise<ConfigurationVersion | undefined> {
  const row = await db.selectFrom('configuration_versions').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toConfigurationVersion(row);
}

/** A workspace's versions, newest first. */
export async function selectPage(db: Db, workspaceId: WorkspaceId, window: PageWindow): Promise<{ versions: ConfigurationVersion[]; total: number }> {
  const versions = db.selectFrom('configuration_versions').selectAll().where('workspace_id', '=', workspaceId);
  const { rows, total } = await pageAndTotal(versions.orderBy('created_at', 'desc').orderBy('id', 'desc'), window);
  return { versions: rows.map(toConfigurationVersion), total };
}

/** pending → uploaded; undefined when the version is no longer pending (another upload won). */
export async function markUploaded(db: Db, id: string, blob: { key: string; size: number }, now: Date): Promise<ConfigurationVersion | undefined> {
  return updateIfStatus(db, id, 'pending', { status: 'uploaded', blob_key: blob.key, size: blob.size, uploaded_at: now });
}

/** Sets `columns` on the version while its status is `status`; undefined when it no longer is. */
async function updateIfStatus(
  db: Db,
  id: string,
  status: ConfigurationVersionStatus,
  columns: Updateable<ConfigurationVersionTable>,
): Promise<ConfigurationVersion | undefined> {
  const row = await db.updateTable('configuration_versions').set(columns).where('id', '=', id).where('status', '=', status).returningAll().executeTakeFirst();
  return row && toConfigurationVersion(row);
}

/** The version, locked until the transaction ends (an upload's completion). */
export async function findByIdForUpdate(db: Db, id: string): Promise<ConfigurationVersion | undefined> {
  const row = await db.selectFrom('configuration_versions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row && toConfigurationVersion(row);
}

/** Share-locks the version while it is uploaded, for a run about to use its files; false when it is not uploaded (any more). */
export async function lockUploaded(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('configuration_versions').select('id').where('id', '=', id).where('status', '=', 'uploaded').forShare().executeTakeFirst();
  return row !== undefined;
}

/** Whether any run uses the version's files (then they no longer change). */
export async function hasRuns(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('runs').select('id').where('configuration_version_id', '=', id).limit(1).executeTakeFirst()) !== undefined;
}

/** New files for an uploaded version; undefined when it is no longer uploaded. */
export async function replaceUpload(db: Db, id: string, blob: { key: string; size: number }, now: Date): Promise<ConfigurationVersion | undefined> {
  return updateIfStatus(db, id, 'uploaded', { blob_key: blob.key, size: blob.size, uploaded_at: now });
}

/** pending → errored with the reason; undefined when the version is no longer pending. */
export async function markErrored(db: Db, id: string, reason: { error: string; message: string }, now: Date): Promise<ConfigurationVersion | undefined> {
  return updateIfStatus(db, id, 'pending', { status: 'errored', error: reason.error, error_message: reason.message, errored_at: now });
}

function unfinishedRuns(db: Db, id: string) {
  return db.selectFrom('runs').select('id').where('configuration_version_id', '=', id).where('status', 'in', RUN_STATUS_GROUPS.non_final);
}

/** A run of the version that is not final yet (it still needs the files), if any. */
export async function unfinishedRunId(db: Db, id: string): Promise<string | undefined> {
  return (await unfinishedRuns(db, id).orderBy('created_at').limit(1).executeTakeFirst())?.id;
}

/**
 * uploaded → archived, in one statement so that an upload cannot make the version current, nor a run
 * finish or start, between the service's checks and the change. False when it is not uploaded, is its
 * workspace's current version, or has an unfinished run.
 */
export async function archive(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('configuration_versions')
    .set({ status: 'archived', blob_key: null, archived_at: now })
    .where('id', '=', id)
    .where('status', '=', 'uploaded')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('workspaces').select('id').where('current_configuration_version_id', '=', id))))
    .where(({ not, exists }) => not(exists(unfinishedRuns(db, id))))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Makes `id` the workspace's current configuration version unless the current one was created later
 * (configuration-versions.mdx, `provisional`: "… unless a newer one exists").
 */
export async function makeCurrent(db: Db, workspaceId: WorkspaceId, id: string): Promise<void> {
  await db
    .updateTable('workspaces')
    .set({ current_configuration_version_id: id })
    .where('id', '=', workspaceId)
    .where(({ or, eb, not, exists, selectFrom }) =>
      or([
        eb('current_configuration_version_id', 'is', null),
        not(
          exists(
            selectFrom('configuration_versions as current')
              .select('current.id')
              .whereRef('current.id', '=', 'workspaces.current_configuration_version_id')
              .where('current.created_at', '>', selectFrom('configuration_versions').select('created_at').where('id', '=', id)),
          ),
        ),
      ]),
    )
    .execute();
}

/**
 * The workspace's uploaded versions created before `cutoff` that a data retention policy archives:
 * all but its `keepLatest` newest uploaded ones. `archive` still refuses the current one and those
 * an unfinished run uses.
 */
export async function expiredUploads(db: Db, workspaceId: WorkspaceId, cutoff: Date, keepLatest: number): Promise<{ id: string; blobKey: string | null }[]> {
  const uploaded = db.selectFrom('configuration_versions').where('workspace_id', '=', workspaceId).where('status', '=', 'uploaded');
  const rows = await uploaded
    .select(['id', 'blob_key'])
    .where('created_at', '<', cutoff)
    .where('id', 'not in', uploaded.select('id').orderBy('created_at', 'desc').limit(keepLatest))
    .execute();
  return rows.map((row) => ({ id: row.id, blobKey: row.blob_key }));
}

/** The uploaded archives of the workspaces' versions. */
export async function blobKeysOfWorkspaces(db: Db, workspaceIds: readonly WorkspaceId[]): Promise<string[]> {
  if (workspaceIds.length === 0) return [];
  const rows = await db
    .selectFrom('configuration_versions')
    .select('blob_key')
    .where('workspace_id', 'in', workspaceIds)
    .where('blob_key', 'is not', null)
    .execute();
  return rows.map((row) => row.blob_key as string);
}

/** The id of the workspace's current configuration version, if any. */
export async function currentIdOf(db: Db, workspaceId: WorkspaceId): Promise<string | null> {
  const row = await db.selectFrom('workspaces').select('current_configuration_version_id').where('id', '=', workspaceId).executeTakeFirst();
  return row?.current_configuration_version_id ?? null;
}
