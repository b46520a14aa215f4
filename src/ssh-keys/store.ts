import type { Db } from '../db/database.js';
import type { WorkspaceId } from '../ids.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { Paged } from '../db/paging.js';

export interface SshKey {
  id: string;
  organizationId: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

function toSshKey(row: { id: string; organization_id: string; name: string; created_at: Date; updated_at: Date }): SshKey {
  return { id: row.id, organizationId: row.organization_id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
}

const COLUMNS = ['id', 'organization_id', 'name', 'created_at', 'updated_at'] as const;

export async function insert(db: Db, key: { id: string; organizationId: string; name: string; sealedValue: string; now: Date }): Promise<void> {
  await db
    .insertInto('ssh_keys')
    .values({ id: key.id, organization_id: key.organizationId, name: key.name, sealed_value: key.sealedValue, created_at: key.now, updated_at: key.now })
    .execute();
}

export async function update(db: Db, id: string, fields: { name?: string | undefined; sealedValue?: string | undefined }, now: Date): Promise<void> {
  await db
    .updateTable('ssh_keys')
    .set({
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(fields.sealedValue !== undefined ? { sealed_value: fields.sealedValue } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('ssh_keys').where('id', '=', id).execute();
}

export async function findById(db: Db, id: string): Promise<SshKey | undefined> {
  const row = await db.selectFrom('ssh_keys').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toSshKey(row);
}

export async function selectPage(db: Db, organizationId: string, window: PageWindow): Promise<Paged<SshKey>> {
  const query = db.selectFrom('ssh_keys').select(COLUMNS).where('organization_id', '=', organizationId).orderBy('created_at').orderBy('id');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toSshKey), total };
}

/** The sealed private key of the SSH key a workspace has, for its runs; undefined without one. */
export async function findSealedValueOfWorkspace(db: Db, workspaceId: WorkspaceId): Promise<string | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .innerJoin('ssh_keys', 'ssh_keys.id', 'workspaces.ssh_key_id')
    .select('ssh_keys.sealed_value')
    .where('workspaces.id', '=', workspaceId)
    .executeTakeFirst();
  return row?.sealed_value;
}

/** Assigns a key to a workspace, or unassigns it (null). */
export async function assignToWorkspace(db: Db, workspaceId: WorkspaceId, sshKeyId: string | null, now: Date): Promise<void> {
  await db.updateTable('workspaces').set({ ssh_key_id: sshKeyId, updated_at: now }).where('id', '=', workspaceId).execute();
}
