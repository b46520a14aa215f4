import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase, type TestServer } from '../../test/harness.js';
import { newId, randomBase58 } from '../ids.js';

async function createOrg(server: TestServer, token: string): Promise<{ id: string; name: string; externalId: string }> {
  const name = `org-${randomBase58(8).toLowerCase()}`;
  const res = await server.api('POST', '/api/v2/organizations', {
    token,
    body: { data: { type: 'organizations', attributes: { name, email: `${name}@example.com` } } },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.data.id, name, externalId: res.body.data.attributes['external-id'] };
}

const path = (org: string) => `/api/v2/organizations/${org}/authentication-token`;

forEachDatabase('organization tokens', (server) => {
  it('generates a token shown once, which authenticates as the organization', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const created = await server.api('POST', path(org.name), { token: owner.token });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.data.type, 'authentication-tokens');
    assert.match(created.body.data.attributes.token, /\.terrace\./);
    assert.equal(created.body.data.attributes['expired-at'], null);
    assert.deepEqual(created.body.data.relationships['created-by'].data, { id: owner.id, type: 'users' });
    const orgToken = created.body.data.attributes.token as string;

    const shown = await server.api('GET', path(org.name), { token: owner.token });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.data.id, created.body.data.id);
    assert.equal(shown.body.data.attributes.token, null);

    // The organization token reads its organization and manages its own token, but not the organization itself.
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: orgToken })).status, 200);
    assert.equal((await server.api('GET', path(org.name), { token: orgToken })).status, 200);
    const patch = { data: { type: 'organizations', attributes: { email: 'x@example.com' } } };
    assert.equal((await server.api('PATCH', `/api/v2/organizations/${org.name}`, { token: orgToken, body: patch })).status, 404);
  });

  it('revokes the previous token when regenerating, and accepts an expiry', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const first = (await server.api('POST', path(org.name), { token: owner.token })).body.data.attributes.token;
    const expiredAt = new Date(Date.now() + 3600_000).toISOString();
    const second = await server.api('POST', path(org.name), {
      token: first,
      body: { data: { type: 'authentication-token', attributes: { 'expired-at': expiredAt } } },
    });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.data.attributes['expired-at'], expiredAt);
    assert.equal(second.body.data.relationships['created-by'].data, null);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: first })).status, 401);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: second.body.data.attributes.token })).status, 200);
    const rows = await server.database.db
      .selectFrom('tokens')
      .select('id')
      .where('kind', '=', 'organization')
      .where('organization_id', '=', org.externalId)
      .execute();
    assert.equal(rows.length, 1);
  });

  it('deletes the token, which stops working at once; a second delete is a 404', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const secret = (await server.api('POST', path(org.name), { token: owner.token })).body.data.attributes.token;
    assert.equal((await server.api('DELETE', path(org.name), { token: owner.token, headers: { 'content-type': 'application/vnd.api+json' } })).status, 204);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: secret })).status, 401);
    assert.equal((await server.api('DELETE', path(org.name), { token: owner.token })).status, 404);
    assert.equal((await server.api('GET', path(org.name), { token: owner.token })).status, 404);
  });

  it('expired organization tokens are refused with 401', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const created = await server.api('POST', path(org.name), { token: owner.token });
    await server.database.db
      .updateTable('tokens')
      .set({ expired_at: new Date(Date.now() - 1000) })
      .where('id', '=', created.body.data.id)
      .execute();
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: created.body.data.attributes.token })).status, 401);
  });

  it('hides the endpoint from members who are not owners, from other organizations and from strangers', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const other = await createOrg(server, owner.token);
    const otherToken = (await server.api('POST', path(other.name), { token: owner.token })).body.data.attributes.token;
    const member = await server.createUser();
    await server.database.db
      .insertInto('organization_memberships')
      .values({ id: newId('ou'), organization_id: org.externalId, user_id: member.id, status: 'active' })
      .execute();
    const stranger = await server.createUser();
    for (const token of [member.token, stranger.token, otherToken]) {
      for (const method of ['POST', 'GET', 'DELETE']) {
        assert.equal((await server.api(method, path(org.name), { token })).status, 404, `${method} must be hidden`);
      }
    }
    assert.equal((await server.api('POST', path('no-such-org'), { token: owner.token })).status, 404);
    assert.equal((await server.api('POST', path(org.name), { token: 'bogus' })).status, 401);
  });

  it('refuses bad input: malformed JSON, wrong type, bad or past expiry', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    assert.equal((await server.api('POST', path(org.name), { token: owner.token, body: '{"data":' })).status, 400);
    assert.equal((await server.api('POST', path(org.name), { token: owner.token, body: { data: { type: 'users', attributes: {} } } })).status, 400);
    for (const expiry of ['tomorrow', 42, '2001-01-01T00:00:00Z']) {
      const res = await server.api('POST', path(org.name), {
        token: owner.token,
        body: { data: { type: 'authentication-token', attributes: { 'expired-at': expiry } } },
      });
      assert.equal(res.status, 422, `${expiry}: ${res.text}`);
      assert.equal(res.body.errors[0].source.pointer, '/data/attributes/expired-at');
    }
    assert.equal((await server.api('GET', path(org.name), { token: owner.token })).status, 404, 'nothing was written');
  });

  it('accepts the untyped body go-tfe sends, and refuses the audit trails token it does not have', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const created = await server.api('POST', path(org.name), {
      token: owner.token,
      body: { data: { type: '', attributes: { 'expired-at': '2099-01-01T00:00:00Z' } } },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.data.attributes['expired-at'], '2099-01-01T00:00:00.000Z');
    // Ignoring ?token=audit-trails would replace or delete the organization token.
    for (const method of ['POST', 'GET', 'DELETE']) {
      assert.equal((await server.api(method, `${path(org.name)}?token=audit-trails`, { token: owner.token })).status, 404, method);
    }
    assert.equal((await server.api('DELETE', `${path(org.name)}?token=other`, { token: owner.token })).status, 422);
    const shown = await server.api('GET', path(org.name), { token: owner.token });
    assert.equal(shown.body.data.id, created.body.data.id, 'the organization token is untouched');
  });
});
