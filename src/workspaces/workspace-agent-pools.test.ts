import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { linkage, PoolWorld } from '../agent-pools/testing.js';
import { assertError, assertInvalid, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { wsBody } from './testing.js';

/** Workspaces in `agent` execution mode (workspaces.mdx `agent-pool-id`), and the organization's default mode and pool (organizations.mdx). */

const poolRelationship = (id: string | null) => ({ 'agent-pool': { data: id === null ? null : { type: 'agent-pools', id } } });
const orgBody = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>) => ({
  data: { type: 'organizations', attributes, ...(relationships ? { relationships } : {}) },
});

forEachDatabase('workspace agent pools', (server) => {
  const world = new PoolWorld(server);
  const api = world.api.bind(world);
  before(() => world.setUp());

  const createWorkspace = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>, org = world.org) =>
    api('POST', `/organizations/${org}/workspaces`, world.ownerToken, wsBody({ name: unique('ws'), ...attributes }, relationships));
  const patchWorkspace = (id: string, attributes: Record<string, unknown>, relationships?: Record<string, unknown>) =>
    api('PATCH', `/workspaces/${id}`, world.ownerToken, wsBody(attributes, relationships));
  const execution = (ws: { attributes: Record<string, unknown>; relationships: Record<string, { data: unknown }> }) => [
    ws.attributes['execution-mode'],
    ws.relationships['agent-pool']?.data,
    ws.attributes['setting-overwrites'],
  ];
  const pool = (id: string) => ({ type: 'agent-pools', id });

  it('runs a workspace on a pool named by agent-pool-id or by the agent-pool relationship', async () => {
    const p = await world.createPool();
    const byAttribute = await createWorkspace({ 'execution-mode': 'agent', 'agent-pool-id': p.id });
    assert.equal(byAttribute.status, 201, byAttribute.text);
    assert.deepEqual(execution(byAttribute.body.data), ['agent', pool(p.id), { 'execution-mode': true, 'agent-pool': true }]);
    assert.equal(byAttribute.body.data.attributes.operations, true);
    const byRelationship = await createWorkspace({ 'execution-mode': 'agent' }, poolRelationship(p.id));
    assert.equal(byRelationship.status, 201, byRelationship.text);
    assert.deepEqual(execution(byRelationship.body.data)[1], pool(p.id));
    const stored = await server.database.db
      .selectFrom('workspaces')
      .select(['execution_mode', 'agent_pool_id'])
      .where('id', '=', byRelationship.body.data.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(stored, { execution_mode: 'agent', agent_pool_id: p.id });

    const included = await api('GET', `/workspaces/${byAttribute.body.data.id}?include=agent_pool`, world.ownerToken);
    assert.equal(included.status, 200, included.text);
    assert.deepEqual(
      included.body.included.map((r: { type: string; id: string }) => [r.type, r.id]),
      [['agent-pools', p.id]],
    );
    const poolShown = await api('GET', `/agent-pools/${p.id}`, world.ownerToken);
    assert.deepEqual(
      poolShown.body.data.relationships.workspaces.data.map((w: { id: string }) => w.id).sort(),
      [byAttribute.body.data.id, byRelationship.body.data.id].sort(),
    );

    // Back to remote: the pool goes with the mode.
    const remote = await patchWorkspace(byAttribute.body.data.id, { 'execution-mode': 'remote' });
    assert.equal(remote.status, 200, remote.text);
    assert.deepEqual(execution(remote.body.data), ['remote', null, { 'execution-mode': true, 'agent-pool': true }]);
    // Agent again, with another pool by update.
    const other = await world.createPool();
    const moved = await patchWorkspace(byAttribute.body.data.id, { 'execution-mode': 'agent', 'agent-pool-id': other.id });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(execution(moved.body.data)[1], pool(other.id));
    const switched = await patchWorkspace(byAttribute.body.data.id, { 'agent-pool-id': p.id });
    assert.deepEqual(execution(switched.body.data)[1], pool(p.id));
  });

  it('refuses a pool of another organization, one that does not allow the workspace, and bad combinations', async () => {
    const foreign = await world.createPool({}, undefined, world.otherOrg, world.strangerToken);
    assertInvalid(
      await createWorkspace({ 'execution-mode': 'agent', 'agent-pool-id': foreign.id }),
      '/data/attributes/agent-pool-id',
      /not found in this organization/,
    );
    const project = await world.insertProject();
    const scoped = await world.createPool({ 'organization-scoped': false }, { 'allowed-projects': linkage('projects', project) });
    assertInvalid(
      await createWorkspace({ 'execution-mode': 'agent', 'agent-pool-id': scoped.id }),
      '/data/attributes/agent-pool-id',
      /does not allow this workspace/,
    );
    const inProject = await createWorkspace(
      { 'execution-mode': 'agent', 'agent-pool-id': scoped.id },
      { project: { data: { type: 'projects', id: project } } },
    );
    assert.equal(inProject.status, 201, inProject.text);

    const ws = (await createWorkspace({})).body.data;
    assertInvalid(await patchWorkspace(ws.id, { 'execution-mode': 'agent', 'agent-pool-id': scoped.id }), '/data/attributes/agent-pool-id', /does not allow/);
    const allowed = await api('PATCH', `/agent-pools/${scoped.id}`, world.ownerToken, {
      data: { type: 'agent-pools', attributes: {}, relationships: { 'allowed-workspaces': linkage('workspaces', ws.id) } },
    });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((await patchWorkspace(ws.id, { 'execution-mode': 'agent', 'agent-pool-id': scoped.id })).status, 200);
    // Excluded from the project's scope: refused, unless also allowed by name.
    const excludedWs = (await createWorkspace({}, { project: { data: { type: 'projects', id: project } } })).body.data;
    await api('PATCH', `/agent-pools/${scoped.id}`, world.ownerToken, {
      data: { type: 'agent-pools', attributes: {}, relationships: { 'excluded-workspaces': linkage('workspaces', excludedWs.id) } },
    });
    assertInvalid(
      await patchWorkspace(excludedWs.id, { 'execution-mode': 'agent', 'agent-pool-id': scoped.id }),
      '/data/attributes/agent-pool-id',
      /does not allow/,
    );

    const organizationWide = await world.createPool();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ 'execution-mode': 'agent' }, 'agent-pool-id', /required/],
      [{ 'execution-mode': 'remote', 'agent-pool-id': organizationWide.id }, 'agent-pool-id', /must not be given when the execution mode is remote/],
      [{ operations: true, 'agent-pool-id': organizationWide.id }, 'agent-pool-id', /must not be given/],
      [{ 'agent-pool-id': organizationWide.id }, 'agent-pool-id', /must not be given when the execution mode is remote/],
      [{ 'execution-mode': 'agent', 'agent-pool-id': 'apool-nope' }, 'agent-pool-id', /not found/],
      [
        { 'setting-overwrites': { 'agent-pool': false }, 'execution-mode': 'agent', 'agent-pool-id': organizationWide.id },
        'setting-overwrites/agent-pool',
        /must not be given/,
      ],
      [{ 'setting-overwrites': { 'agent-pool': true } }, 'execution-mode', /required/],
      [{ 'setting-overwrites': { 'execution-mode': true, 'agent-pool': false }, 'execution-mode': 'remote' }, 'setting-overwrites/agent-pool', /must equal/],
    ];
    for (const [attributes, attribute, detail] of cases) assertInvalid(await createWorkspace(attributes), `/data/attributes/${attribute}`, detail);
    assertInvalid(
      await createWorkspace({ 'execution-mode': 'agent', 'agent-pool-id': organizationWide.id }, poolRelationship(scoped.id)),
      '/data/relationships/agent-pool',
      /different pools/,
    );
    assertInvalid(
      await createWorkspace({ 'execution-mode': 'agent' }, { 'agent-pool': { data: { type: 'pools', id: organizationWide.id } } }),
      '/data/relationships/agent-pool',
    );
  });

  it('follows the organization default execution mode and pool, or overrides either', async () => {
    const org = unique('agentorg');
    await world.createOrganization(world.ownerToken, org);
    const defaultPool = await world.createPool({}, undefined, org);
    const otherPool = await world.createPool({}, undefined, org);
    const following = (await createWorkspace({}, undefined, org)).body.data;
    assert.deepEqual(execution(following), ['remote', null, { 'execution-mode': false, 'agent-pool': false }]);

    // organizations.mdx: default-agent-pool-id is required with the agent mode, and must be the organization's.
    assertInvalid(
      await api('PATCH', `/organizations/${org}`, world.ownerToken, orgBody({ 'default-execution-mode': 'agent' })),
      '/data/attributes/default-agent-pool-id',
      /required/,
    );
    const foreign = await world.createPool({}, undefined, world.otherOrg, world.strangerToken);
    assertInvalid(
      await api('PATCH', `/organizations/${org}`, world.ownerToken, orgBody({ 'default-execution-mode': 'agent', 'default-agent-pool-id': foreign.id })),
      '/data/attributes/default-agent-pool-id',
      /not found/,
    );
    assertInvalid(
      await api('PATCH', `/organizations/${org}`, world.ownerToken, orgBody({ 'default-agent-pool-id': defaultPool.id })),
      '/data/attributes/default-agent-pool-id',
      /only be set when default-execution-mode is agent/,
    );
    const updated = await api(
      'PATCH',
      `/organizations/${org}`,
      world.ownerToken,
      orgBody({ 'default-execution-mode': 'agent' }, { 'default-agent-pool': { data: pool(defaultPool.id) } }),
    );
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.data.attributes['default-execution-mode'], 'agent');
    assert.deepEqual(updated.body.data.relationships['default-agent-pool'].data, pool(defaultPool.id));
    assert.equal(updated.body.data.attributes.permissions['can-update-agent-pools'], true);

    const shown = await api('GET', `/workspaces/${following.id}`, world.ownerToken);
    assert.deepEqual(execution(shown.body.data), ['agent', pool(defaultPool.id), { 'execution-mode': false, 'agent-pool': false }]);
    const project = await api('GET', `/projects/${await world.defaultProjectOf(updated.body.data.attributes['external-id'])}`, world.ownerToken);
    assert.deepEqual(project.body.data.relationships['default-agent-pool'].data, pool(defaultPool.id));

    // Naming a pool makes the agent mode and the pool the workspace's own.
    const ownPool = await patchWorkspace(following.id, { 'agent-pool-id': otherPool.id });
    assert.equal(ownPool.status, 200, ownPool.text);
    assert.deepEqual(execution(ownPool.body.data), ['agent', pool(otherPool.id), { 'execution-mode': true, 'agent-pool': true }]);
    // Back to the default pool (go-tfe: an overwrite set to false clears the workspace's value).
    const back = await patchWorkspace(following.id, { 'setting-overwrites': { 'agent-pool': false } });
    assert.deepEqual(execution(back.body.data), ['agent', pool(defaultPool.id), { 'execution-mode': false, 'agent-pool': false }]);
    // Its own remote mode, then the organization's again.
    const remote = await patchWorkspace(following.id, { 'execution-mode': 'remote' });
    assert.deepEqual(execution(remote.body.data), ['remote', null, { 'execution-mode': true, 'agent-pool': true }]);
    const defaults = await patchWorkspace(following.id, { 'setting-overwrites': { 'execution-mode': false, 'agent-pool': false } });
    assert.deepEqual(execution(defaults.body.data), ['agent', pool(defaultPool.id), { 'execution-mode': false, 'agent-pool': false }]);

    // Leaving the agent default clears the default pool; workspaces that follow run remotely again.
    const remoteDefault = await api('PATCH', `/organizations/${org}`, world.ownerToken, orgBody({ 'default-execution-mode': 'remote' }));
    assert.equal(remoteDefault.status, 200, remoteDefault.text);
    assert.deepEqual(remoteDefault.body.data.relationships['default-agent-pool'].data, null);
    assert.deepEqual(execution((await api('GET', `/workspaces/${following.id}`, world.ownerToken)).body.data)[0], 'remote');
    assert.equal((await api('DELETE', `/agent-pools/${defaultPool.id}`, world.ownerToken)).status, 204);
    assertError(await api('GET', `/agent-pools/${defaultPool.id}`, world.ownerToken), 404);
  });

  it('deletes an organization with its default pool and the workspaces running on it', async () => {
    const org = unique('gone');
    const orgId = await world.createOrganization(world.ownerToken, org);
    const p = await world.createPool({}, undefined, org);
    const setDefault = await api(
      'PATCH',
      `/organizations/${org}`,
      world.ownerToken,
      orgBody({ 'default-execution-mode': 'agent', 'default-agent-pool-id': p.id }),
    );
    assert.equal(setDefault.status, 200, setDefault.text);
    assert.equal((await createWorkspace({ 'execution-mode': 'agent', 'agent-pool-id': p.id }, undefined, org)).status, 201);
    await world.insertAgent(p.id);
    assert.equal((await api('DELETE', `/organizations/${org}`, world.ownerToken)).status, 204);
    const left = await server.database.db.selectFrom('agent_pools').select('id').where('organization_id', '=', orgId).execute();
    assert.deepEqual(left, []);
  });
});
