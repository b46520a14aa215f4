import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { PoolWorld } from '../agent-pools/testing.js';
import { sha256 } from '../auth/secrets.js';
import { assertError, assertInvalid, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';

const tokenBody = (attributes: Record<string, unknown>, type = 'authentication-tokens') => ({ data: { type, attributes } });

forEachDatabase('agent tokens', (server) => {
  const world = new PoolWorld(server);
  const api = world.api.bind(world);
  before(() => world.setUp());

  it('creates a token shown once and stored hashed, then lists, shows and deletes it', async () => {
    const pool = await world.createPool();
    const created = await api('POST', `/agent-pools/${pool.id}/authentication-tokens`, world.ownerToken, tokenBody({ description: 'rack 1' }));
    assert.equal(created.status, 201, created.text);
    const token = created.body.data;
    assert.equal(token.type, 'authentication-tokens');
    assert.match(token.id, /^at-/);
    assert.equal(token.attributes.description, 'rack 1');
    assert.match(token.attributes['created-at'], TIMESTAMP);
    assert.equal(token.attributes['last-used-at'], null);
    assert.match(token.attributes.token, /\.terrace\./);
    assert.deepEqual(token.relationships['created-by'].data, { type: 'users', id: world.ownerId });

    const row = await server.database.db.selectFrom('tokens').selectAll().where('id', '=', token.id).executeTakeFirstOrThrow();
    assert.equal(row.kind, 'agent');
    assert.equal(row.agent_pool_id, pool.id);
    assert.equal(row.organization_id, world.orgId);
    assert.equal(row.token_hash, sha256(token.attributes.token));
    assert.ok(!JSON.stringify(row).includes(token.attributes.token));

    // go-tfe's AgentTokenGenerateOptions sends type "agent-tokens".
    const second = await api('POST', `/agent-pools/${pool.id}/authentication-tokens`, world.ownerToken, tokenBody({ description: 'rack 2' }, 'agent-tokens'));
    assert.equal(second.status, 201, second.text);

    const listed = await api('GET', `/agent-pools/${pool.id}/authentication-tokens?page%5Bsize%5D=1`, world.ownerToken);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.data.map((t: { id: string; attributes: { token: unknown } }) => [t.id, t.attributes.token]),
      [[token.id, null]],
    );
    assert.equal(listed.body.meta.pagination['total-count'], 2);

    const shown = await api('GET', `/authentication-tokens/${token.id}`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.attributes.token, null);
    assert.equal(shown.body.data.attributes.description, 'rack 1');

    assert.equal((await api('DELETE', `/authentication-tokens/${token.id}`, world.ownerToken)).status, 204);
    assertError(await api('GET', `/authentication-tokens/${token.id}`, world.ownerToken), 404);
    assert.equal((await api('GET', `/agent-pools/${pool.id}/authentication-tokens`, world.ownerToken)).body.data.length, 1);
    // A deleted token no longer authenticates.
    assertError(await api('GET', `/organizations/${world.org}`, token.attributes.token), 401);
  });

  it('needs a description, and the documented type', async () => {
    const pool = await world.createPool();
    const path = `/agent-pools/${pool.id}/authentication-tokens`;
    assertInvalid(await api('POST', path, world.ownerToken, tokenBody({})), '/data/attributes/description', /required/);
    assertInvalid(await api('POST', path, world.ownerToken, tokenBody({ description: '  ' })), '/data/attributes/description', /required/);
    assertInvalid(await api('POST', path, world.ownerToken, tokenBody({ description: 7 })), '/data/attributes/description');
    assertError(await api('POST', path, world.ownerToken, tokenBody({ description: 'x' }, 'tokens')), 400);
    assertError(await api('POST', path, world.ownerToken), 400);
    assert.equal((await api('GET', path, world.ownerToken)).body.data.length, 0);
  });

  it('authenticates as an agent that may do nothing in the API', async () => {
    const pool = await world.createPool();
    const { secret } = await world.createAgentToken(pool.id);
    for (const path of [
      `/organizations/${world.org}`,
      `/organizations/${world.org}/workspaces`,
      `/organizations/${world.org}/agent-pools`,
      `/agent-pools/${pool.id}`,
      `/agent-pools/${pool.id}/agents`,
      `/agent-pools/${pool.id}/authentication-tokens`,
      '/account/details',
    ]) {
      assertError(await api('GET', path, secret), 404);
    }
    assertError(await api('POST', `/agent-pools/${pool.id}/authentication-tokens`, secret, tokenBody({ description: unique('d') })), 404);
    assertError(await api('DELETE', `/agent-pools/${pool.id}`, secret), 404);
    const organizations = await api('GET', '/organizations', secret);
    assert.equal(organizations.status, 200, organizations.text);
    assert.deepEqual(organizations.body.data, []);
  });

  it("hides another organization's pool tokens, and the built-in runner's token", async () => {
    const foreign = await world.createPool({}, undefined, world.otherOrg, world.strangerToken);
    const res = await api('POST', `/agent-pools/${foreign.id}/authentication-tokens`, world.strangerToken, tokenBody({ description: 'theirs' }));
    assert.equal(res.status, 201, res.text);
    assertError(await api('GET', `/agent-pools/${foreign.id}/authentication-tokens`, world.ownerToken), 404);
    assertError(await api('POST', `/agent-pools/${foreign.id}/authentication-tokens`, world.ownerToken, tokenBody({ description: 'x' })), 404);
    assertError(await api('GET', `/authentication-tokens/${res.body.data.id}`, world.ownerToken), 404);
    assertError(await api('DELETE', `/authentication-tokens/${res.body.data.id}`, world.ownerToken), 404);
    assert.equal((await api('GET', `/authentication-tokens/${res.body.data.id}`, world.strangerToken)).status, 200);
    // Members without "Manage Agent Pools" do not see tokens.
    const mine = await world.createAgentToken((await world.createPool()).id);
    assertError(await api('GET', `/authentication-tokens/${mine.id}`, world.memberToken), 404);

    const { insert } = await import('../auth/token-store.js');
    const builtIn = await insert(server.database.db, { id: `at-${unique('runner')}`, kind: 'agent', hash: sha256(unique('secret')) });
    assertError(await server.api('GET', `/api/v2/authentication-tokens/${builtIn.id}`, { token: server.adminToken }), 404);
    assertError(await server.api('DELETE', `/api/v2/authentication-tokens/${builtIn.id}`, { token: server.adminToken }), 404);
  });
});
