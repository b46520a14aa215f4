import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { WorkspaceWorld, wsBody } from './testing.js';

const linkage = (...ids: string[]) => ({ data: ids.map((id) => ({ type: 'workspaces', id })) });

forEachDatabase('remote state consumers', (server) => {
  const world = new WorkspaceWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);
  const path = (id: string) => `/workspaces/${id}/relationships/remote-state-consumers`;

  async function consumerNames(id: string, query = ''): Promise<string[]> {
    const res = await api('GET', `${path(id)}${query}`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    return res.body.data.map((w: any) => w.attributes.name);
  }

  it('adds, lists, removes and replaces consumers', async () => {
    const org = unique('rsc');
    await world.createOrganization(world.ownerToken, org);
    const source = await world.createWorkspace({ name: 'source' }, undefined, org);
    const [a, b, c] = [
      await world.createWorkspace({ name: 'a' }, undefined, org),
      await world.createWorkspace({ name: 'b' }, undefined, org),
      await world.createWorkspace({ name: 'c' }, undefined, org),
    ];
    assert.deepEqual(await consumerNames(source.id), []);
    assert.equal((await api('POST', path(source.id), world.ownerToken, linkage(b.id, a.id, b.id))).status, 204);
    assert.equal((await api('POST', path(source.id), world.ownerToken, linkage(a.id))).status, 204, 'adding a present consumer is ignored');
    assert.deepEqual(await consumerNames(source.id), ['a', 'b']);
    const page = await api('GET', `${path(source.id)}?page[size]=1&page[number]=2`, world.ownerToken);
    assert.equal(page.body.data[0].type, 'workspaces');
    assert.equal(page.body.data[0].attributes.name, 'b');
    assert.ok(page.body.data[0].attributes.permissions, 'full workspace documents');
    assert.deepEqual(page.body.meta.pagination['total-count'], 2);

    assert.equal((await api('DELETE', path(source.id), world.ownerToken, linkage(a.id, c.id))).status, 204, 'removing an absent consumer is ignored');
    assert.deepEqual(await consumerNames(source.id), ['b']);
    assert.equal((await api('PATCH', path(source.id), world.ownerToken, linkage(c.id, a.id))).status, 204);
    assert.deepEqual(await consumerNames(source.id), ['a', 'c']);
    assert.equal((await api('PATCH', path(source.id), world.ownerToken, linkage())).status, 204);
    assert.deepEqual(await consumerNames(source.id), []);

    assert.equal((await api('POST', path(source.id), world.ownerToken, linkage(c.id))).status, 204);
    assert.equal((await api('DELETE', `/workspaces/${c.id}`, world.ownerToken)).status, 204);
    assert.deepEqual(await consumerNames(source.id), [], 'a deleted consumer leaves the list');
  });

  it('lists every other workspace with global remote state, and refuses changes then', async () => {
    const org = unique('global');
    await world.createOrganization(world.ownerToken, org);
    const source = await world.createWorkspace({ name: 'source', 'global-remote-state': true }, undefined, org);
    const other = await world.createWorkspace({ name: 'other' }, undefined, org);
    await world.createWorkspace({ name: 'third' }, undefined, org);
    assert.deepEqual(await consumerNames(source.id), ['other', 'third']);
    for (const method of ['POST', 'PATCH', 'DELETE']) {
      assertInvalid(await api(method, path(source.id), world.ownerToken, linkage(other.id)), '/data', /global-remote-state is false/);
    }
    const res = await api('PATCH', `/workspaces/${source.id}`, world.ownerToken, wsBody({ 'global-remote-state': false }));
    assert.equal(res.status, 200);
    assert.deepEqual(await consumerNames(source.id), []);
  });

  it('refuses itself, unknown and foreign workspaces, and malformed documents', async () => {
    const source = await world.createWorkspace();
    const theirs = await world.createWorkspace({}, undefined, world.otherOrg, world.strangerToken);
    const mine = await world.createWorkspace();
    for (const method of ['POST', 'PATCH', 'DELETE']) {
      assertInvalid(await api(method, path(source.id), world.ownerToken, linkage(mine.id, source.id)), '/data/1/id', /itself/);
      assertInvalid(await api(method, path(source.id), world.ownerToken, linkage(mine.id, 'ws-unknown')), '/data/1/id', /not found/);
      assertInvalid(await api(method, path(source.id), world.ownerToken, linkage(theirs.id)), '/data/0/id', /not found/);
      assertInvalid(await api(method, path(source.id), world.ownerToken, { data: [{ type: 'workspaces' }] }), '/data/0/id');
      assertError(await api(method, path(source.id), world.ownerToken, { data: [{ type: 'projects', id: mine.id }] }), 400);
      assertError(await api(method, path(source.id), world.ownerToken, { data: { type: 'workspaces', id: mine.id } }), 400);
      assertError(await api(method, path(source.id), world.ownerToken, '[1,'), 400);
      assertError(await api(method, path('ws-unknown'), world.ownerToken, linkage(mine.id)), 404);
    }
    assert.deepEqual(await consumerNames(source.id), []);
  });

  it('hides consumers from callers without access', async () => {
    const source = await world.createWorkspace();
    const consumer = await world.createWorkspace();
    for (const token of [world.memberToken, world.strangerToken]) {
      assertError(await api('GET', path(source.id), token), 404);
      for (const method of ['POST', 'PATCH', 'DELETE']) assertError(await api(method, path(source.id), token, linkage(consumer.id)), 404);
    }
    assert.equal((await api('PATCH', path(source.id), world.orgToken, linkage(consumer.id))).status, 204, 'organization tokens manage workspaces');
    assert.equal((await api('GET', path(source.id), world.orgToken)).body.data[0].id, consumer.id);
    assertError(await api('GET', path(source.id), world.expiredToken), 401);
    assertError(await api('POST', path(source.id), 'bad-token', linkage(consumer.id)), 401);
    assertError(await api('GET', `${path(source.id)}?page[size]=0`, world.ownerToken), 422);
  });
});
