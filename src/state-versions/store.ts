import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { WorkspaceId } from '../ids.js';
import type { Db } from '../db/database.js';
import type { StateVersionRow } from '../db/schema.js';
import type { LockHolder } from '../workspaces/store.js';
import type { ResourceSummary } from './state-parser.js';
import { camelized } from '../db/rows.js';

/** state-versions.mdx "State Version Status". */
export type StateVersionStatus = 'pending' | 'finalized' | 'discarded';

export interface StateVersion {
  id: string;
  workspaceId: WorkspaceId;
  serial: number;
  lineage: string | null;
  md5: string;
  status: StateVersionStatus;
  size: number | null;
  /** Bytes of the uploaded JSON state; null until uploaded. */
  jsonSize: number | null;
  stateVersion: number | null;
  terraformVersion: string | null;
  resources: ResourceSummary[] | null;
  providers: Record<string, unknown> | null;
  modules: Record<string, unknown> | null;
  resourcesProcessed: boolean;
  outputsProcessed: boolean;
  createdById: string | null;
  rollbackStateVersionId: string | null;
  createdAt: Date;
}

function toStateVersion(row: StateVersionRow): StateVersion {
  return {
    ...camelized(row),
    serial: Number(row.serial),
    status: row.status as StateVersionStatus,
    size: row.size === null ? null : Number(row.size),
    jsonSize: row.json_size === null ? null : Number(row.json_size),
    resources: row.resources as ResourceSummary[] | null,
  };
}

export interface NewStateVersion {
  id: string;
  workspaceId: WorkspaceId;
  serial: number;
  lineage: string | null;
  md5: string;
  status: 'pending' | 'finalized';
  size: number | null;
  jsonSize: number | null;
  outputsProcessed: boolean;
  createdById: string | null;
  rollbackStateVersionId: string | null;
  now: Date;
}

export async function insert(db: Db, sv: NewStateVersion): Promise<void> {
  await db
    .insertInto('state_versions')
    .values({
      id: sv.id,
      workspace_id: sv.workspaceId,
      serial: sv.serial,
      lineage: sv.lineage,
      md5: sv.md5,
      status: sv.status,
      size: sv.size,
      json_size: sv.jsonSize,
      outputs_processed: sv.outputsProcessed,
      created_by_id: sv.createdById,
      rollback_state_version_id: sv.rollbackStateVersionId,
      created_at: sv.now,
    })
    .execute();
}

export async function findById(db: Db, id: string): Promise<StateVersion | undefined> {
  const row = await db.selectFrom('state_versions').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toStateVersion(row);
}

/** The workspace's current state version, if any. */
export async function findCurrent(db: Db, workspaceId: WorkspaceId): Promise<StateVersion | undefined> {
  const row = await db
    .selectFrom('state_versions')
    .innerJoin('workspaces', 'workspaces.current_state_version_id', 'state_versions.id')
    .selectAll('state_versions')
    .where('workspaces.id', '=', workspaceId)
    .executeTakeFirst();
  return row && toStateVersion(row);
}

/** Versions by id, in the order of `ids`; unknown ids are left out. */
export async function findManyById(db: Db, ids: readonly string[]): Promise<StateVersion[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('state_versions').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((row) => [row.id, toStateVersion(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** A page of a workspace's versions, newest first. */
export async function selectPage(
  db: Db,
  workspaceId: WorkspaceId,
  status: StateVersionStatus | undefined,
  window: PageWindow,
): Promise<{ versions: StateVersion[]; total: number }> {
  let base = db.selectFrom('state_versions').where('workspace_id', '=', workspaceId);
  if (status !== undefined) base = base.where('status', '=', status);
  const { rows, total } = await pageAndTotal(base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), window);
  return { versions: rows.map(toStateVersion), total };
}

/**
 * The workspace's lock holder and current state version, with its row locked until the transaction
 * ends: concurrent writes of one workspace's state take turns.
 */
export async function lockWorkspace(db: Db, workspaceId: WorkspaceId): Promise<{ lockedBy: LockHolder | null; currentStateVersionId: string | null } | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .select(['locked_by_kind', 'locked_by_id', 'current_state_version_id'])
    .where('id', '=', workspaceId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return undefined;
  const lockedBy = row.locked_by_kind && row.locked_by_id ? { kind: row.locked_by_kind as LockHolder['kind'], id: row.locked_by_id } : null;
  return { lockedBy, currentStateVersionId: row.current_state_version_id };
}

/** The ids of every version of the workspaces, whatever their status. */
export async function idsOfWorkspaces(db: Db, workspaceIds: readonly WorkspaceId[]): Promise<string[]> {
  if (workspaceIds.length === 0) return [];
  const rows = await db.selectFrom('state_versions').select('id').where('workspace_id', 'in', workspaceIds).execute();
  return rows.map((row) => row.id);
}

/**
 * Deletes the workspace's versions created before `cutoff` (a data retention policy), except its
 * current one, pending ones, and its `keepLatest` newest finalized ones; returns the deleted ids.
 * Call with the workspace locked (lockWorkspace), so that the current version cannot change meanwhile.
 */
export async function deleteExpired(db: Db, workspaceId: WorkspaceId, cutoff: Date, keepLatest: number): Promise<string[]> {
  const rows = await db
    .deleteFrom('state_versions')
    .where('workspace_id', '=', workspaceId)
    .where('status', '!=', 'pending')
    .where('created_at', '<', cutoff)
    .where(({ eb, not, exists, selectFrom }) =>
      not(exists(selectFrom('workspaces').select('id').where('id', '=', workspaceId).whereRef('current_state_version_id', '=', eb.ref('state_versions.id')))),
    )
    .where(
      'id',
      'not in',
      db
        .selectFrom('state_versions')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('status', '=', 'finalized')
        .orderBy('created_at', 'desc')
        .orderBy('serial', 'desc')
        .limit(keepLatest),
    )
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/** Makes the version the workspace's current state (the column belongs to the state domain). */
export async function setCurrent(db: Db, workspaceId: WorkspaceId, stateVersionId: string): Promise<void> {
  await db.updateTable('workspaces').set({ current_state_version_id: stateVersionId }).where('id', '=', workspaceId).execute();
}

/** Discards the workspace's pending versions (superseded, or their lock was forced open); returns how many. */
export async function discardPending(db: Db, workspaceId: WorkspaceId): Promise<number> {
  const result = await db
    .updateTable('state_versions')
    .set({ status: 'discarded' })
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function hasPending(db: Db, workspaceId: WorkspaceId): Promise<boolean> {
  const row = await db.selectFrom('state_versions').select('id').where('workspace_id', '=', workspaceId).where('status', '=', 'pending').executeTakeFirst();
  return row !== undefined;
}

/** pending → finalized with the uploaded size; false when the version was no longer pending. */
export async function markFinalized(db: Db, id: string, size: number): Promise<boolean> {
  const result = await db
    .updateTable('state_versions')
    .set({ status: 'finalized', size })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** pending → discarded; false when it was not pending. */
export async function markDiscarded(db: Db, id: string): Promise<boolean> {
  const result = await db.updateTable('state_versions').set({ status: 'discarded' }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records the JSON state's size once; false when it was already uploaded or the version was discarded. */
export async function markJsonUploaded(db: Db, id: string, size: number): Promise<boolean> {
  const result = await db
    .updateTable('state_versions')
    .set({ json_size: size })
    .where('id', '=', id)
    .where('json_size', 'is', null)
    .where('status', '!=', 'discarded')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface ProcessedFields {
  stateVersion: number | null;
  terraformVersion: string | null;
  resources: ResourceSummary[];
  providers: Record<string, unknown>;
  modules: Record<string, unknown>;
}

/** Stores what the background parse extracted; outputs are processed from then on too. */
export async function markProcessed(db: Db, id: string, fields: ProcessedFields): Promise<void> {
  await db
    .updateTable('state_versions')
    .set({
      state_version: fields.stateVersion,
      terraform_version: fields.terraformVersion,
      resources: JSON.stringify(fields.resources),
      providers: JSON.stringify(fields.providers),
      modules: JSON.stringify(fields.modules),
      resources_processed: true,
      outputs_processed: true,
    })
    .where('id', '=', id)
    .execute();
}

export async function setResourceCount(db: Db, workspaceId: WorkspaceId, count: number): Promise<void> {
  await db.updateTable('workspaces').set({ resource_count: count }).where('id', '=', workspaceId).execute();
}
