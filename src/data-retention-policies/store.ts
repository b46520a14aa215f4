import { sql } from 'kysely';
import type { WorkspaceId } from '../ids.js';
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
  id: WorkspaceId;
  policy: StoredRetentionPolicy;
  /** What was created before this has expired: the sweep's time less the policy's days (of 24 hours). */
  cutoff: Date;
}

/**
 * The next `limit` workspaces after `afterId` (by id) whose effective policy is `delete-older` and
 * that hold a state or an uploaded configuration version older than that policy's cutoff at `now`,
 * with that cutoff: the sweep runs after every policy change, and an organization's policy covers all
 * its workspaces, most with nothing to delete; those are left out here rather than locked one by one.
 */
export async function deletingWorkspaces(db: Db, afterId: string, limit: number, now: Date): Promise<DeletingWorkspace[]> {
  const effective = sql<StoredRetentionPolicy>`coalesce(w.data_retention_policy, o.data_retention_policy)`;
  const cutoff = sql<Date>`${now}::timestamptz - make_interval(hours => 24 * coalesce((${effective} ->> 'deleteOlderThanNDays')::int, 0))`;
  return db
    .selectFrom('workspaces as w')
    .innerJoin('organizations as o', 'o.id', 'w.organization_id')
    .select(['w.id', effective.as('policy'), cutoff.as('cutoff')])
    .where(sql`${effective} ->> 'kind'`, '=', 'delete-older')
    .where(sql.ref<string>('w.id'), '>', afterId)
    .where(({ or, exists, selectFrom }) =>
      or([
        exists(selectFrom('state_versions as sv').select('sv.id').whereRef('sv.workspace_id', '=', 'w.id').where('sv.created_at', '<', cutoff)),
        exists(
          selectFrom('configuration_versions as cv')
            .select('cv.id')
            .whereRef('cv.workspace_id', '=', 'w.id')
            .where('cv.status', '=', 'uploaded')
            .where('cv.created_at', '<', cutoff),
        ),
      ]),
    )
    .orderBy('w.id')
    .limit(limit)
    .execute();
}
