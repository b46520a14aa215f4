import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { WorkspaceId } from '../ids.js';
import type { Db } from '../db/database.js';
import type { StateVersionOutputRow } from '../db/schema.js';
import { camelized } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

export interface StateVersionOutput {
  id: string;
  stateVersionId: string;
  name: string;
  sensitive: boolean;
  /** The value of a non-sensitive output; null for sensitive ones. */
  value: unknown;
  /** Sealed JSON of a sensitive output's value. */
  sealedValue: string | null;
  detailedType: unknown;
}

function toOutput(row: StateVersionOutputRow): StateVersionOutput {
  return camelized(row);
}

/** Rows per INSERT: 7 parameters each stays far below PostgreSQL's 65,535. */
const BATCH = 1000;

export async function insertMany(db: Db, outputs: readonly StateVersionOutput[]): Promise<void> {
  for (let i = 0; i < outputs.length; i += BATCH) {
    await db
      .insertInto('state_version_outputs')
      .values(
        outputs.slice(i, i + BATCH).map((o) => ({
          id: o.id,
          state_version_id: o.stateVersionId,
          name: o.name,
          sensitive: o.sensitive,
          value: o.sensitive ? null : JSON.stringify(o.value ?? null),
          sealed_value: o.sealedValue,
          detailed_type: o.detailedType === null || o.detailedType === undefined ? null : JSON.stringify(o.detailedType),
        })),
      )
      .execute();
  }
}

/** A page of a version's outputs, by name. */
export async function selectPage(db: Db, stateVersionId: string, window: PageWindow): Promise<Paged<StateVersionOutput>> {
  const base = db.selectFrom('state_version_outputs').where('state_version_id', '=', stateVersionId);
  const { rows, total } = await pageAndTotal(base.selectAll().orderBy('name'), window);
  return { items: rows.map(toOutput), total };
}

/** Every output of the versions, by name within each version. */
export async function listByStateVersions(db: Db, stateVersionIds: readonly string[]): Promise<StateVersionOutput[]> {
  if (stateVersionIds.length === 0) return [];
  const rows = await db.selectFrom('state_version_outputs').selectAll().where('state_version_id', 'in', stateVersionIds).orderBy('name').execute();
  return rows.map(toOutput);
}

/** The ids of each version's outputs, by name. */
export async function idsByStateVersions(db: Db, stateVersionIds: readonly string[]): Promise<Map<string, string[]>> {
  const ids = new Map<string, string[]>(stateVersionIds.map((id) => [id, []]));
  if (stateVersionIds.length === 0) return ids;
  const rows = await db
    .selectFrom('state_version_outputs')
    .select(['id', 'state_version_id'])
    .where('state_version_id', 'in', stateVersionIds)
    .orderBy('name')
    .execute();
  for (const row of rows) ids.get(row.state_version_id)?.push(row.id);
  return ids;
}

/** An output and the workspace its state version belongs to. */
export async function findById(db: Db, id: string): Promise<{ output: StateVersionOutput; workspaceId: WorkspaceId } | undefined> {
  const row = await db
    .selectFrom('state_version_outputs')
    .innerJoin('state_versions', 'state_versions.id', 'state_version_outputs.state_version_id')
    .selectAll('state_version_outputs')
    .select('state_versions.workspace_id')
    .where('state_version_outputs.id', '=', id)
    .executeTakeFirst();
  return row && { output: toOutput(row), workspaceId: row.workspace_id };
}

/** The workspace a state version belongs to. */
export async function stateVersionWorkspaceId(db: Db, stateVersionId: string): Promise<WorkspaceId | undefined> {
  const row = await db.selectFrom('state_versions').select('workspace_id').where('id', '=', stateVersionId).executeTakeFirst();
  return row?.workspace_id;
}

/** The workspace's current state version and whether its outputs exist yet. */
export async function currentStateVersion(db: Db, workspaceId: WorkspaceId): Promise<{ id: string; outputsProcessed: boolean } | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .innerJoin('state_versions', 'state_versions.id', 'workspaces.current_state_version_id')
    .select(['state_versions.id', 'state_versions.outputs_processed'])
    .where('workspaces.id', '=', workspaceId)
    .executeTakeFirst();
  return row && { id: row.id, outputsProcessed: row.outputs_processed };
}
