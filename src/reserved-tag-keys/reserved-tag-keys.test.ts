import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { binding, ProjectWorld, RELATIONSHIP_POINTER, withBindings } from '../projects/testing.js';

/** Reserved tag keys (issue 16, reserved-tag-keys.mdx), and `disable-overrides` enforced on workspace tag bindings. */

const body = (attributes: Record<string, unknown>) => ({ data: { type: 'reserved-tag-keys', attributes } });

forEachDatabase('reserved tag keys', (server) => {
  const world = new ProjectWorld(server);
  before(() => world.setUp());

  async function reserve(key: string, disableOverrides: boolean) {
    const res = await world.api(
      'POST',
      `/organizations/${world.org}/reserved-tag-keys`,
      world.ownerToken,
      body({ key, 'disable-overrides': disableOverrides }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  it('creates, lists, updates and deletes reserved tag keys', async () => {
    const key = unique('environment');
    const created = await reserve(key, false);
    assert.equal(created.type, 'reserved-tag-keys');
    assert.match(created.id, /^rtk-/);
    assert.deepEqual([created.attributes.key, created.attributes['disable-overrides']], [key, false]);
    assert.ok(created.attributes['created-at'] && created.attributes['updated-at']);

    const taken = await world.api('POST', `/organizations/${world.org}/reserved-tag-keys`, world.ownerToken, body({ key }));
    assert.equal(taken.status, 422, 'reserved once');
    for (const bad of ['hc:thing', 'has space', '']) {
      const res = await world.api('POST', `/organizations/${world.org}/reserved-tag-keys`, world.ownerToken, body({ key: bad }));
      assert.equal(res.status, 422, bad);
      assert.equal(res.body.errors[0].source.pointer, '/data/attributes/key');
    }

    const listed = await world.api('GET', `/organizations/${world.org}/reserved-tag-keys`, world.ownerToken);
    assert.equal(listed.status, 200);
    assert.ok(listed.body.data.some((r: any) => r.id === created.id));
    assert.equal(listed.body.meta.pagination['page-size'], 20);

    const renamed = unique('env');
    const updated = await world.api('PATCH', `/reserved-tags/${created.id}`, world.ownerToken, body({ key: renamed, 'disable-overrides': true }));
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual([updated.body.data.attributes.key, updated.body.data.attributes['disable-overrides']], [renamed, true]);

    assert.equal((await world.api('DELETE', `/reserved-tags/${created.id}`, world.ownerToken)).status, 204);
    assert.equal((await world.api('PATCH', `/reserved-tags/${created.id}`, world.ownerToken, body({ key: 'x' }))).status, 404);
  });

  it('keeps a workspace from overriding a project’s value of a key reserved with disable-overrides, on every way of binding', async () => {
    const locked = unique('cost-center');
    const free = unique('team');
    await reserve(locked, true);
    await reserve(free, false);
    const project = await world.createProject({}, withBindings(binding(locked, '123'), binding(free, 'core')));
    const ws = await world.api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, {
      data: { type: 'workspaces', attributes: { name: unique('ws') }, relationships: { project: { data: { type: 'projects', id: project.id } } } },
    });
    assert.equal(ws.status, 201, ws.text);
    const wsId = ws.body.data.id;

    const patched = await world.api('PATCH', `/workspaces/${wsId}/tag-bindings`, world.ownerToken, { data: [binding(free, 'mine'), binding(locked, '999')] });
    assert.equal(patched.status, 422, patched.text);
    assert.equal(patched.body.errors[0].source.pointer, '/data/1/attributes/key');
    assert.match(patched.body.errors[0].detail, /set by the project/);
    const added = await world.api('POST', `/workspaces/${wsId}/relationships/tag-bindings`, world.ownerToken, { data: [binding(locked, '999')] });
    assert.equal(added.status, 422, added.text);
    const updated = await world.api('PATCH', `/workspaces/${wsId}`, world.ownerToken, {
      data: { type: 'workspaces', attributes: {}, relationships: withBindings(binding(locked, '999')) },
    });
    assert.equal(updated.status, 422, updated.text);
    assert.equal(updated.body.errors[0].source.pointer, `${RELATIONSHIP_POINTER}/0/attributes/key`);
    const created = await world.api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, {
      data: {
        type: 'workspaces',
        attributes: { name: unique('ws') },
        relationships: { project: { data: { type: 'projects', id: project.id } }, ...withBindings(binding(locked, '999')) },
      },
    });
    assert.equal(created.status, 422, created.text);

    // A key reserved without disable-overrides, and the locked key in a project that does not bind it, may be set.
    assert.equal((await world.api('PATCH', `/workspaces/${wsId}/tag-bindings`, world.ownerToken, { data: [binding(free, 'mine')] })).status, 200);
    const effective = await world.api('GET', `/workspaces/${wsId}/effective-tag-bindings`, world.ownerToken);
    const values = Object.fromEntries(effective.body.data.map((b: any) => [b.attributes.key, b.attributes.value]));
    assert.deepEqual([values[free], values[locked]], ['mine', '123']);
    const elsewhere = await world.api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, {
      data: { type: 'workspaces', attributes: { name: unique('ws') }, relationships: withBindings(binding(locked, '999')) },
    });
    assert.equal(elsewhere.status, 201, elsewhere.text);
  });
});
