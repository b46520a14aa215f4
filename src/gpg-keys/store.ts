import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized, type RowOf, selectWithOrganizationName } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

/** GPG public keys per namespace (organization), for provider versions (gpg-keys.mdx). */

export const KEY_CONSTRAINT = 'gpg_keys_namespace_key_key';

export interface GpgKey {
  id: string;
  organizationId: string;
  namespace: string;
  keyId: string;
  asciiArmor: string;
  createdAt: Date;
  updatedAt: Date;
}

function selectKeys(db: Db) {
  return selectWithOrganizationName(db, 'gpg_keys');
}

function toKey({ organization_name, ...row }: RowOf<typeof selectKeys>): GpgKey {
  return { ...camelized(row), namespace: organization_name };
}

export async function insert(db: Db, key: Omit<GpgKey, 'namespace' | 'updatedAt'>): Promise<void> {
  await db
    .insertInto('gpg_keys')
    .values({
      id: key.id,
      organization_id: key.organizationId,
      key_id: key.keyId,
      ascii_armor: key.asciiArmor,
      created_at: key.createdAt,
      updated_at: key.createdAt,
    })
    .execute();
}

export async function find(db: Db, organizationId: string, keyId: string): Promise<GpgKey | undefined> {
  const row = await selectKeys(db).where('gpg_keys.organization_id', '=', organizationId).where('gpg_keys.key_id', '=', keyId).executeTakeFirst();
  return row && toKey(row);
}

export async function page(db: Db, organizationIds: readonly string[], window: PageWindow): Promise<Paged<GpgKey>> {
  const query = selectKeys(db).where('gpg_keys.organization_id', 'in', organizationIds).orderBy('gpg_keys.created_at').orderBy('gpg_keys.id');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toKey), total };
}

export async function moveTo(db: Db, id: string, organizationId: string, now: Date): Promise<void> {
  await db.updateTable('gpg_keys').set({ organization_id: organizationId, updated_at: now }).where('id', '=', id).execute();
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('gpg_keys').where('id', '=', id).execute();
}
