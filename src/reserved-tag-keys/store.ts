import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized } from '../db/rows.js';
import type { DB } from '../db/schema.js';
import type { Selectable } from 'kysely';
import type { Paged } from '../db/paging.js';

/** One reservation per key in an organization (migration 0018). */
export const KEY_CONSTRAINT = 'reserved_tag_keys_organization_key_key';

export interface ReservedTagKey {
  id: string;
  organizationId: string;
  key: string;
  disableOverrides: boolean;
  createdAt: Date;
  updatedAt: Date;
}

function toReservedTagKey(row: Selectable<DB['reserved_tag_keys']>): ReservedTagKey {
  return camelized(row);
}

export async function insert(db: Db, row: { id: string; organizationId: string; key: string; disableOverrides: boolean; now: Date }): Promise<void> {
  await db
    .insertInto('reserved_tag_keys')
    .values({
      id: row.id,
      organization_id: row.organizationId,
      key: row.key,
      disable_overrides: row.disableOverrides,
      created_at: row.now,
      updated_at: row.now,
    })
    .execute();
}

export async function update(db: Db, id: string, fields: { key?: string | undefined; disableOverrides?: boolean | undefined }, now: Date): Promise<void> {
  await db
    .updateTable('reserved_tag_keys')
    .set({
      ...(fields.key !== undefined ? { key: fields.key } : {}),
      ...(fields.disableOverrides !== undefined ? { disable_overrides: fields.disableOverrides } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('reserved_tag_keys').where('id', '=', id).execute();
}

export async function findById(db: Db, id: string): Promise<ReservedTagKey | undefined> {
  const row = await db.selectFrom('reserved_tag_keys').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toReservedTagKey(row);
}

export async function selectPage(db: Db, organizationId: string, window: PageWindow): Promise<Paged<ReservedTagKey>> {
  const query = db.selectFrom('reserved_tag_keys').selectAll().where('organization_id', '=', organizationId).orderBy('created_at').orderBy('id');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toReservedTagKey), total };
}

/** Of `keys`, those the organization reserved with overrides disabled that the project binds: a workspace may not set them. */
export async function lockedByProject(db: Db, organizationId: string, projectId: string, keys: readonly string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const rows = await db
    .selectFrom('reserved_tag_keys as r')
    .innerJoin('project_tag_bindings as p', (join) => join.onRef('p.key', '=', 'r.key').on('p.project_id', '=', projectId))
    .select('r.key')
    .where('r.organization_id', '=', organizationId)
    .where('r.disable_overrides', '=', true)
    .where('r.key', 'in', keys)
    .execute();
  return rows.map((row) => row.key);
}
