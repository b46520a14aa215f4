import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { WorkspaceWorld } from '../workspaces/testing.js';

/** Policy set parameters (issue 18, policy-set-params.mdx); that they reach a policy is proven by test/cli/policies.test.ts. */

const SECRET = 'p0licy-param-s3cret';
const paramBody = (attributes: Record<string, unknown>) => ({ data: { type: 'vars', attributes } });

forEachDatabase('policy set parameters', (server) => {
  const world = new WorkspaceWorld(server);
  let setId = '';
  before(async () => {
    await world.setUp();
    const set = await world.api('POST', `/organizations/${world.org}/policy-sets`, world.ownerToken, {
      data: { type: 'policy-sets', attributes: { name: unique('params'), kind: 'opa' } },
    });
    assert.equal(set.status, 201, set.text);
    setId = set.body.data.id;
  });

  it('creates, lists, updates and deletes parameters; a sensitive value is write-only and sealed at rest', async () => {
    const base = `/policy-sets/${setId}/parameters`;
    const plain = await world.api('POST', base, world.ownerToken, paramBody({ key: 'region', value: 'eu', category: 'policy-set' }));
    assert.equal(plain.status, 201, plain.text);
    assert.deepEqual(plain.body.data.attributes, { key: 'region', value: 'eu', sensitive: false, category: 'policy-set' });
    assert.deepEqual(plain.body.data.relationships.configurable.data, { type: 'policy-sets', id: setId });
    const secret = await world.api('POST', base, world.ownerToken, paramBody({ key: 'token', value: SECRET, category: 'policy-set', sensitive: true }));
    assert.equal(secret.status, 201, secret.text);
    assert.equal(secret.body.data.attributes.value, null);
    const row = await server.database.db.selectFrom('policy_set_parameters').selectAll().where('id', '=', secret.body.data.id).executeTakeFirstOrThrow();
    assert.equal(row.value, null);
    assert.ok(row.sealed_value && !row.sealed_value.includes(SECRET), 'sealed at rest');

    const listed = await world.api('GET', base, world.ownerToken);
    assert.deepEqual(
      listed.body.data.map((p: { attributes: { key: string; value: string | null } }) => [p.attributes.key, p.attributes.value]),
      [
        ['region', 'eu'],
        ['token', null],
      ],
    );
    assert.equal(listed.body.meta.pagination['total-count'], 2);

    const renamed = await world.api('PATCH', `${base}/${plain.body.data.id}`, world.ownerToken, paramBody({ key: 'zone', value: 'eu-west' }));
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body.data.attributes, { key: 'zone', value: 'eu-west', sensitive: false, category: 'policy-set' });
    // A sensitive parameter keeps its sealed value when the update leaves the value out, and stays sensitive.
    assert.equal((await world.api('PATCH', `${base}/${secret.body.data.id}`, world.ownerToken, paramBody({ key: 'api_token' }))).status, 200);
    const kept = await server.database.db.selectFrom('policy_set_parameters').selectAll().where('id', '=', secret.body.data.id).executeTakeFirstOrThrow();
    assert.equal(kept.sealed_value, row.sealed_value);
    assertInvalid(await world.api('PATCH', `${base}/${secret.body.data.id}`, world.ownerToken, paramBody({ sensitive: false })), '/data/attributes/sensitive');

    assert.equal((await world.api('DELETE', `${base}/${plain.body.data.id}`, world.ownerToken)).status, 204);
    assertError(await world.api('DELETE', `${base}/${plain.body.data.id}`, world.ownerToken), 404);
  });

  it('refuses a missing or bad key or category and a duplicate key; needs Manage Policies', async () => {
    const base = `/policy-sets/${setId}/parameters`;
    assertInvalid(await world.api('POST', base, world.ownerToken, paramBody({ value: 'v', category: 'policy-set' })), '/data/attributes/key');
    assertInvalid(await world.api('POST', base, world.ownerToken, paramBody({ key: 'a-b', category: 'policy-set' })), '/data/attributes/key');
    assertInvalid(await world.api('POST', base, world.ownerToken, paramBody({ key: 'k' })), '/data/attributes/category');
    assertInvalid(await world.api('POST', base, world.ownerToken, paramBody({ key: 'k', category: 'terraform' })), '/data/attributes/category');
    assert.equal((await world.api('POST', base, world.ownerToken, paramBody({ key: 'dup', category: 'policy-set' }))).status, 201);
    assertInvalid(await world.api('POST', base, world.ownerToken, paramBody({ key: 'dup', category: 'policy-set' })), '/data/attributes/key', /taken/);
    assertError(await world.api('POST', base, world.ownerToken, { data: { type: 'policy-sets', attributes: {} } }), 400);
    assertError(await world.api('GET', base, world.memberToken), 404);
    assertError(await world.api('POST', base, world.strangerToken, paramBody({ key: 'x', category: 'policy-set' })), 404);
    assert.equal((await world.api('GET', base, world.orgToken)).status, 200);
  });
});
