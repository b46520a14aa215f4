import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { WorkspaceWorld } from './testing.js';

/** The body the CLI sends (cli-protocol.md §4.4): an empty data.type. */
const CLI_LOCK_BODY = { data: { type: '', attributes: { reason: 'Locked by Terraform' } } };

forEachDatabase('workspace locks', (server) => {
  const world = new WorkspaceWorld(server);
  let ownersTeamToken = '';
  before(async () => {
    await world.setUp();
    const team = await server.database.db
      .selectFrom('teams')
      .select('id')
      .where('organization_id', '=', world.orgId)
      .where('is_owners', '=', true)
      .executeTakeFirstOrThrow();
    ownersTeamToken = await world.insertToken({ kind: 'team', teamId: team.id });
  });
  const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);
  const action = (id: string, name: string, token: string, body?: unknown) => api('POST', `/workspaces/${id}/actions/${name}`, token, body);

  it('locks with a reason, answers with the workspace document, and refuses a second lock with 409', async () => {
    const ws = await world.createWorkspace();
    let res = await action(ws.id, 'lock', world.ownerToken, { reason: 'maintenance' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.type, 'workspaces');
    assert.equal(res.body.data.id, ws.id);
    assert.equal(res.body.data.attributes.locked, true);
    assert.equal(res.body.data.attributes['locked-reason'], 'maintenance');
    assert.equal(res.body.data.attributes.actions['is-destroyable'], false);
    assert.deepEqual(res.body.data.relationships['locked-by'], { data: { id: world.ownerId, type: 'users' } });
    assertError(await action(ws.id, 'lock', world.ownerToken, CLI_LOCK_BODY), 409, /already locked/);
    assertError(await action(ws.id, 'lock', server.adminToken), 409, /already locked/);

    res = await action(ws.id, 'unlock', world.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes.locked, false);
    assert.equal(res.body.data.attributes['locked-reason'], '');
    assert.deepEqual(res.body.data.relationships['locked-by'], { data: null });

    res = await action(ws.id, 'lock', world.ownerToken, CLI_LOCK_BODY);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes['locked-reason'], 'Locked by Terraform');
    // The CLI unlocks with its media type and no body (cli-protocol.md §2.1).
    res = await server.api('POST', `/api/v2/workspaces/${ws.id}/actions/unlock`, {
      token: world.ownerToken,
      headers: { 'content-type': 'application/vnd.api+json' },
      body: '',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((await action(ws.id, 'lock', world.ownerToken)).body.data.attributes['locked-reason'], '', 'no body, no reason');
  });

  it('lets only the holder unlock; others get the 409 texts the CLI maps', async () => {
    const ws = await world.createWorkspace();
    assert.equal((await action(ws.id, 'lock', world.ownerToken)).status, 200);
    assertError(await action(ws.id, 'unlock', server.adminToken), 409, new RegExp(`is locked by User ${world.ownerId}`));
    assertError(await action(ws.id, 'unlock', ownersTeamToken), 409, /is locked by User/);
    assert.equal((await action(ws.id, 'unlock', world.ownerToken)).status, 200);
    assertError(await action(ws.id, 'unlock', world.ownerToken), 409, /already unlocked/);

    const locked = await action(ws.id, 'lock', ownersTeamToken);
    assert.equal(locked.status, 200, locked.text);
    assert.equal(locked.body.data.relationships['locked-by'].data.type, 'teams');
    assertError(await action(ws.id, 'unlock', world.ownerToken), 409, /is locked by Team team-/);
    assert.equal((await action(ws.id, 'unlock', ownersTeamToken)).status, 200);

    await server.database.db
      .updateTable('workspaces')
      .set({ locked_by_kind: 'runs', locked_by_id: 'run-abc', lock_reason: 'run' })
      .where('id', '=', ws.id)
      .execute();
    const shown = await api('GET', `/workspaces/${ws.id}`, world.ownerToken);
    assert.deepEqual(shown.body.data.relationships['locked-by'], { data: { id: 'run-abc', type: 'runs' } });
    assertError(await action(ws.id, 'unlock', world.ownerToken), 409, /is locked by Run run-abc/);
  });

  it('force-unlocks anyone’s lock; 409 when there is none', async () => {
    const ws = await world.createWorkspace();
    assert.equal((await action(ws.id, 'lock', world.ownerToken)).status, 200);
    const res = await action(ws.id, 'force-unlock', server.adminToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.type, 'workspaces');
    assert.equal(res.body.data.attributes.locked, false);
    assertError(await action(ws.id, 'force-unlock', world.ownerToken), 409, /already unlocked/);
  });

  it('grants one lock among concurrent requests', async () => {
    const ws = await world.createWorkspace();
    const results = await Promise.all(Array.from({ length: 6 }, () => action(ws.id, 'lock', world.ownerToken)));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409, 409, 409]);
  });

  it('refuses locking to the organization token, members, strangers and bad tokens', async () => {
    const ws = await world.createWorkspace();
    const shown = await api('GET', `/workspaces/${ws.id}`, world.orgToken);
    assert.deepEqual([shown.body.data.attributes.permissions['can-lock'], shown.body.data.attributes.permissions['can-force-unlock']], [false, false]);
    for (const name of ['lock', 'unlock', 'force-unlock']) {
      // The organization token sees the workspace but may not lock it: 404, as the lock table lists (workspaces.mdx).
      for (const token of [world.orgToken, world.memberToken, world.strangerToken]) assertError(await action(ws.id, name, token), 404);
      assertError(await action(ws.id, name, 'bad-token'), 401);
      assertError(await action(ws.id, name, world.expiredToken), 401);
      assertError(await action('ws-unknown', name, world.ownerToken), 404);
    }
    assert.equal((await api('GET', `/workspaces/${ws.id}`, world.ownerToken)).body.data.attributes.locked, false);
  });

  it('refuses malformed lock bodies', async () => {
    const ws = await world.createWorkspace();
    assertInvalid(await action(ws.id, 'lock', world.ownerToken, { reason: 5 }), '/reason');
    assertInvalid(await action(ws.id, 'lock', world.ownerToken, { data: { type: '', attributes: { reason: ['x'] } } }), '/data/attributes/reason');
    assertError(await action(ws.id, 'lock', world.ownerToken, '"just a string"'), 400);
    assertError(await action(ws.id, 'lock', world.ownerToken, '{"reason": '), 400);
    assert.equal((await api('GET', `/workspaces/${ws.id}`, world.ownerToken)).body.data.attributes.locked, false);
  });
});
