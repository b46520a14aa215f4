import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { Db } from '../db/database.js';
import type { Selectable } from 'kysely';
import type { AgentTable } from '../db/schema.js';
import { camelized } from '../db/rows.js';

/** Agents of pools, as the agent protocol records them; the built-in runner's (no pool) are not for the API. */

export type ReportedStatus = 'idle' | 'busy' | 'exited' | 'errored';

export interface Agent {
  id: string;
  agentPoolId: string;
  name: string | null;
  ipAddress: string | null;
  /** What the agent last reported. */
  reportedStatus: ReportedStatus;
  lastPingAt: Date;
  createdAt: Date;
}

function toAgent({ status, ...row }: Selectable<AgentTable>, poolId: string): Agent {
  return { ...camelized(row), agentPoolId: poolId, reportedStatus: status as ReportedStatus };
}

export async function findById(db: Db, id: string): Promise<Agent | undefined> {
  const row = await db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
  return row?.agent_pool_id ? toAgent(row, row.agent_pool_id) : undefined;
}

/** A page of the pool's agents, oldest first; `lastPingSince` keeps those that pinged at or after it. */
export async function selectPage(
  db: Db,
  poolId: string,
  filter: { lastPingSince?: Date | undefined },
  window: PageWindow,
): Promise<{ agents: Agent[]; total: number }> {
  let query = db.selectFrom('agents').where('agent_pool_id', '=', poolId);
  if (filter.lastPingSince) query = query.where('last_ping_at', '>=', filter.lastPingSince);
  const { rows, total } = await pageAndTotal(query.selectAll().orderBy('created_at').orderBy('id'), window);
  return { agents: rows.map((row) => toAgent(row, poolId)), total };
}

/** Deletes the agent if it still last reported one of `statuses` and pinged before `pingedBefore` (see service.destroy); false otherwise. */
export async function deleteIfStopped(db: Db, id: string, stoppedStatuses: readonly ReportedStatus[], pingedBefore: Date): Promise<boolean> {
  const result = await db
    .deleteFrom('agents')
    .where('id', '=', id)
    .where((eb) => eb.or([eb('status', 'in', stoppedStatuses), eb('last_ping_at', '<', pingedBefore)]))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
