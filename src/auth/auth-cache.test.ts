import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { OrganizationWorld } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { authCache } from './cache.js';

it('keeps a lookup until cleared, and never a failed one', async () => {
  authCache.clear();
  let loads = 0;
  const load = async () => ++loads;
  assert.equal(await authCache.get('k', load), 1);
  assert.equal(await authCache.get('k', load), 1, 'cached');
  authCache.clear();
  assert.equal(await authCache.get('k', load), 2, 'loaded again after a clear');
  await assert.rejects(authCache.get('bad', async () => Promise.reject(new Error('down'))));
  assert.equal(await authCache.get('bad', async () => 'up'), 'up', 'a failure is not kept');
});

/**
 * Authentication and permissions are cached across requests (src/auth/cache.ts): a change made
 * elsewhere (another replica, a `terrace` command; here the database directly) and a change through
 * this server's API are both seen by the very next request.
 */
forEachDatabase('auth cache', (server) => {
  const world = new OrganizationWorld(server);
  let workspaceId = '';
  before(async () => {
    await world.setUp();
    workspaceId = await world.insertWorkspace();
  });

  it('sees a token deleted or expired in the database at once', async () => {
    const token = world.orgToken;
    assert.equal((await world.api('GET', `/workspaces/${workspaceId}`, token)).status, 200);
    assert.equal((await world.api('GET', `/workspaces/${workspaceId}`, token)).status, 200);
    await server.database.db.deleteFrom('tokens').where('organization_id', '=', world.orgId).where('kind', '=', 'organization').execute();
    assert.equal((await world.api('GET', `/workspaces/${workspaceId}`, token)).status, 401);

    const userToken = await world.insertToken({ kind: 'user', userId: world.ownerId });
    assert.equal((await world.api('GET', '/account/details', userToken)).status, 200);
    await server.database.db
      .updateTable('tokens')
      .set({ expired_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', world.ownerId)
      .execute();
    assert.equal((await world.api('GET', '/account/details', userToken)).status, 401);
  });

  it('sees a membership removed in the database at once', async () => {
    assert.equal((await world.api('GET', `/organizations/${world.org}`, world.memberToken)).status, 200);
    assert.equal((await world.api('GET', `/organizations/${world.org}`, world.memberToken)).status, 200);
    await server.database.db.deleteFrom('organization_memberships').where('organization_id', '=', world.orgId).where('user_id', '!=', world.ownerId).execute();
    assert.equal((await world.api('GET', `/organizations/${world.org}`, world.memberToken)).status, 404);
  });

  it('sees a token revoked through the API at once', async () => {
    const created = await world.api('POST', `/users/${world.ownerId}/authentication-tokens`, await freshOwnerToken(), {
      data: { type: 'authentication-tokens', attributes: { description: 'short-lived' } },
    });
    assert.equal(created.status, 201, created.text);
    const secret = created.body.data.attributes.token;
    assert.equal((await world.api('GET', '/account/details', secret)).status, 200);
    const owner = await freshOwnerToken();
    assert.equal((await world.api('DELETE', `/authentication-tokens/${created.body.data.id}`, owner)).status, 204);
    assert.equal((await world.api('GET', '/account/details', secret)).status, 401);
  });

  async function freshOwnerToken(): Promise<string> {
    return world.insertToken({ kind: 'user', userId: world.ownerId });
  }
});
