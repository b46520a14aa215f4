import assert from 'node:assert/strict';
import type { WorkspaceId } from '../ids.js';
import { randomUUID } from 'node:crypto';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { forEachDatabase, type TestServer } from '../../test/harness.js';
import { realTarball, Uploader } from '../configuration-versions/testing.js';
import { StateWorld } from '../state-versions/testing.js';
import { assertStatus, TeamWorld } from '../teams/testing.js';
import * as retentionStore from './store.js';
import { eventually } from '../../test/fixtures.js';

/** Data retention policies (issue 16; organizations.mdx, workspaces.mdx), with the bodies go-tfe sends. */

const deleteOlder = (days: number, extra: Record<string, unknown> = {}) => ({
  data: { type: 'data-retention-policy-delete-olders', attributes: { 'delete-older-than-n-days': days, ...extra } },
});
const dontDelete = { data: { type: 'data-retention-policy-dont-deletes', attributes: {} } };

/** Makes everything of the workspace `days` older, keeping its order. */
async function age(server: TestServer, workspaceId: WorkspaceId, days: number): Promise<void> {
  const older = sql<Date>`created_at - make_interval(days => ${days})`;
  const db = server.database.db;
  await db.updateTable('state_versions').set({ created_at: older }).where('workspace_id', '=', workspaceId).execute();
  await db.updateTable('configuration_versions').set({ created_at: older }).where('workspace_id', '=', workspaceId).execute();
}

forEachDatabase('data retention policies', (server) => {
  const world = new StateWorld(server);
  const uploader = new Uploader(server);
  before(async () => {
    await world.setUp();
  });

  const orgPath = () => `/organizations/${world.org}/relationships/data-retention-policy`;

  /** A workspace with `serials` state versions (the last current) and `uploads` uploaded configuration versions. */
  async function workspaceWithHistory(serials: number, uploads: number): Promise<{ id: WorkspaceId; name: string; stateVersionIds: string[]; cvIds: string[] }> {
    const ws = await world.createWorkspace();
    const lineage = randomUUID();
    await world.lock(ws.id);
    const stateVersionIds: string[] = [];
    for (let serial = 1; serial <= serials; serial++) stateVersionIds.push((await world.pushState(ws.id, { serial, lineage })).id);
    assertStatus(await world.unlock(ws.id), 200);
    const cvIds: string[] = [];
    const tarball = await realTarball();
    for (let i = 0; i < uploads; i++) {
      const res = await world.api('POST', `/workspaces/${ws.id}/configuration-versions`, world.ownerToken, {
        data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
      });
      assertStatus(res, 201);
      assertStatus(await uploader.put(res.body.data.attributes['upload-url'], tarball), 200);
      cvIds.push(res.body.data.id);
    }
    for (const id of cvIds) {
      await eventually(
        async () => (await world.api('GET', `/configuration-versions/${id}`, world.ownerToken)).body.data.attributes.status === 'uploaded',
        Boolean,
        `${id} uploaded`,
      );
    }
    return { id: ws.id, name: ws.attributes.name, stateVersionIds, cvIds };
  }

  const stateVersionExists = async (id: string) => (await world.api('GET', `/state-versions/${id}`, world.ownerToken)).status === 200;
  const cvStatus = async (id: string) => (await world.api('GET', `/configuration-versions/${id}`, world.ownerToken)).body.data.attributes.status;

  it('sets, shows, replaces and removes an organization policy; a workspace inherits it until it has its own', async () => {
    assertStatus(await world.api('GET', orgPath(), world.ownerToken), 404);
    const org = await world.api('GET', `/organizations/${world.org}`, world.ownerToken);
    assert.deepEqual(org.body.data.relationships['data-retention-policy'], { data: null });

    const created = await world.api('POST', orgPath(), world.ownerToken, deleteOlder(30));
    assertStatus(created, 201);
    const policy = created.body.data;
    assert.equal(policy.type, 'data-retention-policy-delete-olders');
    assert.match(policy.id, /^drp-/);
    assert.equal(policy.attributes['delete-older-than-n-days'], 30);
    assert.deepEqual(policy.relationships.target.data, { type: 'organizations', id: world.org });
    const shown = await world.api('GET', orgPath(), world.ownerToken);
    assertStatus(shown, 200);
    assert.deepEqual(shown.body.data, policy);
    // go-tfe's ReadDataRetentionPolicyChoice reads the organization's relationship to learn the type.
    const orgAfter = await world.api('GET', `/organizations/${world.org}`, world.ownerToken);
    assert.deepEqual(orgAfter.body.data.relationships['data-retention-policy'].data, { type: policy.type, id: policy.id });

    const ws = await world.createWorkspace();
    const inherited = await world.api('GET', `/workspaces/${ws.id}/relationships/data-retention-policy`, world.ownerToken);
    assertStatus(inherited, 200);
    assert.deepEqual(inherited.body.data.relationships.target.data, { type: 'organizations', id: world.org });

    const own = await world.api('POST', `/workspaces/${ws.id}/relationships/data-retention-policy`, world.ownerToken, dontDelete);
    assertStatus(own, 201);
    assert.equal(own.body.data.type, 'data-retention-policy-dont-deletes');
    assert.deepEqual(own.body.data.attributes, {});
    const wsShown = await world.api('GET', `/workspaces/${ws.id}`, world.ownerToken);
    assert.deepEqual(wsShown.body.data.relationships['data-retention-policy'].data, { type: own.body.data.type, id: own.body.data.id });
    assertStatus(await world.api('DELETE', `/workspaces/${ws.id}/relationships/data-retention-policy`, world.ownerToken), 204);
    const back = await world.api('GET', `/workspaces/${ws.id}/relationships/data-retention-policy`, world.ownerToken);
    assert.equal(back.body.data.id, policy.id);

    // PATCH replaces, keeping the id; the type follows the body.
    const replaced = await world.api('PATCH', orgPath(), world.ownerToken, dontDelete);
    assertStatus(replaced, 200);
    assert.equal(replaced.body.data.id, policy.id);
    assert.equal(replaced.body.data.type, 'data-retention-policy-dont-deletes');
    assertStatus(await world.api('DELETE', orgPath(), world.ownerToken), 204);
    assertStatus(await world.api('GET', orgPath(), world.ownerToken), 404);
    assertStatus(await world.api('GET', `/workspaces/${ws.id}/relationships/data-retention-policy`, world.ownerToken), 404);
  });

  it('refuses bodies that are not a policy', async () => {
    const wrongType = await world.api('POST', orgPath(), world.ownerToken, { data: { type: 'workspaces', attributes: {} } });
    assertStatus(wrongType, 400);
    assertStatus(await world.api('POST', orgPath(), world.ownerToken, deleteOlder(0)), 422);
    assertStatus(await world.api('POST', orgPath(), world.ownerToken, { data: { type: 'data-retention-policy-delete-olders', attributes: {} } }), 422);
    assertStatus(await world.api('POST', orgPath(), world.ownerToken, deleteOlder(7, { 'state-versions-keep-latest-count': -1 })), 422);
    assertStatus(await world.api('GET', orgPath(), world.ownerToken), 404);
  });

  it('deletes expired state versions and archives expired configuration versions, never the current ones nor the latest kept', async () => {
    const kept = await workspaceWithHistory(4, 3);
    const bare = await workspaceWithHistory(3, 2);
    const overridden = await workspaceWithHistory(2, 0);
    const fresh = await workspaceWithHistory(2, 0);
    for (const ws of [kept, bare, overridden]) await age(server, ws.id, 40);
    assertStatus(await world.api('POST', `/workspaces/${overridden.id}/relationships/data-retention-policy`, world.ownerToken, dontDelete), 201);
    assertStatus(
      await world.api(
        'POST',
        `/workspaces/${kept.id}/relationships/data-retention-policy`,
        world.ownerToken,
        deleteOlder(30, { 'state-versions-keep-latest-count': 2, 'configuration-versions-keep-latest-count': 2 }),
      ),
      201,
    );
    // Setting a policy runs the sweep at once.
    assertStatus(await world.api('POST', orgPath(), world.ownerToken, deleteOlder(30)), 201);

    await eventually(async () => !(await stateVersionExists(bare.stateVersionIds[0] as string)), Boolean, 'the sweep');
    // The organization's policy, no count kept: only the current state version stays.
    assert.deepEqual(await Promise.all(bare.stateVersionIds.map(stateVersionExists)), [false, false, true]);
    assert.deepEqual(await Promise.all(bare.cvIds.map(cvStatus)), ['archived', 'uploaded']);
    const current = await world.api('GET', `/workspaces/${bare.id}/current-state-version`, world.ownerToken);
    assertStatus(current, 200);
    assert.equal(current.body.data.id, bare.stateVersionIds[2]);
    const list = await world.api(
      'GET',
      `/state-versions?filter%5Bworkspace%5D%5Bname%5D=${bare.name}&filter%5Borganization%5D%5Bname%5D=${world.org}`,
      world.ownerToken,
    );
    assertStatus(list, 200);
    assert.deepEqual(
      list.body.data.map((v: { id: string }) => v.id),
      [bare.stateVersionIds[2]],
    );
    // Their content went too.
    for (const id of bare.stateVersionIds.slice(0, 2)) {
      await eventually(async () => (await server.blobs.get(`state-versions/${id}/state`)) === undefined, Boolean, `content of ${id} deleted`);
    }

    // The workspace's own policy keeps its latest two of each.
    await eventually(async () => !(await stateVersionExists(kept.stateVersionIds[1] as string)), Boolean, 'the sweep of the workspace policy');
    assert.deepEqual(await Promise.all(kept.stateVersionIds.map(stateVersionExists)), [false, false, true, true]);
    assert.deepEqual(await Promise.all(kept.cvIds.map(cvStatus)), ['archived', 'uploaded', 'uploaded']);
    // dont-delete overrides the organization's policy; young versions are not expired.
    assert.deepEqual(await Promise.all(overridden.stateVersionIds.map(stateVersionExists)), [true, true]);
    assert.deepEqual(await Promise.all(fresh.stateVersionIds.map(stateVersionExists)), [true, true]);
    assertStatus(await world.api('DELETE', orgPath(), world.ownerToken), 204);
  });

  it('sweeps only the workspaces that hold a version older than their cutoff', async () => {
    const aged = await workspaceWithHistory(2, 1);
    const fresh = await workspaceWithHistory(2, 1);
    await age(server, aged.id, 40);
    await age(server, fresh.id, 20);
    await retentionStore.setOn(
      server.database.db,
      { table: 'organizations', id: world.orgId },
      {
        id: 'drp-test',
        kind: 'delete-older',
        deleteOlderThanNDays: 30,
        stateVersionsKeepLatestCount: null,
        configurationVersionsKeepLatestCount: null,
      },
    );
    try {
      const swept = (await retentionStore.deletingWorkspaces(server.database.db, '', 200, new Date())).map((w) => w.id);
      assert.ok(swept.includes(aged.id), 'a workspace with versions 40 days old under a 30-day policy is swept');
      assert.ok(!swept.includes(fresh.id), 'one whose versions are 20 days old is passed over');
    } finally {
      await retentionStore.setOn(server.database.db, { table: 'organizations', id: world.orgId }, null);
    }
  });

  it('lets workspace admins set their workspace policy, organization owners the organization one, readers only read', async () => {
    const teams = new TeamWorld(server);
    await teams.setUp();
    const ws = await teams.createWorkspace();
    const admins = await teams.createTeam();
    await teams.grantWorkspace(admins.id, ws.id, { access: 'admin' });
    const admin = (await teams.member([admins.id])).token;
    const readers = await teams.createTeam();
    await teams.grantWorkspace(readers.id, ws.id, { access: 'read' });
    const reader = (await teams.member([readers.id])).token;
    const wsPath = `/workspaces/${ws.id}/relationships/data-retention-policy`;
    const teamsOrgPath = `/organizations/${teams.org}/relationships/data-retention-policy`;

    assertStatus(await teams.api('POST', teamsOrgPath, admin, deleteOlder(30)), 404);
    assertStatus(await teams.api('POST', wsPath, reader, deleteOlder(30)), 404);
    assertStatus(await teams.api('POST', wsPath, admin, deleteOlder(30)), 201);
    assertStatus(await teams.api('GET', wsPath, reader), 200);
    assertStatus(await teams.api('DELETE', wsPath, reader), 404);
    assertStatus(await teams.api('GET', wsPath, admin), 200);
    assertStatus(await teams.api('DELETE', wsPath, admin), 204);
    assertStatus(await teams.api('POST', teamsOrgPath, teams.ownerToken, dontDelete), 201);
    // Another organization's owner sees neither.
    assertStatus(await world.api('GET', teamsOrgPath, world.ownerToken), 404);
    assertStatus(await world.api('GET', wsPath, world.ownerToken), 404);
  });
});
