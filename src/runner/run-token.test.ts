import assert from 'node:assert/strict';
import type { RunId } from '../ids.js';
import { randomUUID } from 'node:crypto';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';
import { StateWorld } from '../state-versions/testing.js';
import * as tokenStore from '../auth/token-store.js';
import * as runToken from './run-token.js';

/** What a run's own token may do (src/auth/run-access.ts): its workspace's state and lock, consumable state, nothing else. */
forEachDatabase('run tokens', (server) => {
  const world = new RunWorld(server);
  // Only its state helpers, called with explicit tokens.
  const state = new StateWorld(server);
  let workspace: { id: string; attributes: { name: string } };
  let runId: RunId;
  let token = '';

  before(async () => {
    await world.setUp();
    workspace = await world.workspaceWithConfiguration();
    runId = (await world.createRun(workspace.id)).id;
    const run = await world.run(runId);
    assert.equal(run.attributes.status, 'plan_queued', 'the run left the queue and holds the workspace');
    token = (await runToken.create(server.database.db, { id: runId, organizationId: world.orgId }, 'plan', new Date(Date.now() + 3600_000))).secret;
  });

  const lockBody = { data: { type: '', attributes: { reason: 'Locked by Terraform' } } };

  it('reads its workspace and the entitlement set, as terraform init does', async () => {
    const entitlements = await world.api('GET', `/organizations/${world.org}/entitlement-set`, token);
    assert.equal(entitlements.status, 200, entitlements.text);
    const ws = await world.api('GET', `/organizations/${world.org}/workspaces/${workspace.attributes.name}`, token);
    assert.equal(ws.status, 200, ws.text);
    assert.equal(ws.body.data.attributes.permissions['can-lock'], true);
    assert.equal(ws.body.data.attributes.permissions['can-queue-run'], false);
  });

  it('locking and unlocking its own workspace leave the run its lock', async () => {
    const locked = await world.api('POST', `/workspaces/${workspace.id}/actions/lock`, token, lockBody);
    assert.equal(locked.status, 200, locked.text);
    assert.deepEqual(locked.body.data.relationships['locked-by'].data, { type: 'runs', id: runId });
    const unlocked = await world.api('POST', `/workspaces/${workspace.id}/actions/unlock`, token);
    assert.equal(unlocked.status, 200, unlocked.text);
    assert.equal(unlocked.body.data.attributes.locked, true, 'still locked by the run');
    assert.deepEqual(unlocked.body.data.relationships['locked-by'].data, { type: 'runs', id: runId });
  });

  it('writes and reads its workspace state under the run lock', async () => {
    const version = await state.pushState(workspace.id, { serial: 1, lineage: randomUUID() }, { token });
    const current = await world.api('GET', `/workspaces/${workspace.id}/current-state-version`, token);
    assert.equal(current.status, 200, current.text);
    assert.equal(current.body.data.id, version.id);
  });

  it('reads the state of workspaces that share it with its workspace, and no other', async () => {
    const shared = await world.createWorkspace({ 'global-remote-state': true });
    const listed = await world.createWorkspace();
    const privateOne = await world.createWorkspace();
    for (const other of [shared, listed, privateOne]) {
      await state.lock(other.id, world.ownerToken);
      await state.pushState(other.id, { serial: 1, lineage: randomUUID() }, { token: world.ownerToken });
      assert.equal((await state.unlock(other.id, world.ownerToken)).status, 200);
    }
    const consumers = await world.api('POST', `/workspaces/${listed.id}/relationships/remote-state-consumers`, world.ownerToken, {
      data: [{ type: 'workspaces', id: workspace.id }],
    });
    assert.equal(consumers.status, 204, consumers.text);

    for (const readable of [shared, listed]) {
      const current = await world.api('GET', `/workspaces/${readable.id}/current-state-version`, token);
      assert.equal(current.status, 200, current.text);
    }
    assert.equal((await world.api('GET', `/workspaces/${privateOne.id}/current-state-version`, token)).status, 404);
    assert.equal((await world.api('GET', `/workspaces/${privateOne.id}`, token)).status, 404);
    // Reading is all: no lock on a consumed workspace.
    assert.equal((await world.api('POST', `/workspaces/${shared.id}/actions/lock`, token, lockBody)).status, 404);
  });

  it('cannot read variables, runs or the organization, or queue runs', async () => {
    assert.equal((await world.api('GET', `/workspaces/${workspace.id}/vars`, token)).status, 404);
    assert.equal((await world.api('GET', `/runs/${runId}`, token)).status, 404);
    assert.equal((await world.api('GET', `/workspaces/${workspace.id}/runs`, token)).status, 404);
    assert.equal((await world.api('GET', `/organizations/${world.org}`, token)).status, 404);
    const queued = await world.api('POST', '/runs', token, {
      data: { type: 'runs', relationships: { workspace: { data: { type: 'workspaces', id: workspace.id } } } },
    });
    assert.equal(queued.status, 404, queued.text);
    const other = await world.createWorkspace();
    assert.equal((await world.api('GET', `/workspaces/${other.id}`, token)).status, 404);
  });

  it('a run that does not hold its workspace cannot lock it', async () => {
    const speculative = await world.workspaceWithConfiguration();
    const run = await world.createRun(speculative.id, { 'plan-only': true });
    const planToken = await runToken.create(server.database.db, { id: run.id, organizationId: world.orgId }, 'plan', new Date(Date.now() + 3600_000));
    const res = await world.api('POST', `/workspaces/${speculative.id}/actions/lock`, planToken.secret, lockBody);
    assert.equal(res.status, 409, res.text);
    assert.equal((await world.api('GET', `/workspaces/${speculative.id}`, world.ownerToken)).body.data.attributes.locked, false);
  });

  it('dies when revoked or expired', async () => {
    const short = await runToken.create(server.database.db, { id: runId, organizationId: world.orgId }, 'plan', new Date(Date.now() + 3600_000));
    assert.equal((await world.api('GET', `/workspaces/${workspace.id}`, short.secret)).status, 200);
    await tokenStore.deleteById(server.database.db, short.id);
    assert.equal((await world.api('GET', `/workspaces/${workspace.id}`, short.secret)).status, 401);
    const expired = await runToken.create(server.database.db, { id: runId, organizationId: world.orgId }, 'plan', new Date(Date.now() - 1000));
    assert.equal((await world.api('GET', `/workspaces/${workspace.id}`, expired.secret)).status, 401);
  });

  it("are revoked at start when their phase no longer runs: not running, or its runner's lease lapsed", async () => {
    const { db } = server.database;
    const validUntil = new Date(Date.now() + 3600_000);
    const live = (await world.createRun((await world.workspaceWithConfiguration()).id)).id;
    const lapsed = (await world.createRun((await world.workspaceWithConfiguration()).id)).id;
    await db
      .updateTable('runs')
      .set({ status: 'planning', runner_lease_until: new Date(Date.now() + 60_000) })
      .where('id', '=', live)
      .execute();
    await db
      .updateTable('runs')
      .set({ status: 'applying', runner_lease_until: new Date(Date.now() - 60_000) })
      .where('id', '=', lapsed)
      .execute();
    const tokens = {
      queued: await runToken.create(db, { id: runId, organizationId: world.orgId }, 'plan', validUntil),
      live: await runToken.create(db, { id: live, organizationId: world.orgId }, 'plan', validUntil),
      lapsed: await runToken.create(db, { id: lapsed, organizationId: world.orgId }, 'plan', validUntil),
    };
    assert.ok((await runToken.revokeStale(db)) >= 2);
    const status = async (token: runToken.RunToken) => (await world.api('GET', `/workspaces/${workspace.id}`, token.secret)).status;
    assert.equal(await status(tokens.queued), 401);
    assert.equal(await status(tokens.lapsed), 401);
    assert.notEqual(await status(tokens.live), 401, 'a phase still running keeps its token');
    assert.equal(await runToken.revokeStale(db), 0);
  });
});
