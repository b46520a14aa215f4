import { sql } from 'kysely';
import type { RunId } from '../ids.js';
import type { Db } from '../db/database.js';

/** The agent protocol's queries: agents registering and pinging, which agent holds a run, log chunk order. */

export interface AgentRecord {
  id: string;
  agentPoolId: string | null;
  name: string | null;
  status: string;
}

export async function insertAgent(db: Db, agent: { id: string; agentPoolId: string | null; name: string | null; ipAddress: string | null }): Promise<void> {
  await db
    .insertInto('agents')
    .values({ id: agent.id, agent_pool_id: agent.agentPoolId, name: agent.name, ip_address: agent.ipAddress, status: 'idle' })
    .execute();
}

export async function findAgent(db: Db, id: string): Promise<AgentRecord | undefined> {
  const row = await db.selectFrom('agents').select(['id', 'agent_pool_id', 'name', 'status']).where('id', '=', id).executeTakeFirst();
  return row && { id: row.id, agentPoolId: row.agent_pool_id, name: row.name, status: row.status };
}

/** Records a sign of life, and what the agent is doing. */
/**
 * Records the agent's status and that it was heard from. An agent that said it exited stays exited:
 * a long poll of its still in flight on the server must not make it idle again (it registers anew).
 */
export async function ping(db: Db, id: string, status: string): Promise<void> {
  await db.updateTable('agents').set({ status, last_ping_at: sql<Date>`now()` }).where('id', '=', id).where('status', '!=', 'exited').execute();
}

export async function setRunAgent(db: Db, runId: RunId, agentId: string | null): Promise<void> {
  await db.updateTable('runs').set({ agent_id: agentId }).where('id', '=', runId).execute();
}

/** The agent's runs that are still planning or applying. */
export async function runningRunsOfAgents(db: Db, agentIds: readonly string[]): Promise<RunId[]> {
  if (agentIds.length === 0) return [];
  const rows = await db.selectFrom('runs').select('id').where('agent_id', 'in', agentIds).where('status', 'in', ['planning', 'applying']).execute();
  return rows.map((row) => row.id);
}

/** The built-in runner's agents whose name starts with `prefix` (one server's) that have not exited. */
export async function liveBuiltInAgents(db: Db, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('agents')
    .select('id')
    .where('agent_pool_id', 'is', null)
    .where('status', '<>', 'exited')
    .where(sql<boolean>`starts_with(name, ${prefix})`)
    .execute();
  return rows.map((row) => row.id);
}

export async function markExited(db: Db, agentIds: readonly string[]): Promise<void> {
  if (agentIds.length === 0) return;
  await db.updateTable('agents').set({ status: 'exited' }).where('id', 'in', agentIds).execute();
}

/** The built-in runner's agent tokens whose description is `description` (one server's), for revocation. */
export async function deleteBuiltInTokens(db: Db, description: string): Promise<void> {
  await db.deleteFrom('tokens').where('kind', '=', 'agent').where('agent_pool_id', 'is', null).where('description', '=', description).execute();
}
