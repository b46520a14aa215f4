import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { WorkspaceResourceRow } from '../db/schema.js';
import { camelized } from '../db/rows.js';
import type { ResourceInstance } from './state-parser.js';
import type { Paged } from '../db/paging.js';

/** A workspace's managed resource instances from its current state (workspace-resources.mdx). */
export interface WorkspaceResource extends Omit<ResourceInstance, 'hash'> {
  id: string;
  modifiedByStateVersionId: string;
  createdAt: Date;
  updatedAt: Date;
}

function toResource(row: WorkspaceResourceRow): WorkspaceResource {
  return camelized(row);
}

export interface ResourceRecord extends ResourceInstance {
  /** Used only when the address is new to the workspace. */
  id: string;
}

/** Rows per INSERT: 13 parameters each stays far below PostgreSQL's 65,535. */
const BATCH = 1000;

/**
 * Makes `records` (distinct addresses) the workspace's resources as of `stateVersionId`: new addresses
 * are inserted, an instance whose hash changed records this version as its modifier, and addresses
 * the state no longer has are removed.
 */
export async function replaceAll(db: Db, workspaceId: string, stateVersionId: string, records: readonly ResourceRecord[], now: Date): Promise<void> {
  const unchanged = sql<boolean>`workspace_resources.instance_hash = excluded.instance_hash`;
  for (let i = 0; i < records.length; i += BATCH) {
    await db
      .insertInto('workspace_resources')
      .values(
        records.slice(i, i + BATCH).map((r) => ({
          id: r.id,
          workspace_id: workspaceId,
          address: r.address,
          name: r.name,
          module: r.module,
          provider: r.provider,
          provider_type: r.providerType,
          name_index: r.nameIndex,
          instance_hash: r.hash,
          modified_by_state_version_id: stateVersionId,
          seen_in_state_version_id: stateVersionId,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['workspace_id', 'address']).doUpdateSet({
          provider: sql`excluded.provider`,
          modified_by_state_version_id: sql`CASE WHEN ${unchanged} THEN workspace_resources.modified_by_state_version_id ELSE excluded.modified_by_state_version_id END`,
          updated_at: sql`CASE WHEN ${unchanged} THEN workspace_resources.updated_at ELSE excluded.updated_at END`,
          instance_hash: sql`excluded.instance_hash`,
          seen_in_state_version_id: sql`excluded.seen_in_state_version_id`,
        }),
      )
      .execute();
  }
  await db.deleteFrom('workspace_resources').where('workspace_id', '=', workspaceId).where('seen_in_state_version_id', '!=', stateVersionId).execute();
}

/** A page of the workspace's resources, by address. */
export async function selectPage(db: Db, workspaceId: string, window: PageWindow): Promise<Paged<WorkspaceResource>> {
  const base = db.selectFrom('workspace_resources').where('workspace_id', '=', workspaceId);
  const { rows, total } = await pageAndTotal(base.selectAll().orderBy('address'), window);
  return { items: rows.map(toResource), total };
}
