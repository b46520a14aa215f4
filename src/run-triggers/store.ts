import type { Db } from '../db/database.js';
import type { WorkspaceId } from '../ids.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized, lookupsById, type RowOf } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

/** Run triggers: a workspace and one of its source workspaces (run-triggers.mdx). */

/** One trigger per workspace and source (migration 0022). */
export const PAIR_CONSTRAINT = 'run_triggers_workspace_sourceable_key';

export interface RunTrigger {
  id: string;
  workspaceId: WorkspaceId;
  workspaceName: string;
  sourceableId: WorkspaceId;
  sourceableName: string;
  createdAt: Date;
}

function selectTriggers(db: Db) {
  return db
    .selectFrom('run_triggers')
    .innerJoin('workspaces as destination', 'destination.id', 'run_triggers.workspace_id')
    .innerJoin('workspaces as source', 'source.id', 'run_triggers.sourceable_id')
    .selectAll('run_triggers')
    .select(['destination.name as workspace_name', 'source.name as sourceable_name']);
}

function toTrigger(row: RowOf<typeof selectTriggers>): RunTrigger {
  return camelized(row);
}

export async function insert(db: Db, trigger: { id: string; workspaceId: WorkspaceId; sourceableId: WorkspaceId; createdAt: Date }): Promise<void> {
  await db
    .insertInto('run_triggers')
    .values({ id: trigger.id, workspace_id: trigger.workspaceId, sourceable_id: trigger.sourceableId, created_at: trigger.createdAt })
    .execute();
}

export const { findById, findManyById } = lookupsById(selectTriggers, 'run_triggers.id', toTrigger);

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('run_triggers').where('id', '=', id).execute();
}

/** `inbound`: the workspace's sources' triggers; `outbound`: the triggers of the workspaces it is a source of. */
export type Direction = 'inbound' | 'outbound';

export async function page(db: Db, workspaceId: WorkspaceId, direction: Direction, window: PageWindow): Promise<Paged<RunTrigger>> {
  const column = direction === 'inbound' ? 'run_triggers.workspace_id' : 'run_triggers.sourceable_id';
  const query = selectTriggers(db).where(column, '=', workspaceId).orderBy('run_triggers.created_at').orderBy('run_triggers.id');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toTrigger), total };
}

/** How many sources the workspace has. */
export async function countInbound(db: Db, workspaceId: WorkspaceId): Promise<number> {
  const row = await db
    .selectFrom('run_triggers')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The workspaces whose runs the source workspace's applies queue. */
export async function destinationsOf(db: Db, sourceableId: WorkspaceId): Promise<WorkspaceId[]> {
  const rows = await db.selectFrom('run_triggers').select('workspace_id').where('sourceable_id', '=', sourceableId).orderBy('created_at').execute();
  return rows.map((row) => row.workspace_id);
}
