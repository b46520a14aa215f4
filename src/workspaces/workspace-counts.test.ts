import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';

forEachDatabase('workspace counts kept by triggers', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());

  /** The list's total-count, and the organization's workspaces counted by hand. */
  async function totals(path = `/organizations/${world.org}/workspaces`, token = world.ownerToken): Promise<{ listed: number; counted: number }> {
    const res = await world.api('GET', path, token);
    assert.equal(res.status, 200, res.text);
    const row = await server.database.db
      .selectFrom('workspaces')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', world.orgId)
      .executeTakeFirstOrThrow();
    return { listed: res.body.meta.pagination['total-count'], counted: Number(row.n) };
  }

  it('counts every create and delete, one at a time and many in one statement', async () => {
    const start = await totals();
    assert.equal(start.listed, start.counted);
    const created = [await world.createWorkspace(), await world.createWorkspace(), await world.createWorkspace()];
    assert.deepEqual(await totals(), { listed: start.counted + 3, counted: start.counted + 3 });
    const removed = await world.api('DELETE', `/workspaces/${created[0].id}`, world.ownerToken);
    assert.equal(removed.status, 204, removed.text);
    assert.deepEqual(await totals(), { listed: start.counted + 2, counted: start.counted + 2 });
    await server.database.db
      .insertInto('workspaces')
      .values(
        ['bulk-a', 'bulk-b'].map((name) => ({
          id: `ws-${name}-${world.org}`,
          name,
          organization_id: world.orgId,
          project_id: world.defaultProjectId,
          terraform_version: '1.11.0',
        })),
      )
      .execute();
    assert.deepEqual(await totals(), { listed: start.counted + 4, counted: start.counted + 4 });
    await server.database.db.deleteFrom('workspaces').where('name', 'in', ['bulk-a', 'bulk-b']).where('organization_id', '=', world.orgId).execute();
    assert.deepEqual(await totals(), { listed: start.counted + 2, counted: start.counted + 2 });
  });

  it('counts a filtered list, and what a team member may read, by their matches', async () => {
    const named = await world.createWorkspace({ name: `needle-${world.org}` });
    const search = await totals(`/organizations/${world.org}/workspaces?search%5Bname%5D=needle-${world.org}`);
    assert.equal(search.listed, 1);
    const token = await world.teamToken(named.id, 'read');
    const readable = await totals(`/organizations/${world.org}/workspaces`, token);
    assert.equal(readable.listed, 1, 'a team token lists what its team may read');
  });

  it('keeps other organizations apart, and lets an organization with workspaces be deleted', async () => {
    const other = `other-${world.org}`;
    await world.createOrganization(world.ownerToken, other);
    const before = await totals();
    await world.createWorkspace({}, undefined, other);
    assert.deepEqual(await totals(), before);
    const listed = await world.api('GET', `/organizations/${other}/workspaces`, world.ownerToken);
    assert.equal(listed.body.meta.pagination['total-count'], 1);
    const deleted = await world.api('DELETE', `/organizations/${other}`, world.ownerToken);
    assert.equal(deleted.status, 204, deleted.text);
  });
});
