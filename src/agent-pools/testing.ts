import assert from 'node:assert/strict';
import { OrganizationWorld, resourceBody, unique } from '../../test/fixtures.js';
import { newId } from '../ids.js';

/** Shared by the agent pool, agent token, agent and workspace execution tests: pool bodies and the pool world. */

export const poolBody = resourceBody('agent-pools');

export const linkage = (type: string, ...ids: string[]) => ({ data: ids.map((id) => ({ type, id })) });

/** The shared organization world (test/fixtures.ts), with pools created through the API and agents inserted as the agent protocol would. */
export class PoolWorld extends OrganizationWorld {
  /** Creates a pool as the owner and returns its resource object. */
  async createPool(attributes: Record<string, unknown> = {}, relationships?: Record<string, unknown>, org = this.org, token = this.ownerToken) {
    const res = await this.api('POST', `/organizations/${org}/agent-pools`, token, poolBody({ name: unique('pool'), ...attributes }, relationships));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  /** Creates an agent token of the pool as the owner and returns its secret. */
  async createAgentToken(poolId: string): Promise<{ id: string; secret: string }> {
    const res = await this.api('POST', `/agent-pools/${poolId}/authentication-tokens`, this.ownerToken, {
      data: { type: 'authentication-tokens', attributes: { description: unique('agent') } },
    });
    assert.equal(res.status, 201, res.text);
    return { id: res.body.data.id, secret: res.body.data.attributes.token };
  }

  /** An agent row, as the agent protocol writes it; `pingedSecondsAgo` sets last_ping_at. */
  async insertAgent(
    poolId: string | null,
    agent: { status?: string; name?: string | null; pingedSecondsAgo?: number; createdSecondsAgo?: number; ipAddress?: string } = {},
  ): Promise<string> {
    const id = newId('agent');
    const now = Date.now();
    await this.server.database.db
      .insertInto('agents')
      .values({
        id,
        agent_pool_id: poolId,
        name: agent.name === undefined ? unique('agent') : agent.name,
        ip_address: agent.ipAddress ?? '192.0.2.10',
        status: agent.status ?? 'idle',
        last_ping_at: new Date(now - (agent.pingedSecondsAgo ?? 0) * 1000),
        created_at: new Date(now - (agent.createdSecondsAgo ?? 0) * 1000),
      })
      .execute();
    return id;
  }
}
