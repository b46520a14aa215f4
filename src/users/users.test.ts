import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type ApiResponse, forEachDatabase, type TestServer } from '../../test/harness.js';
import { generateToken, verifyPassword } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { newId, randomBase58 } from '../ids.js';
import * as userStore from './store.js';

function usersBody(attributes: Record<string, unknown>, type = 'users') {
  return { data: { type, attributes } };
}

function assertInvalid(res: ApiResponse, pointer: string): void {
  assert.equal(res.status, 422, res.text);
  assert.equal(res.body.errors[0].status, '422');
  assert.equal(res.body.errors[0].source.pointer, pointer);
}

/** Creates an organization owned by `ownerToken`'s user; returns its id and name. */
async function createOrg(server: TestServer, ownerToken: string): Promise<{ id: string; name: string }> {
  const name = `org-${randomBase58(8).toLowerCase()}`;
  const res = await server.api('POST', '/api/v2/organizations', {
    token: ownerToken,
    body: { data: { type: 'organizations', attributes: { name, email: 'ops@example.com' } } },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.data.attributes['external-id'], name };
}

async function addMember(server: TestServer, organizationId: string, userId: string, status = 'active'): Promise<void> {
  await server.database.db
    .insertInto('organization_memberships')
    .values({ id: newId('ou'), organization_id: organizationId, user_id: userId, status })
    .execute();
}

async function organizationToken(server: TestServer, organizationId: string): Promise<string> {
  const { secret, hash } = generateToken();
  await tokenStore.insert(server.database.db, { id: newId('at'), kind: 'organization', hash, organizationId });
  return secret;
}

async function teamToken(server: TestServer, organizationId: string): Promise<{ teamId: string; token: string }> {
  const teamId = newId('team');
  await server.database.db
    .insertInto('teams')
    .values({ id: teamId, organization_id: organizationId, name: `team-${randomBase58(6)}` })
    .execute();
  const { secret, hash } = generateToken();
  await tokenStore.insert(server.database.db, { id: newId('at'), kind: 'team', hash, teamId });
  return { teamId, token: secret };
}

const OWN_PERMISSIONS = {
  'can-create-organizations': true,
  'can-change-email': true,
  'can-change-username': true,
  'can-change-password': true,
  'can-manage-user-tokens': true,
  'can-view-profile': true,
  'can-manage-sessions': false,
  'can-manage-sso-identities': false,
  'can-view-settings': false,
};

forEachDatabase('account', (server) => {
  it('shows the caller with every documented attribute, the authenticated resource and links', async () => {
    const alice = await server.createUser();
    const res = await server.api('GET', '/api/v2/account/details', { token: alice.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    const path = `/api/v2/users/${alice.id}`;
    assert.deepEqual(res.body, {
      data: {
        id: alice.id,
        type: 'users',
        attributes: {
          username: alice.username,
          'is-service-account': false,
          'auth-method': 'tfc',
          'avatar-url': res.body.data.attributes['avatar-url'],
          'v2-only': false,
          email: `${alice.username}@example.com`,
          'unconfirmed-email': null,
          'is-site-admin': false,
          'is-admin': false,
          'is-sso-login': false,
          'is-sudo': false,
          'is-confirmed': true,
          'is-unified': false,
          'has-linked-hcp': false,
          'has-git-hub-app-token': false,
          'enterprise-support': false,
          'two-factor': { enabled: false, verified: false },
          permissions: OWN_PERMISSIONS,
        },
        relationships: {
          'authentication-tokens': { links: { related: `${path}/authentication-tokens` } },
          'authenticated-resource': { data: { id: alice.id, type: 'users' }, links: { related: path } },
        },
        links: { self: path },
      },
    });
    assert.match(res.body.data.attributes['avatar-url'], /^https:\/\/www\.gravatar\.com\/avatar\/[0-9a-f]{32}\?s=100&d=mm$/);
  });

  it('shows the site admin, who cannot rename itself, for the configured admin token', async () => {
    const res = await server.api('GET', '/api/v2/account/details', { token: server.adminToken });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.id, server.adminUserId);
    assert.equal(res.body.data.attributes.username, 'admin');
    assert.equal(res.body.data.attributes['is-site-admin'], true);
    assert.equal(res.body.data.attributes.permissions['can-change-username'], false);
    const rename = await server.api('PATCH', '/api/v2/account/update', { token: server.adminToken, body: usersBody({ username: 'root' }) });
    assertInvalid(rename, '/data/attributes/username');
  });

  it('answers 401 without a token, with an unknown token and with an expired one', async () => {
    const alice = await server.createUser();
    assert.equal((await server.api('GET', '/api/v2/account/details')).status, 401);
    const unknown = await server.api('GET', '/api/v2/account/details', { token: `${alice.token}x` });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.errors[0].status, '401');
    await server.database.db
      .updateTable('tokens')
      .set({ expired_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', alice.id)
      .execute();
    assert.equal((await server.api('GET', '/api/v2/account/details', { token: alice.token })).status, 401);
    assert.equal((await server.api('PATCH', '/api/v2/account/update', { token: alice.token, body: usersBody({ email: 'x@example.com' }) })).status, 401);
  });

  it('answers team and organization tokens with their service user, and refuses them account changes (404)', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const orgToken = await organizationToken(server, org.id);
    const team = await teamToken(server, org.id);

    const asOrg = await server.api('GET', '/api/v2/account/details', { token: orgToken });
    assert.equal(asOrg.status, 200, asOrg.text);
    assert.equal(asOrg.body.data.type, 'users');
    assert.equal(asOrg.body.data.attributes.username, `api-org-${org.name}`);
    assert.equal(asOrg.body.data.attributes['is-service-account'], true);
    assert.equal(asOrg.body.data.attributes.permissions['can-create-organizations'], false);
    assert.deepEqual(asOrg.body.data.relationships['authenticated-resource'], {
      data: { id: org.name, type: 'organizations' },
      links: { related: `/api/v2/organizations/${org.name}` },
    });

    const asTeam = await server.api('GET', '/api/v2/account/details', { token: team.token });
    assert.equal(asTeam.status, 200, asTeam.text);
    assert.equal(asTeam.body.data.attributes['is-service-account'], true);
    assert.deepEqual(asTeam.body.data.relationships['authenticated-resource'].data, { id: team.teamId, type: 'teams' });

    for (const token of [orgToken, team.token]) {
      const update = await server.api('PATCH', '/api/v2/account/update', { token, body: usersBody({ email: 'svc@example.com' }) });
      assert.equal(update.status, 404, update.text);
      const password = await server.api('PATCH', '/api/v2/account/password', {
        token,
        body: usersBody({ current_password: 'x', password: 'new password 1', password_confirmation: 'new password 1' }),
      });
      assert.equal(password.status, 404, password.text);
    }
  });

  it('updates the username and email', async () => {
    const alice = await server.createUser();
    const username = `renamed-${randomBase58(6).toLowerCase()}`;
    const res = await server.api('PATCH', '/api/v2/account/update', { token: alice.token, body: usersBody({ username, email: `${username}@example.org` }) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.id, alice.id);
    assert.equal(res.body.data.attributes.username, username);
    assert.equal(res.body.data.attributes.email, `${username}@example.org`);
    assert.equal(res.body.data.attributes['unconfirmed-email'], null);
    const details = await server.api('GET', '/api/v2/account/details', { token: alice.token });
    assert.equal(details.body.data.attributes.username, username);
    assert.equal(details.body.data.attributes.email, `${username}@example.org`);

    const same = await server.api('PATCH', '/api/v2/account/update', { token: alice.token, body: usersBody({ username }) });
    assert.equal(same.status, 200, 'sending the current username is not a conflict');
    const nothing = await server.api('PATCH', '/api/v2/account/update', { token: alice.token, body: usersBody({}) });
    assert.equal(nothing.status, 200);
    assert.equal(nothing.body.data.attributes.username, username);
  });

  it('refuses taken and invalid usernames and emails with 422 and a pointer', async () => {
    const alice = await server.createUser();
    const bob = await server.createUser();
    const update = (attributes: Record<string, unknown>) => server.api('PATCH', '/api/v2/account/update', { token: alice.token, body: usersBody(attributes) });
    assertInvalid(await update({ username: bob.username }), '/data/attributes/username');
    assertInvalid(await update({ email: `${bob.username.toUpperCase()}@EXAMPLE.COM` }), '/data/attributes/email');
    assertInvalid(await update({ username: 'has space' }), '/data/attributes/username');
    assertInvalid(await update({ username: '' }), '/data/attributes/username');
    assertInvalid(await update({ email: 'not-an-email' }), '/data/attributes/email');
    assertInvalid(await update({ username: 5 }), '/data/attributes/username');
    const details = await server.api('GET', '/api/v2/account/details', { token: alice.token });
    assert.equal(details.body.data.attributes.username, alice.username, 'nothing changed');
  });

  it('answers 400 for malformed JSON and a wrong or missing data.type', async () => {
    const alice = await server.createUser();
    for (const path of ['/api/v2/account/update', '/api/v2/account/password']) {
      const malformed = await server.api('PATCH', path, { token: alice.token, body: '{"data": ' });
      assert.equal(malformed.status, 400, malformed.text);
      const wrongType = await server.api('PATCH', path, { token: alice.token, body: usersBody({ email: 'x@example.com' }, 'accounts') });
      assert.equal(wrongType.status, 400, wrongType.text);
      assert.equal(wrongType.body.errors[0].source.pointer, '/data/type');
      const noData = await server.api('PATCH', path, { token: alice.token, body: { type: 'users' } });
      assert.equal(noData.status, 400, noData.text);
    }
  });

  it('changes the password after checking the current one and the confirmation', async () => {
    const password = 'correct horse battery';
    const alice = await server.createUser({ password });
    const change = (attributes: Record<string, unknown>) =>
      server.api('PATCH', '/api/v2/account/password', { token: alice.token, body: usersBody(attributes) });
    const next = 'a much longer passphrase';
    assertInvalid(await change({ current_password: 'wrong password', password: next, password_confirmation: next }), '/data/attributes/current_password');
    assertInvalid(await change({ password: next, password_confirmation: next }), '/data/attributes/current_password');
    assertInvalid(await change({ current_password: password, password: next, password_confirmation: `${next}!` }), '/data/attributes/password_confirmation');
    assertInvalid(await change({ current_password: password, password: 'short', password_confirmation: 'short' }), '/data/attributes/password');
    assertInvalid(await change({ current_password: password, password_confirmation: next }), '/data/attributes/password');
    assertInvalid(await change({ current_password: password, password: 1234567890, password_confirmation: next }), '/data/attributes/password');
    assert.ok(await verifyPassword(password, await userStore.findPasswordHash(server.database.db, alice.id)), 'refusals change nothing');

    const res = await change({ current_password: password, password: next, password_confirmation: next });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.type, 'users');
    assert.equal(res.body.data.id, alice.id);
    assert.equal(res.body.data.attributes.password, undefined);
    const stored = await userStore.findPasswordHash(server.database.db, alice.id);
    assert.ok(await verifyPassword(next, stored));
    assert.equal(await verifyPassword(password, stored), false);
    assertInvalid(
      await change({ current_password: password, password: 'another one!', password_confirmation: 'another one!' }),
      '/data/attributes/current_password',
    );
  });

  it('lets an account without a password set its first one without current_password', async () => {
    const res = await server.api('PATCH', '/api/v2/account/password', {
      token: server.bootstrapToken,
      body: usersBody({ password: 'first admin password', password_confirmation: 'first admin password' }),
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(await verifyPassword('first admin password', await userStore.findPasswordHash(server.database.db, server.adminUserId)));
  });
});

forEachDatabase('users', (server) => {
  it('shows a user to themselves with their email', async () => {
    const alice = await server.createUser();
    const res = await server.api('GET', `/api/v2/users/${alice.id}`, { token: alice.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.type, 'users');
    assert.equal(res.body.data.attributes.email, `${alice.username}@example.com`);
    assert.equal(res.body.data.links.self, `/api/v2/users/${alice.id}`);
    assert.equal(res.body.data.relationships['authenticated-resource'], undefined);
  });

  it('shows a fellow organization member without the email or account flags', async () => {
    const alice = await server.createUser();
    const bob = await server.createUser();
    const org = await createOrg(server, alice.token);
    await addMember(server, org.id, bob.id);
    for (const [viewer, target] of [
      [bob, alice],
      [alice, bob],
    ] as const) {
      const res = await server.api('GET', `/api/v2/users/${target.id}`, { token: viewer.token });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body.data.attributes).sort(), ['auth-method', 'avatar-url', 'is-service-account', 'permissions', 'username', 'v2-only']);
      assert.equal(res.body.data.attributes.username, target.username);
      assert.ok(!res.text.includes(`${target.username}@example.com`));
    }
  });

  it('hides a user who shares no organization, or only an invitation, with the caller (404)', async () => {
    const alice = await server.createUser();
    const carol = await server.createUser();
    const dave = await server.createUser();
    const org = await createOrg(server, alice.token);
    await addMember(server, org.id, dave.id, 'invited');
    const hidden = await server.api('GET', `/api/v2/users/${alice.id}`, { token: carol.token });
    assert.equal(hidden.status, 404, hidden.text);
    assert.equal(hidden.body.errors[0].status, '404');
    assert.equal((await server.api('GET', `/api/v2/users/${alice.id}`, { token: dave.token })).status, 404, 'an invitee is not yet a member');
    assert.equal((await server.api('GET', `/api/v2/users/${dave.id}`, { token: alice.token })).status, 200, 'members see invitees');
  });

  it('shows any user, with the email, to a site admin', async () => {
    const alice = await server.createUser();
    const res = await server.api('GET', `/api/v2/users/${alice.id}`, { token: server.adminToken });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes.email, `${alice.username}@example.com`);
    assert.equal(res.body.data.attributes['is-site-admin'], false);
  });

  it('shows members of its organization to organization and team tokens, no one else', async () => {
    const alice = await server.createUser();
    const outsider = await server.createUser();
    const org = await createOrg(server, alice.token);
    for (const token of [await organizationToken(server, org.id), (await teamToken(server, org.id)).token]) {
      const member = await server.api('GET', `/api/v2/users/${alice.id}`, { token });
      assert.equal(member.status, 200, member.text);
      assert.equal(member.body.data.attributes.email, undefined);
      assert.equal((await server.api('GET', `/api/v2/users/${outsider.id}`, { token })).status, 404);
    }
  });

  it('answers 404 for an unknown id and 401 for a bad token', async () => {
    const alice = await server.createUser();
    assert.equal((await server.api('GET', '/api/v2/users/user-doesnotexist0000', { token: server.adminToken })).status, 404);
    assert.equal((await server.api('GET', `/api/v2/users/${alice.id}`, { token: 'nope' })).status, 401);
    assert.equal((await server.api('GET', `/api/v2/users/${alice.id}`)).status, 401);
  });
});
