import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { StoredRetentionPolicy } from '../db/schema.js';

/** Sets or removes (null) the explicit policy of an organization or a workspace. */
export async function setOn(db: Db, owner: { table: 'organizations' | 'workspaces'; id: string }, policy: StoredRetentionPolicy | null): Promise<void> {
  await db
    .updateTable(owner.table)
    .set({ data_retention_policy: policy && JSON.stringify(policy) })
    .where('id', '=', owner.id)
    .execute();
}

/** A workspace whose effective policy deletes: its own, or its organization's when it has none. */
export interface DeletingWorkspace {
  id: string;
  policy: StoredRetentionPolicy;
}

/** The next `limit` workspaces after `afterId` (by id) whose effective policy is `delete-older`. */
export async function deletingWorkspaces(db: Db, afterId: string, limit: number): Promise<DeletingWorkspace[]> {
  const effective = sql<StoredRetentionPolicy>`coalesce(w.data_retention_policy, o.data_retention_policy)`;
  return db
    .selectFrom('workspaces as w')
    .innerJoin('organizations as o', 'o.id', 'w.organization_id')
    .select(['w.id', effective.as('policy')])
    .where(sql`${effective} ->> 'kind'`, '=', 'delete-older')
    .where('w.id', '>', afterId)
    .orderBy('w.id')
    .limit(limit)
    .execute();
}
