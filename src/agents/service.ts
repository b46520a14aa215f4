import * as agentPoolService from '../agent-pools/service.js';
import type { Ctx } from '../context.js';
import { NotFoundError, PreconditionFailedError } from '../errors.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as agentStore from './store.js';
import type { Paged } from '../db/paging.js';

/**
 * Agents (agents.mdx "List Agents", "Show an Agent", "Delete an Agent"). The agent protocol records
 * them and their pings; this serves them to whoever reads the pool, and deletes stopped ones.
 */

export type AgentStatus = agentStore.ReportedStatus | 'unknown';

/**
 * How long an idle or busy agent may go without a ping before its status is `unknown`: "has not
 * reported any status for an unexpected period of time" (agents/agent-pools, "View agent statuses").
 * An agent pings every few seconds, so two minutes is several missed pings, not a slow network.
 */
export const UNKNOWN_AFTER_MS = 2 * 60_000;

export interface AgentView {
  agent: agentStore.Agent;
  status: AgentStatus;
}

/** The status the API shows: the reported one, or `unknown` for an idle or busy agent that stopped pinging. */
export function statusOf(agent: agentStore.Agent, now: Date): AgentStatus {
  const live = agent.reportedStatus === 'idle' || agent.reportedStatus === 'busy';
  return live && now.getTime() - agent.lastPingAt.getTime() > UNKNOWN_AFTER_MS ? 'unknown' : agent.reportedStatus;
}

function viewOf(ctx: Ctx, agent: agentStore.Agent): AgentView {
  return { agent, status: statusOf(agent, ctx.now()) };
}

export async function list(ctx: Ctx, poolId: string, options: { lastPingSince?: Date | undefined; page: Page }): Promise<Paged<AgentView>> {
  const pool = await agentPoolService.findAuthorized(ctx, poolId, 'agent-pool:read');
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const { agents, total } = await agentStore.selectPage(ctx.db, pool.id, { lastPingSince: options.lastPingSince }, window);
  return { items: agents.map((a) => viewOf(ctx, a)), total };
}

async function findAuthorized(ctx: Ctx, id: string, action: 'agent-pool:read' | 'agent-pool:manage'): Promise<agentStore.Agent> {
  const agent = await agentStore.findById(ctx.db, id);
  if (!agent) throw new NotFoundError(`agent ${id} not found`);
  try {
    await agentPoolService.findAuthorized(ctx, agent.agentPoolId, action);
  } catch (err) {
    throw err instanceof NotFoundError ? new NotFoundError(`agent ${id} not found`) : err;
  }
  return agent;
}

export async function show(ctx: Ctx, id: string): Promise<AgentView> {
  return viewOf(ctx, await findAuthorized(ctx, id, 'agent-pool:read'));
}

const STOPPED: readonly agentStore.ReportedStatus[] = ['exited', 'errored'];

/** Deletes an agent whose status is unknown, errored or exited; an idle or busy one is a 412 (agents.mdx "Delete an Agent"). */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const agent = await findAuthorized(ctx, id, 'agent-pool:manage');
  const now = ctx.now();
  // Conditional in SQL: a ping between the read and the delete makes the agent live again.
  if (!(await agentStore.deleteIfStopped(ctx.db, agent.id, STOPPED, new Date(now.getTime() - UNKNOWN_AFTER_MS)))) {
    throw new PreconditionFailedError(`agent ${id} is ${statusOf(agent, now)}; only unknown, errored or exited agents can be deleted`);
  }
}
