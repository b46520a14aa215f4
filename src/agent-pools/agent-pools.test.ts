import assert from 'node:assert/strict';
import type { WorkspaceId } from '../ids.js';
import { before, it } from 'node:test';
import { assertError, assertInvalid, assertInvalidParameter, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { linkage, PoolWorld, poolBody } from './testing.js';

forEachDatabase('agent pools', (server) => {
  const world = new PoolWorld(server);
  const api = world.api.bind(world);
  before(() => world.setUp());

  it('creates a pool as agents.mdx shows it, organization-scoped by default, and shows it', async () => {
    const name = unique('pool');
    const res = await api('POST', `/organizations/${world.org}/agent-pools`, world.ownerToken, poolBody({ name }));
    assert.equal(res.status, 201, res.text);
    const pool = res.body.data;
    assert.equal(pool.type, 'agent-pools');
    assert.match(pool.id, /^apool-/);
    assert.deepEqual(Object.keys(pool.attributes).sort(), ['agent-count', 'created-at', 'name', 'organization-scoped']);
    assert.equal(pool.attributes.name, name);
    assert.equal(pool.attributes['organization-scoped'], true);
    assert.equal(pool.attributes['agent-count'], 0);
    assert.match(pool.attributes['created-at'], TIMESTAMP);
    assert.deepEqual(pool.relationships.agents, { links: { related: `/api/v2/agent-pools/${pool.id}/agents` } });
    assert.deepEqual(pool.relationships['authentication-tokens'], { links: { related: `/api/v2/agent-pools/${pool.id}/authentication-tokens` } });
    for (const name of ['workspaces', 'allowed-workspaces', 'allowed-projects', 'excluded-workspaces'])
      assert.deepEqual(pool.relationships[name], { data: [] });
    assert.deepEqual(pool.relationships.organization, { data: { type: 'organizations', id: world.org } });
    assert.equal(pool.links.self, `/api/v2/agent-pools/${pool.id}`);

    const shown = await api('GET', `/agent-pools/${pool.id}`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual(shown.body.data, pool);
  });

  it('scopes a pool to workspaces and projects on create, and replaces or clears each list on update', async () => {
    const project = await world.insertProject();
    const [ws1, ws2] = [await world.insertWorkspace(), await world.insertWorkspace(project)];
    const pool = await world.createPool(
      { 'organization-scoped': false },
      { 'allowed-workspaces': linkage('workspaces', ws1), 'allowed-projects': linkage('projects', project), 'excluded-workspaces': linkage('workspaces', ws2) },
    );
    assert.equal(pool.attributes['organization-scoped'], false);
    assert.deepEqual(pool.relationships['allowed-workspaces'].data, [{ type: 'workspaces', id: ws1 }]);
    assert.deepEqual(pool.relationships['allowed-projects'].data, [{ type: 'projects', id: project }]);
    assert.deepEqual(pool.relationships['excluded-workspaces'].data, [{ type: 'workspaces', id: ws2 }]);

    // Only what is given changes: the name here, then the allowed workspaces (go-tfe UpdateAllowedWorkspaces clears with []).
    const renamed = await api('PATCH', `/agent-pools/${pool.id}`, world.ownerToken, poolBody({ name: `${pool.attributes.name}-x` }));
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.data.attributes.name, `${pool.attributes.name}-x`);
    assert.equal(renamed.body.data.attributes['organization-scoped'], false);
    assert.deepEqual(renamed.body.data.relationships['allowed-workspaces'].data, [{ type: 'workspaces', id: ws1 }]);
    const cleared = await api(
      'PATCH',
      `/agent-pools/${pool.id}`,
      world.ownerToken,
      poolBody({ 'organization-scoped': true }, { 'allowed-workspaces': { data: [] } }),
    );
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.body.data.attributes['organization-scoped'], true);
    assert.deepEqual(cleared.body.data.relationships['allowed-workspaces'].data, []);
    assert.deepEqual(cleared.body.data.relationships['allowed-projects'].data, [{ type: 'projects', id: project }]);
  });

  it('refuses invalid pools with 422 and a pointer, and writes nothing', async () => {
    const create = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>) =>
      api('POST', `/organizations/${world.org}/agent-pools`, world.ownerToken, poolBody(attributes, relationships));
    const foreignWorkspace = await world.insertWorkspace(world.otherDefaultProjectId, world.otherOrgId);
    const name = unique('bad');
    assertInvalid(await create({}), '/data/attributes/name', /required/);
    for (const bad of ['has space', 'dot.ted', '']) assertInvalid(await create({ name: bad }), '/data/attributes/name', /letters, digits/);
    // Every string's length is checked in the shared body layer, before the pool's own rules.
    assertInvalid(await create({ name: 'x'.repeat(256) }), '/data/attributes/name', /at most 255 characters/);
    assertInvalid(await create({ name: 42 }), '/data/attributes/name');
    assertInvalid(await create({ name, 'organization-scoped': 'no' }), '/data/attributes/organization-scoped');
    const mine = await world.insertWorkspace();
    assertInvalid(
      await create({ name }, { 'allowed-workspaces': linkage('workspaces', mine, foreignWorkspace) }),
      '/data/relationships/allowed-workspaces/data/1/id',
      /not found in this organization/,
    );
    assertInvalid(
      await create({ name }, { 'allowed-projects': linkage('projects', world.otherDefaultProjectId) }),
      '/data/relationships/allowed-projects/data/0/id',
    );
    assertInvalid(
      await create({ name }, { 'excluded-workspaces': { data: [{ type: 'projects', id: mine }] } }),
      '/data/relationships/excluded-workspaces/data/0/type',
    );
    assertInvalid(await create({ name }, { 'allowed-workspaces': { data: { type: 'workspaces', id: mine } } }), '/data/relationships/allowed-workspaces/data');
    assertError(await api('POST', `/organizations/${world.org}/agent-pools`, world.ownerToken, poolBody({ name }, undefined, 'pools')), 400);
    const found = await server.database.db.selectFrom('agent_pools').select('id').where('name', '=', name).execute();
    assert.deepEqual(found, []);

    // Names are unique in the organization, ignoring case; another organization may reuse one.
    const taken = await world.createPool();
    assertInvalid(await create({ name: taken.attributes.name.toUpperCase() }), '/data/attributes/name', /already been taken/);
    await world.createPool({ name: taken.attributes.name }, undefined, world.otherOrg, world.strangerToken);
    const other = await world.createPool();
    assertInvalid(
      await api('PATCH', `/agent-pools/${other.id}`, world.ownerToken, poolBody({ name: taken.attributes.name })),
      '/data/attributes/name',
      /already been taken/,
    );
  });

  it('lists with q, sort, pagination, status-counts, and the allowed workspace filter', async () => {
    const org = unique('pools');
    await world.createOrganization(world.ownerToken, org);
    const orgId = (await server.database.db.selectFrom('organizations').select('id').where('name', '=', org).executeTakeFirstOrThrow()).id;
    const project = await world.defaultProjectOf(orgId);
    const other = await world.insertProject(orgId);
    const [ws, wsInOther, excluded] = [
      await world.insertWorkspace(project, orgId),
      await world.insertWorkspace(other, orgId),
      await world.insertWorkspace(other, orgId),
    ];
    const wsName = async (id: WorkspaceId) => (await server.database.db.selectFrom('workspaces').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name;
    await world.createPool({ name: 'b-linux' }, undefined, org);
    await world.createPool({ name: 'A-linux', 'organization-scoped': false }, { 'allowed-workspaces': linkage('workspaces', ws) }, org);
    await world.createPool(
      { name: 'c-windows', 'organization-scoped': false },
      { 'allowed-projects': linkage('projects', other), 'excluded-workspaces': linkage('workspaces', excluded) },
      org,
    );
    const list = (query: string) => api('GET', `/organizations/${org}/agent-pools${query}`, world.ownerToken);
    const names = (res: { body: { data: { attributes: { name: string } }[] } }) => res.body.data.map((p) => p.attributes.name);

    const all = await list('');
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(names(all), ['b-linux', 'A-linux', 'c-windows']);
    assert.deepEqual(all.body.meta['status-counts'], { total: 3, matching: 3 });
    assert.equal(all.body.meta.pagination['total-count'], 3);
    assert.deepEqual(names(await list('?sort=name')), ['A-linux', 'b-linux', 'c-windows']);
    assert.deepEqual(names(await list('?sort=-name')), ['c-windows', 'b-linux', 'A-linux']);
    assert.deepEqual(names(await list('?sort=-created-at')), ['c-windows', 'A-linux', 'b-linux']);

    const searched = await list('?q=LINUX&sort=name');
    assert.deepEqual(names(searched), ['A-linux', 'b-linux']);
    assert.deepEqual(searched.body.meta['status-counts'], { total: 3, matching: 2 });

    const paged = await list('?sort=name&page%5Bsize%5D=2&page%5Bnumber%5D=2');
    assert.deepEqual(names(paged), ['c-windows']);
    assert.equal(paged.body.meta.pagination['total-pages'], 2);
    assert.equal(paged.body.meta.pagination['prev-page'], 1);

    // The pools each workspace may use: organization-scoped ones, and those allowing it or its project unless it is excluded.
    const usable = async (workspaceId: WorkspaceId) => names(await list(`?sort=name&filter%5Ballowed_workspaces%5D%5Bname%5D=${await wsName(workspaceId)}`));
    assert.deepEqual(await usable(ws), ['A-linux', 'b-linux']);
    assert.deepEqual(await usable(wsInOther), ['b-linux', 'c-windows']);
    assert.deepEqual(await usable(excluded), ['b-linux']);
    const none = await list('?filter%5Ballowed_workspaces%5D%5Bname%5D=no-such-workspace');
    assert.deepEqual(none.body.data, []);
    assert.deepEqual(none.body.meta['status-counts'], { total: 3, matching: 0 });
    assert.deepEqual(names(await list(`?sort=name&filter%5Ballowed-workspaces%5D%5Bname%5D=${await wsName(ws)}`)), ['A-linux', 'b-linux']);

    assertInvalidParameter(await list('?sort=size'), 'sort');
    assertInvalidParameter(await list('?page%5Bsize%5D=0'), 'page[size]');
    assertError(await list('?include=agents'), 400);
  });

  it('shows the workspaces running on a pool, and includes those the caller reads', async () => {
    const pool = await world.createPool();
    const ws = await world.insertWorkspace();
    await server.database.db.updateTable('workspaces').set({ execution_mode: 'agent', agent_pool_id: pool.id }).where('id', '=', ws).execute();
    const shown = await api('GET', `/agent-pools/${pool.id}?include=workspaces`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual(shown.body.data.relationships.workspaces.data, [{ type: 'workspaces', id: ws }]);
    assert.deepEqual(
      shown.body.included.map((r: { type: string; id: string }) => [r.type, r.id]),
      [['workspaces', ws]],
    );
    assert.deepEqual(shown.body.included[0].relationships['agent-pool'].data, { type: 'agent-pools', id: pool.id });
  });

  it('counts idle, busy and unknown agents in agent-count, not exited or errored ones', async () => {
    const pool = await world.createPool();
    await world.insertAgent(pool.id, { status: 'idle' });
    await world.insertAgent(pool.id, { status: 'busy' });
    await world.insertAgent(pool.id, { status: 'idle', pingedSecondsAgo: 3600 });
    await world.insertAgent(pool.id, { status: 'exited' });
    await world.insertAgent(pool.id, { status: 'errored' });
    await world.insertAgent(null, { status: 'idle' });
    const shown = await api('GET', `/agent-pools/${pool.id}`, world.ownerToken);
    assert.equal(shown.body.data.attributes['agent-count'], 3);
  });

  it('deletes an unused pool with its tokens and agents; refuses one that workspaces or the organization use', async () => {
    const pool = await world.createPool();
    const token = await world.createAgentToken(pool.id);
    const agent = await world.insertAgent(pool.id);
    const ws = await world.insertWorkspace();
    await server.database.db.updateTable('workspaces').set({ execution_mode: 'agent', agent_pool_id: pool.id }).where('id', '=', ws).execute();
    assertError(await api('DELETE', `/agent-pools/${pool.id}`, world.ownerToken), 409, /used by 1 workspace/);
    await server.database.db.updateTable('workspaces').set({ execution_mode: 'remote', agent_pool_id: null }).where('id', '=', ws).execute();

    const org = unique('defaults');
    await world.createOrganization(world.ownerToken, org);
    const defaultPool = await world.createPool({}, undefined, org);
    const setDefault = await api('PATCH', `/organizations/${org}`, world.ownerToken, {
      data: { type: 'organizations', attributes: { 'default-execution-mode': 'agent', 'default-agent-pool-id': defaultPool.id } },
    });
    assert.equal(setDefault.status, 200, setDefault.text);
    assertError(await api('DELETE', `/agent-pools/${defaultPool.id}`, world.ownerToken), 409, /default agent pool/);

    const deleted = await api('DELETE', `/agent-pools/${pool.id}`, world.ownerToken);
    assert.equal(deleted.status, 204, deleted.text);
    assertError(await api('GET', `/agent-pools/${pool.id}`, world.ownerToken), 404);
    assertError(await api('DELETE', `/agent-pools/${pool.id}`, world.ownerToken), 404);
    const db = server.database.db;
    assert.equal(await db.selectFrom('tokens').select('id').where('id', '=', token.id).executeTakeFirst(), undefined);
    assert.equal(await db.selectFrom('agents').select('id').where('id', '=', agent).executeTakeFirst(), undefined);
    assertError(await server.api('GET', `/api/v2/agent-pools/${defaultPool.id}`, { token: token.secret }), 401);
  });

  it("hides another organization's pools, and pools from members without access, as 404", async () => {
    const foreign = await world.createPool({}, undefined, world.otherOrg, world.strangerToken);
    for (const [method, path, body] of [
      ['GET', `/agent-pools/${foreign.id}`, undefined],
      ['PATCH', `/agent-pools/${foreign.id}`, poolBody({ name: unique('x') })],
      ['DELETE', `/agent-pools/${foreign.id}`, undefined],
      ['GET', `/organizations/${world.otherOrg}/agent-pools`, undefined],
      ['POST', `/organizations/${world.otherOrg}/agent-pools`, poolBody({ name: unique('x') })],
    ] as const) {
      assertError(await api(method, path, world.ownerToken, body), 404);
    }
    const mine = await world.createPool();
    assertError(await api('GET', `/agent-pools/${mine.id}`, world.memberToken), 404);
    assertError(await api('GET', `/organizations/${world.org}/agent-pools`, world.memberToken), 404);
    assertError(await api('GET', `/agent-pools/apool-unknown`, world.ownerToken), 404);
    assertError(await api('GET', `/agent-pools/${mine.id}`, 'not-a-token'), 401);
    // The organization token manages pools ("all CRUD operations on most resources", api-tokens.mdx).
    const byOrgToken = await api('POST', `/organizations/${world.org}/agent-pools`, world.orgToken, poolBody({ name: unique('org') }));
    assert.equal(byOrgToken.status, 201, byOrgToken.text);
    assert.equal((await api('GET', `/agent-pools/${mine.id}`, world.orgToken)).status, 200);
  });
});
