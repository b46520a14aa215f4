import type { Db } from '../db/database.js';
import type { WorkspaceId } from '../ids.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';

/** Remote state consumers: the workspaces allowed to read a workspace's state (workspaces.mdx "Get Remote State Consumers"). */

/**
 * A page of the ids of the workspaces that may read `workspace`'s state, by name: with global remote
 * state every other workspace of the organization, otherwise the listed consumers.
 */
export async function selectPage(
  db: Db,
  workspace: { id: WorkspaceId; organizationId: string; globalRemoteState: boolean },
  window: PageWindow,
): Promise<{ ids: WorkspaceId[]; total: number }> {
  const others = db.selectFrom('workspaces').where('workspaces.organization_id', '=', workspace.organizationId).where('workspaces.id', '!=', workspace.id);
  const consumers = workspace.globalRemoteState
    ? others
    : others.where((eb) =>
        eb.exists(
          eb
            .selectFrom('remote_state_consumers')
            .select('remote_state_consumers.consumer_id')
            .where('remote_state_consumers.workspace_id', '=', workspace.id)
            .whereRef('remote_state_consumers.consumer_id', '=', 'workspaces.id'),
        ),
      );
  const { rows, total } = await pageAndTotal(consumers.select('workspaces.id').orderBy('workspaces.name'), window);
  return { ids: rows.map((row) => row.id), total };
}

export async function add(db: Db, workspaceId: WorkspaceId, consumerIds: readonly WorkspaceId[]): Promise<void> {
  if (consumerIds.length === 0) return;
  await db
    .insertInto('remote_state_consumers')
    .values(consumerIds.map((consumerId) => ({ workspace_id: workspaceId, consumer_id: consumerId })))
    .onConflict((oc) => oc.columns(['workspace_id', 'consumer_id']).doNothing())
    .execute();
}

export async function remove(db: Db, workspaceId: WorkspaceId, consumerIds: readonly WorkspaceId[]): Promise<void> {
  if (consumerIds.length === 0) return;
  await db.deleteFrom('remote_state_consumers').where('workspace_id', '=', workspaceId).where('consumer_id', 'in', consumerIds).execute();
}

/** Makes `consumerIds` the complete list. */
export async function replace(db: Db, workspaceId: WorkspaceId, consumerIds: readonly WorkspaceId[]): Promise<void> {
  await db.deleteFrom('remote_state_consumers').where('workspace_id', '=', workspaceId).execute();
  await add(db, workspaceId, consumerIds);
}

/** Which of `ids` are workspaces of the organization. */
export async function existingIds(db: Db, organizationId: string, ids: readonly WorkspaceId[]): Promise<Set<WorkspaceId>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('workspaces').select('id').where('organization_id', '=', organizationId).where('id', 'in', ids).execute();
  return new Set(rows.map((row) => row.id));
}
