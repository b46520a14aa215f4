import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TIMESTAMP } from '../../test/fixtures.js';
import { type ApiResponse, forEachDatabase, type TestServer } from '../../test/harness.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { newId, randomBase58 } from '../ids.js';

function tokenBody(attributes: Record<string, unknown>, type = 'authentication-tokens') {
  return { data: { type, attributes } };
}

function assertInvalid(res: ApiResponse, pointer: string): void {
  assert.equal(res.status, 422, res.text);
  assert.equal(res.body.errors[0].status, '422');
  assert.equal(res.body.errors[0].source.pointer, pointer);
}

async function createToken(
  server: TestServer,
  token: string,
  userId: string,
  attributes: Record<string, unknown> = { description: 'ci' },
): Promise<ApiResponse> {
  return server.api('POST', `/api/v2/users/${userId}/authentication-tokens`, { token, body: tokenBody(attributes) });
}

async function createOrg(server: TestServer, ownerToken: string): Promise<string> {
  const name = `org-${randomBase58(8).toLowerCase()}`;
  const res = await server.api('POST', '/api/v2/organizations', {
    token: ownerToken,
    body: { data: { type: 'organizations', attributes: { name, email: 'ops@example.com' } } },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.data.attributes['external-id'];
}

/** An organization owned by `owner`, with `memberId` an active member. */
async function sharedOrganization(server: TestServer, owner: { token: string }, memberId: string): Promise<void> {
  const organizationId = await createOrg(server, owner.token);
  await server.database.db
    .insertInto('organization_memberships')
    .values({ id: newId('ou'), organization_id: organizationId, user_id: memberId, status: 'active' })
    .execute();
}

forEachDatabase('user tokens', (server) => {
  it('creates a token whose secret is shown once and which authenticates as the user', async () => {
    const alice = await server.createUser();
    const res = await createToken(server, alice.token, alice.id, { description: 'api', 'expired-at': '2099-04-06T12:00:00Z' });
    assert.equal(res.status, 201, res.text);
    const data = res.body.data;
    assert.equal(data.type, 'authentication-tokens');
    assert.match(data.id, /^at-/);
    assert.deepEqual(Object.keys(data.attributes).sort(), ['created-at', 'description', 'expired-at', 'last-used-at', 'token']);
    assert.match(data.attributes['created-at'], TIMESTAMP);
    assert.equal(data.attributes['last-used-at'], null);
    assert.equal(data.attributes.description, 'api');
    assert.equal(data.attributes['expired-at'], '2099-04-06T12:00:00.000Z');
    assert.match(data.attributes.token, /^[1-9A-Za-z]{14}\.terrace\.[\w-]{64}$/);
    assert.deepEqual(data.relationships, { 'created-by': { data: { id: alice.id, type: 'users' } } });

    const secret = data.attributes.token;
    const details = await server.api('GET', '/api/v2/account/details', { token: secret });
    assert.equal(details.status, 200, details.text);
    assert.equal(details.body.data.attributes.username, alice.username);

    const shown = await server.api('GET', `/api/v2/authentication-tokens/${data.id}`, { token: alice.token });
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.attributes.token, null);
    assert.match(shown.body.data.attributes['last-used-at'], TIMESTAMP);
    assert.ok(!shown.text.includes(secret));
  });

  it('creates a token without a description or expiry', async () => {
    const alice = await server.createUser();
    for (const attributes of [{}, { description: null, 'expired-at': null }]) {
      const res = await createToken(server, alice.token, alice.id, attributes);
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.data.attributes.description, null);
      assert.equal(res.body.data.attributes['expired-at'], null);
    }
  });

  it('accepts a request with an empty or no data.type, as go-tfe sends it', async () => {
    const alice = await server.createUser();
    const path = `/api/v2/users/${alice.id}/authentication-tokens`;
    for (const data of [{ type: '', attributes: { description: 'empty type' } }, { attributes: { description: 'no type' } }]) {
      const res = await server.api('POST', path, { token: alice.token, body: { data } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.data.attributes.description, data.attributes.description);
      assert.equal((await server.api('GET', '/api/v2/account/details', { token: res.body.data.attributes.token })).status, 200);
    }
  });

  it('lists the caller’s own tokens with pagination and without secrets', async () => {
    const alice = await server.createUser();
    const secrets = [alice.token];
    for (const description of ['one', 'two']) secrets.push((await createToken(server, alice.token, alice.id, { description })).body.data.attributes.token);
    const res = await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens?page%5Bsize%5D=2`, { token: alice.token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((t: any) => [t.type, t.attributes.description, t.attributes.token]),
      [
        ['authentication-tokens', 'test', null],
        ['authentication-tokens', 'one', null],
      ],
    );
    assert.deepEqual(res.body.meta.pagination, { 'current-page': 1, 'page-size': 2, 'prev-page': null, 'next-page': 2, 'total-pages': 2, 'total-count': 3 });
    assert.ok(res.body.links.next.includes('page%5Bnumber%5D=2'));
    const second = await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens?page%5Bnumber%5D=2&page%5Bsize%5D=2`, { token: alice.token });
    assert.deepEqual(
      second.body.data.map((t: any) => t.attributes.description),
      ['two'],
    );
    for (const secret of secrets) assert.ok(!res.text.includes(secret) && !second.text.includes(secret));
    const badPage = await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens?page%5Bsize%5D=0`, { token: alice.token });
    assert.equal(badPage.status, 422, badPage.text);
    assert.deepEqual(badPage.body.errors[0].source, { parameter: 'page[size]' });
  });

  it('lists another visible user’s tokens as empty, and an invisible or unknown user’s as 404', async () => {
    const alice = await server.createUser();
    const bob = await server.createUser();
    const carol = await server.createUser();
    await sharedOrganization(server, alice, bob.id);
    const visible = await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens`, { token: bob.token });
    assert.equal(visible.status, 200, visible.text);
    assert.deepEqual(visible.body.data, []);
    assert.equal(visible.body.meta.pagination['total-count'], 0);
    assert.equal((await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens`, { token: carol.token })).status, 404);
    assert.equal((await server.api('GET', '/api/v2/users/user-doesnotexist0000/authentication-tokens', { token: alice.token })).status, 404);
  });

  it('refuses to create, show or delete another user’s tokens (404)', async () => {
    const alice = await server.createUser();
    const bob = await server.createUser();
    await sharedOrganization(server, alice, bob.id);
    const created = await createToken(server, alice.token, alice.id);
    const id = created.body.data.id;
    assert.equal((await createToken(server, bob.token, alice.id)).status, 404);
    assert.equal((await server.api('GET', `/api/v2/authentication-tokens/${id}`, { token: bob.token })).status, 404);
    const del = await server.api('DELETE', `/api/v2/authentication-tokens/${id}`, { token: bob.token });
    assert.equal(del.status, 404, del.text);
    assert.equal(del.body.errors[0].status, '404');
    assert.equal((await server.api('GET', '/api/v2/account/details', { token: created.body.data.attributes.token })).status, 200, 'still valid');
  });

  it('lets a site admin manage any user’s tokens', async () => {
    const alice = await server.createUser();
    const created = await createToken(server, server.adminToken, alice.id, { description: 'from admin' });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.data.relationships['created-by'].data, { id: server.adminUserId, type: 'users' });
    const list = await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens`, { token: server.adminToken });
    assert.deepEqual(
      list.body.data.map((t: any) => t.attributes.description),
      ['test', 'from admin'],
    );
    assert.equal((await server.api('GET', `/api/v2/authentication-tokens/${created.body.data.id}`, { token: server.adminToken })).status, 200);
    assert.equal((await server.api('DELETE', `/api/v2/authentication-tokens/${created.body.data.id}`, { token: server.adminToken })).status, 204);
  });

  it('deletes a token: it stops authenticating and a second delete is 404', async () => {
    const alice = await server.createUser();
    const created = await createToken(server, alice.token, alice.id);
    const { id, attributes } = created.body.data;
    const del = await server.api('DELETE', `/api/v2/authentication-tokens/${id}`, { token: alice.token });
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, '');
    assert.equal((await server.api('GET', '/api/v2/account/details', { token: attributes.token })).status, 401);
    assert.equal((await server.api('DELETE', `/api/v2/authentication-tokens/${id}`, { token: alice.token })).status, 404);
    assert.equal((await server.api('GET', `/api/v2/authentication-tokens/${id}`, { token: alice.token })).status, 404);
  });

  it('refuses an expired token with 401', async () => {
    const alice = await server.createUser();
    const created = await createToken(server, alice.token, alice.id, { 'expired-at': new Date(Date.now() + 3_600_000).toISOString() });
    const secret = created.body.data.attributes.token;
    assert.equal((await server.api('GET', '/api/v2/account/details', { token: secret })).status, 200);
    await server.database.db
      .updateTable('tokens')
      .set({ expired_at: new Date(Date.now() - 1000) })
      .where('id', '=', created.body.data.id)
      .execute();
    const res = await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens`, { token: secret });
    assert.equal(res.status, 401, res.text);
    assert.equal(res.body.errors[0].status, '401');
    const listed = await server.api('GET', `/api/v2/authentication-tokens/${created.body.data.id}`, { token: alice.token });
    assert.match(listed.body.data.attributes['expired-at'], TIMESTAMP, 'expired tokens are still shown');
  });

  it('refuses bad input: 400 for malformed JSON or a wrong type, 422 with a pointer for bad attributes', async () => {
    const alice = await server.createUser();
    const path = `/api/v2/users/${alice.id}/authentication-tokens`;
    assert.equal((await server.api('POST', path, { token: alice.token, body: '{"data":' })).status, 400);
    const wrongType = await server.api('POST', path, { token: alice.token, body: tokenBody({ description: 'x' }, 'tokens') });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.errors[0].source.pointer, '/data/type');
    assertInvalid(await createToken(server, alice.token, alice.id, { description: 5 }), '/data/attributes/description');
    assertInvalid(await createToken(server, alice.token, alice.id, { 'expired-at': 'tomorrow' }), '/data/attributes/expired-at');
    assertInvalid(await createToken(server, alice.token, alice.id, { 'expired-at': '2099-13-45T00:00:00Z' }), '/data/attributes/expired-at');
    assertInvalid(await createToken(server, alice.token, alice.id, { 'expired-at': '2020-01-01T00:00:00Z' }), '/data/attributes/expired-at');
    assertInvalid(await createToken(server, alice.token, alice.id, { 'expired-at': 1893456000 }), '/data/attributes/expired-at');
    const list = await server.api('GET', path, { token: alice.token });
    assert.equal(list.body.meta.pagination['total-count'], 1, 'no token was created');
  });

  it('is for user tokens only: team and organization tokens get 404, and their tokens are not user tokens', async () => {
    const alice = await server.createUser();
    const organizationId = await createOrg(server, alice.token);
    const orgSecret = generateToken();
    const orgTokenId = newId('at');
    await tokenStore.insert(server.database.db, { id: orgTokenId, kind: 'organization', hash: orgSecret.hash, organizationId });
    const mine = await createToken(server, alice.token, alice.id);
    const token = orgSecret.secret;
    assert.equal((await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens`, { token })).status, 404);
    assert.equal((await createToken(server, token, alice.id)).status, 404);
    assert.equal((await server.api('GET', `/api/v2/authentication-tokens/${mine.body.data.id}`, { token })).status, 404);
    assert.equal((await server.api('DELETE', `/api/v2/authentication-tokens/${mine.body.data.id}`, { token })).status, 404);
    assert.equal((await server.api('GET', `/api/v2/authentication-tokens/${orgTokenId}`, { token: server.adminToken })).status, 404);
    assert.equal((await server.api('DELETE', `/api/v2/authentication-tokens/${orgTokenId}`, { token: server.adminToken })).status, 404);
  });

  it('answers 401 without a token', async () => {
    const alice = await server.createUser();
    assert.equal((await server.api('GET', `/api/v2/users/${alice.id}/authentication-tokens`)).status, 401);
    assert.equal((await server.api('POST', `/api/v2/users/${alice.id}/authentication-tokens`, { body: tokenBody({}) })).status, 401);
  });
});
