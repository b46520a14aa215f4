import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { PoolWorld } from '../agent-pools/testing.js';
import { assertError, assertInvalidParameter, TIMESTAMP } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';

forEachDatabase('agents', (server) => {
  const world = new PoolWorld(server);
  const api = world.api.bind(world);
  before(() => world.setUp());

  it('lists a pool’s agents oldest first, with statuses derived from their pings', async () => {
    const pool = await world.createPool();
    const idle = await world.insertAgent(pool.id, { status: 'idle', name: 'my-cool-agent', createdSecondsAgo: 50, pingedSecondsAgo: 5 });
    const busy = await world.insertAgent(pool.id, { status: 'busy', createdSecondsAgo: 40, pingedSecondsAgo: 119 });
    const silent = await world.insertAgent(pool.id, { status: 'busy', createdSecondsAgo: 30, pingedSecondsAgo: 121 });
    const exited = await world.insertAgent(pool.id, { status: 'exited', createdSecondsAgo: 20, pingedSecondsAgo: 3600 });
    const errored = await world.insertAgent(pool.id, { status: 'errored', name: null, createdSecondsAgo: 10, pingedSecondsAgo: 1 });
    await world.insertAgent(null, { status: 'idle' });

    const res = await api('GET', `/agent-pools/${pool.id}/agents`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((a: { id: string; attributes: { status: string } }) => [a.id, a.attributes.status]),
      [
        [idle, 'idle'],
        [busy, 'busy'],
        [silent, 'unknown'],
        [exited, 'exited'],
        [errored, 'errored'],
      ],
    );
    const first = res.body.data[0];
    assert.equal(first.type, 'agents');
    assert.equal(first.attributes.name, 'my-cool-agent');
    assert.equal(first.attributes['ip-address'], '192.0.2.10');
    assert.match(first.attributes['last-ping-at'], TIMESTAMP);
    assert.equal(first.links.self, `/api/v2/agents/${idle}`);
    assert.equal(res.body.data[4].attributes.name, null);
    assert.equal(res.body.meta.pagination['total-count'], 5);

    const paged = await api('GET', `/agent-pools/${pool.id}/agents?page%5Bsize%5D=2&page%5Bnumber%5D=3`, world.ownerToken);
    assert.deepEqual(
      paged.body.data.map((a: { id: string }) => a.id),
      [errored],
    );

    const since = new Date(Date.now() - 60_000).toISOString();
    const recent = await api('GET', `/agent-pools/${pool.id}/agents?filter%5Blast-ping-since%5D=${encodeURIComponent(since)}`, world.ownerToken);
    assert.deepEqual(
      recent.body.data.map((a: { id: string }) => a.id),
      [idle, errored],
    );
    assert.equal(recent.body.meta.pagination['total-count'], 2);
    assertInvalidParameter(
      await api('GET', `/agent-pools/${pool.id}/agents?filter%5Blast-ping-since%5D=yesterday`, world.ownerToken),
      'filter[last-ping-since]',
    );
  });

  it('shows an agent; the built-in runner’s agents and other organizations’ are not found', async () => {
    const pool = await world.createPool();
    const agent = await world.insertAgent(pool.id, { status: 'idle', pingedSecondsAgo: 300 });
    const shown = await api('GET', `/agents/${agent}`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.id, agent);
    assert.equal(shown.body.data.attributes.status, 'unknown');

    const local = await world.insertAgent(null);
    assertError(await api('GET', `/agents/${local}`, world.ownerToken), 404);
    assertError(await server.api('GET', `/api/v2/agents/${local}`, { token: server.adminToken }), 404);
    const foreign = await world.insertAgent((await world.createPool({}, undefined, world.otherOrg, world.strangerToken)).id);
    assertError(await api('GET', `/agents/${foreign}`, world.ownerToken), 404);
    assertError(await api('DELETE', `/agents/${foreign}`, world.ownerToken), 404);
    assertError(await api('GET', `/agent-pools/${pool.id}/agents`, world.memberToken), 404);
    assertError(await api('GET', `/agents/${agent}`, world.memberToken), 404);
    assertError(await api('GET', '/agents/agent-unknown', world.ownerToken), 404);
  });

  it('deletes unknown, errored and exited agents; idle and busy ones are a 412', async () => {
    const pool = await world.createPool();
    for (const [status, pingedSecondsAgo] of [
      ['idle', 0],
      ['busy', 60],
    ] as const) {
      const live = await world.insertAgent(pool.id, { status, pingedSecondsAgo });
      assertError(await api('DELETE', `/agents/${live}`, world.ownerToken), 412, new RegExp(`is ${status}`));
      assert.equal((await api('GET', `/agents/${live}`, world.ownerToken)).status, 200);
    }
    for (const [status, pingedSecondsAgo] of [
      ['busy', 600],
      ['errored', 0],
      ['exited', 0],
    ] as const) {
      const stopped = await world.insertAgent(pool.id, { status, pingedSecondsAgo });
      assert.equal((await api('DELETE', `/agents/${stopped}`, world.ownerToken)).status, 204);
      assertError(await api('GET', `/agents/${stopped}`, world.ownerToken), 404);
    }
  });
});
