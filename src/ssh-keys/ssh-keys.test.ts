import assert from 'node:assert/strict';
import type { WorkspaceId } from '../ids.js';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { open } from '../crypto/sealing.js';
import { assertStatus, TeamWorld, unique } from '../teams/testing.js';
import * as sshKeyService from './service.js';

/** SSH keys (issue 16, ssh-keys.mdx) and their workspace assignment (workspaces.mdx), as go-tfe and the tfe provider send them. */

const PRIVATE_KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';

const keyBody = (attributes: Record<string, unknown>) => ({ data: { type: 'ssh-keys', attributes } });
const assignBody = (id: string | null) => ({ data: { type: 'workspaces', attributes: { id } } });

forEachDatabase('ssh keys', (server) => {
  const world = new TeamWorld(server);
  let vcsManager = '';
  let workspaceAdmin = '';
  let workspaceWriter = '';
  let workspace: { id: WorkspaceId; name: string };
  before(async () => {
    await world.setUp();
    const managers = await world.createTeam({ 'organization-access': { 'manage-vcs-settings': true } });
    vcsManager = (await world.member([managers.id])).token;
    workspace = await world.createWorkspace();
    const admins = await world.createTeam();
    await world.grantWorkspace(admins.id, workspace.id, { access: 'admin' });
    workspaceAdmin = (await world.member([admins.id])).token;
    const writers = await world.createTeam();
    await world.grantWorkspace(writers.id, workspace.id, { access: 'write' });
    workspaceWriter = (await world.member([writers.id])).token;
  });

  async function createKey(token = world.ownerToken, name = unique('key')) {
    const res = await world.api('POST', `/organizations/${world.org}/ssh-keys`, token, keyBody({ name, value: PRIVATE_KEY }));
    assertStatus(res, 201);
    return res.body.data;
  }

  it('creates, shows, lists, renames and deletes a key; the value is never returned and is sealed at rest', async () => {
    const created = await world.api('POST', `/organizations/${world.org}/ssh-keys`, vcsManager, keyBody({ name: 'SSH Key', value: PRIVATE_KEY }));
    assertStatus(created, 201);
    const key = created.body.data;
    assert.match(key.id, /^sshkey-/);
    assert.deepEqual(key, { id: key.id, type: 'ssh-keys', attributes: { name: 'SSH Key' }, links: { self: `/api/v2/ssh-keys/${key.id}` } });
    const row = await server.database.db.selectFrom('ssh_keys').select('sealed_value').where('id', '=', key.id).executeTakeFirstOrThrow();
    assert.ok(!row.sealed_value.includes('b3BlbnNzaC1rZXk'), 'sealed at rest');
    assert.equal(open(server.config, row.sealed_value), PRIVATE_KEY);

    const shown = await world.api('GET', `/ssh-keys/${key.id}`, world.ownerToken);
    assertStatus(shown, 200);
    assert.deepEqual(shown.body.data, key);
    const listed = await world.api('GET', `/organizations/${world.org}/ssh-keys`, vcsManager);
    assertStatus(listed, 200);
    assert.ok(listed.body.data.some((k: any) => k.id === key.id));
    assert.equal(listed.body.meta.pagination['total-count'], listed.body.data.length);

    // The docs' sample update payload.
    const renamed = await world.api('PATCH', `/ssh-keys/${key.id}`, vcsManager, keyBody({ name: 'SSH Key for GitHub' }));
    assertStatus(renamed, 200);
    assert.deepEqual(renamed.body.data.attributes, { name: 'SSH Key for GitHub' });
    // go-tfe's SSHKeyUpdateOptions may carry a new value.
    const replaced = await world.api('PATCH', `/ssh-keys/${key.id}`, vcsManager, keyBody({ value: 'another key' }));
    assertStatus(replaced, 200);
    assert.equal(replaced.body.data.attributes.name, 'SSH Key for GitHub');
    for (const res of [created, shown, listed, renamed, replaced]) assert.ok(!res.text.includes('b3BlbnNzaC1rZXk') && !res.text.includes('another key'));

    assertStatus(await world.api('DELETE', `/ssh-keys/${key.id}`, vcsManager), 204);
    assertStatus(await world.api('GET', `/ssh-keys/${key.id}`, world.ownerToken), 404);
    assertStatus(await world.api('DELETE', `/ssh-keys/${key.id}`, world.ownerToken), 404);
  });

  it('refuses a missing or empty name or value with a pointer, and a wrong type', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ value: PRIVATE_KEY }, '/data/attributes/name'],
      [{ name: 'k' }, '/data/attributes/value'],
      [{ name: ' ', value: PRIVATE_KEY }, '/data/attributes/name'],
      [{ name: 'k', value: '' }, '/data/attributes/value'],
      [{ name: 'k', value: 7 }, '/data/attributes/value'],
      [{ name: 'k', value: 'x'.repeat(sshKeyService.MAX_KEY_LENGTH + 1) }, '/data/attributes/value'],
    ];
    for (const [attributes, pointer] of cases) {
      const res = await world.api('POST', `/organizations/${world.org}/ssh-keys`, world.ownerToken, keyBody(attributes));
      assertStatus(res, 422, JSON.stringify(attributes).slice(0, 80));
      assert.equal(res.body.errors[0].source.pointer, pointer);
    }
    const key = await createKey();
    assertStatus(await world.api('PATCH', `/ssh-keys/${key.id}`, world.ownerToken, keyBody({ name: '' })), 422);
    assertStatus(await world.api('PATCH', `/ssh-keys/${key.id}`, world.ownerToken, { data: { type: 'keys', attributes: { name: 'n' } } }), 400);
  });

  it('lets workspace admins read keys but not manage them; others, organization tokens and strangers get 404', async () => {
    const key = await createKey();
    assertStatus(await world.api('GET', `/ssh-keys/${key.id}`, workspaceAdmin), 200);
    assertStatus(await world.api('GET', `/organizations/${world.org}/ssh-keys`, workspaceAdmin), 200);
    assertStatus(await world.api('PATCH', `/ssh-keys/${key.id}`, workspaceAdmin, keyBody({ name: 'x' })), 404);
    assertStatus(await world.api('POST', `/organizations/${world.org}/ssh-keys`, workspaceAdmin, keyBody({ name: 'x', value: 'y' })), 404);
    for (const token of [workspaceWriter, world.orgToken, world.strangerToken]) {
      assertStatus(await world.api('GET', `/ssh-keys/${key.id}`, token), 404);
      assertStatus(await world.api('GET', `/organizations/${world.org}/ssh-keys`, token), 404);
      assertStatus(await world.api('DELETE', `/ssh-keys/${key.id}`, token), 404);
    }
    assertStatus(await world.api('GET', '/ssh-keys/sshkey-unknown', world.ownerToken), 404);
    assertStatus(await world.api('GET', `/organizations/${world.otherOrg}/ssh-keys`, world.ownerToken), 404);
  });

  it('assigns a key to a workspace and unassigns it; the workspace names it in its ssh-key relationship', async () => {
    const key = await createKey();
    const assigned = await world.api('PATCH', `/workspaces/${workspace.id}/relationships/ssh-key`, workspaceAdmin, assignBody(key.id));
    assertStatus(assigned, 200);
    assert.equal(assigned.body.data.type, 'workspaces');
    assert.deepEqual(assigned.body.data.relationships['ssh-key'].data, { type: 'ssh-keys', id: key.id });
    const shown = await world.api('GET', `/workspaces/${workspace.id}`, world.ownerToken);
    assert.deepEqual(shown.body.data.relationships['ssh-key'].data, { type: 'ssh-keys', id: key.id });
    assert.equal(await sshKeyService.privateKeyForRun({ db: server.database.db, config: server.config }, workspace.id), PRIVATE_KEY);

    const unassigned = await world.api('PATCH', `/workspaces/${workspace.id}/relationships/ssh-key`, world.ownerToken, assignBody(null));
    assertStatus(unassigned, 200);
    assert.equal(unassigned.body.data.relationships['ssh-key'].data, null);
    assert.equal(await sshKeyService.privateKeyForRun({ db: server.database.db, config: server.config }, workspace.id), undefined);

    // Deleting an assigned key unassigns it.
    assertStatus(await world.api('PATCH', `/workspaces/${workspace.id}/relationships/ssh-key`, world.ownerToken, assignBody(key.id)), 200);
    assertStatus(await world.api('DELETE', `/ssh-keys/${key.id}`, world.ownerToken), 204);
    const after = await world.api('GET', `/workspaces/${workspace.id}`, world.ownerToken);
    assert.equal(after.body.data.relationships['ssh-key'].data, null);
  });

  it('refuses an unknown key, another organization’s key, a bad body and callers who are not workspace admins', async () => {
    const key = await createKey();
    const path = `/workspaces/${workspace.id}/relationships/ssh-key`;
    assertStatus(await world.api('PATCH', path, world.ownerToken, assignBody('sshkey-unknown')), 404);
    const otherOwner = world.strangerToken;
    const foreign = await world.api('POST', `/organizations/${world.otherOrg}/ssh-keys`, otherOwner, keyBody({ name: 'k', value: PRIVATE_KEY }));
    assertStatus(foreign, 201);
    assertStatus(await world.api('PATCH', path, world.ownerToken, assignBody(foreign.body.data.id)), 404);
    assertStatus(await world.api('PATCH', path, world.ownerToken, { data: { type: 'workspaces', attributes: {} } }), 422);
    assertStatus(await world.api('PATCH', path, world.ownerToken, { data: { type: 'ssh-keys', attributes: { id: key.id } } }), 400);
    assertStatus(await world.api('PATCH', path, workspaceWriter, assignBody(key.id)), 404);
    assertStatus(await world.api('PATCH', path, world.strangerToken, assignBody(key.id)), 404);
    assertStatus(await world.api('PATCH', '/workspaces/ws-unknown/relationships/ssh-key', world.ownerToken, assignBody(key.id)), 404);
  });
});
