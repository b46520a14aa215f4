import assert from 'node:assert/strict';
import { it } from 'node:test';
import { onePage } from '../../test/fixtures.js';
import { forEachDatabase, type TestServer } from '../../test/harness.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { newId, randomBase58 } from '../ids.js';

function orgBody(attributes: Record<string, unknown>, type = 'organizations') {
  return { data: { type, attributes } };
}

function uniqueName(prefix = 'org'): string {
  return `${prefix}-${randomBase58(8).toLowerCase()}`;
}

async function createOrg(server: TestServer, token: string, name = uniqueName(), extra: Record<string, unknown> = {}) {
  const res = await server.api('POST', '/api/v2/organizations', { token, body: orgBody({ name, email: `${name}@example.com`, ...extra }) });
  assert.equal(res.status, 201, res.text);
  return res.body.data;
}

/** Adds `userId` to the organization as an active member outside the owners team. */
async function addMember(server: TestServer, organizationId: string, userId: string): Promise<void> {
  await server.database.db
    .insertInto('organization_memberships')
    .values({ id: newId('ou'), organization_id: organizationId, user_id: userId, status: 'active' })
    .execute();
}

async function organizationToken(server: TestServer, organizationId: string): Promise<string> {
  const { secret, hash } = generateToken();
  await tokenStore.insert(server.database.db, { id: newId('at'), kind: 'organization', hash, organizationId });
  return secret;
}

/** A token of a new team (not the owners team) of the organization. */
async function teamToken(server: TestServer, organizationId: string): Promise<string> {
  const teamId = newId('team');
  await server.database.db
    .insertInto('teams')
    .values({ id: teamId, organization_id: organizationId, name: uniqueName('team') })
    .execute();
  const { secret, hash } = generateToken();
  await tokenStore.insert(server.database.db, { id: newId('at'), kind: 'team', hash, teamId });
  return secret;
}

function assertInvalid(res: { status: number; body: any }, pointer: string): void {
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.equal(res.body.errors[0].status, '422');
  assert.equal(res.body.errors[0].source.pointer, pointer);
}

forEachDatabase('organizations', (server) => {
  it('creates an organization with the documented defaults, makes the creator an owner and includes the entitlement set', async () => {
    const alice = await server.createUser();
    const name = uniqueName();
    const res = await server.api('POST', '/api/v2/organizations', { token: alice.token, body: orgBody({ name, email: 'ops@example.com' }) });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    const org = res.body.data;
    assert.equal(org.type, 'organizations');
    assert.equal(org.id, name);
    assert.match(org.attributes['external-id'], /^org-[1-9A-Za-z]{16}$/);
    assert.match(org.attributes['created-at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      { ...org.attributes, 'external-id': undefined, 'created-at': undefined, permissions: undefined },
      {
        name,
        'external-id': undefined,
        'created-at': undefined,
        email: 'ops@example.com',
        'session-timeout': null,
        'session-remember': null,
        'collaborator-auth-policy': 'password',
        'plan-expired': false,
        'plan-expires-at': null,
        'plan-is-trial': false,
        'plan-is-enterprise': false,
        'cost-estimation-enabled': false,
        'send-passing-statuses-for-untriggered-speculative-plans': false,
        'aggregated-commit-status-enabled': true,
        'speculative-plan-management-enabled': true,
        'allow-force-delete-workspaces': false,
        permissions: undefined,
        'fair-run-queuing-enabled': false,
        'saml-enabled': false,
        'owners-team-saml-role-id': null,
        'two-factor-conformant': false,
        'assessments-enforced': false,
        'default-execution-mode': 'remote',
        'user-tokens-enabled': true,
        'is-in-degraded-mode': false,
      },
    );
    const permissions = org.attributes.permissions;
    assert.equal(permissions['can-update'], true);
    assert.equal(permissions['can-destroy'], true);
    assert.equal(permissions['can-update-api-token'], true);
    assert.equal(permissions['can-manage-subscription'], false);
    assert.equal(permissions['can-create-workspace'], true);
    assert.equal(permissions['can-create-project'], true);
    assert.equal(permissions['can-read-varsets'], true);
    assert.equal(permissions['can-manage-tags'], true);
    assert.deepEqual(org.relationships['entitlement-set'], {
      data: { id: org.attributes['external-id'], type: 'entitlement-sets' },
      links: { related: `/api/v2/organizations/${name}/entitlement-set` },
    });
    assert.deepEqual(org.relationships['default-agent-pool'], { data: null });
    assert.equal(org.relationships['default-project'].data.type, 'projects');
    const withProject = await server.api('GET', `/api/v2/organizations/${name}?include=default-project`, { token: alice.token });
    assert.equal(withProject.status, 200);
    assert.deepEqual(
      withProject.body.included.filter((r: any) => r.type === 'projects').map((r: any) => [r.id, r.attributes.name]),
      [[org.relationships['default-project'].data.id, 'Default Project']],
    );
    assert.equal(org.relationships['authentication-token'].links.related, `/api/v2/organizations/${name}/authentication-token`);
    assert.deepEqual(org.links, { self: `/api/v2/organizations/${name}` });
    assert.equal(res.body.included.length, 1);
    assert.equal(res.body.included[0].type, 'entitlement-sets');
    assert.equal(res.body.included[0].id, org.attributes['external-id']);

    const rows = await server.database.db
      .selectFrom('team_memberships')
      .innerJoin('teams', 'teams.id', 'team_memberships.team_id')
      .select(['teams.name', 'teams.is_owners'])
      .where('team_memberships.user_id', '=', alice.id)
      .where('teams.organization_id', '=', org.attributes['external-id'])
      .execute();
    assert.deepEqual(rows, [{ name: 'owners', is_owners: true }]);
  });

  it('stores the settings given at creation and shows them', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token, uniqueName(), {
      'session-timeout': 60,
      'session-remember': 120,
      'cost-estimation-enabled': true,
      'aggregated-commit-status-enabled': false,
      'speculative-plan-management-enabled': false,
      'owners-team-saml-role-id': 'admins',
      'assessments-enforced': true,
      'allow-force-delete-workspaces': true,
      'default-execution-mode': 'local',
      'enforce-hyok': false,
      'external-id': 'org-ignored',
    });
    const res = await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token });
    assert.equal(res.status, 200);
    const a = res.body.data.attributes;
    assert.equal(a['external-id'], org.attributes['external-id']);
    assert.deepEqual(
      [
        a['session-timeout'],
        a['session-remember'],
        a['cost-estimation-enabled'],
        a['aggregated-commit-status-enabled'],
        a['speculative-plan-management-enabled'],
      ],
      [60, 120, true, false, false],
    );
    assert.deepEqual(
      [a['owners-team-saml-role-id'], a['assessments-enforced'], a['allow-force-delete-workspaces'], a['default-execution-mode']],
      ['admins', true, true, 'local'],
    );
    const stored = await server.database.db.selectFrom('organizations').select('settings').where('name', '=', org.id).executeTakeFirstOrThrow();
    assert.equal('enforce-hyok' in stored.settings, false);
    assert.equal('external-id' in stored.settings, false);
  });

  it('refuses invalid names, emails and settings with 422 and a pointer', async () => {
    const alice = await server.createUser();
    const create = (attributes: Record<string, unknown>) => server.api('POST', '/api/v2/organizations', { token: alice.token, body: orgBody(attributes) });
    const email = 'a@example.com';
    for (const name of ['ab', 'has space', 'dot.ted', 'x'.repeat(41), 'slash/name', '']) {
      assertInvalid(await create({ name, email }), '/data/attributes/name');
    }
    assert.equal((await create({ name: 'x'.repeat(40), email })).status, 201);
    assert.equal((await create({ name: 'A_b-3', email })).status, 201);
    assertInvalid(await create({ email }), '/data/attributes/name');
    assertInvalid(await create({ name: 42, email }), '/data/attributes/name');
    assertInvalid(await create({ name: uniqueName() }), '/data/attributes/email');
    assertInvalid(await create({ name: uniqueName(), email: 'not-an-email' }), '/data/attributes/email');
    const name = uniqueName();
    const cases: [Record<string, unknown>, string][] = [
      [{ 'session-timeout': 'long' }, 'session-timeout'],
      [{ 'session-remember': 0 }, 'session-remember'],
      [{ 'session-timeout': 1.5 }, 'session-timeout'],
      [{ 'collaborator-auth-policy': 'magic' }, 'collaborator-auth-policy'],
      [{ 'collaborator-auth-policy': 'two_factor_mandatory' }, 'collaborator-auth-policy'],
      [{ 'cost-estimation-enabled': 'yes' }, 'cost-estimation-enabled'],
      [{ 'assessments-enforced': null }, 'assessments-enforced'],
      [{ 'send-passing-statuses-for-untriggered-speculative-plans': true }, 'send-passing-statuses-for-untriggered-speculative-plans'],
      [{ 'default-execution-mode': 'cloud' }, 'default-execution-mode'],
      [{ 'default-execution-mode': 'agent' }, 'default-agent-pool-id'],
      [{ 'default-execution-mode': 'agent', 'default-agent-pool-id': 'apool-123' }, 'default-agent-pool-id'],
      [{ 'default-agent-pool-id': 'apool-123' }, 'default-agent-pool-id'],
      [{ 'enforce-hyok': true }, 'enforce-hyok'],
      [{ 'user-tokens-enabled': 'no' }, 'user-tokens-enabled'],
      [{ 'owners-team-saml-role-id': 7 }, 'owners-team-saml-role-id'],
    ];
    for (const [attributes, attribute] of cases) {
      const res = await create({ name, email, ...attributes });
      assertInvalid(res, `/data/attributes/${attribute}`);
      assert.match(res.body.errors[0].detail, new RegExp(attribute));
    }
    assert.equal((await server.api('GET', `/api/v2/organizations/${name}`, { token: alice.token })).status, 404, 'nothing was created');
  });

  it('refuses a duplicate name with 422 on create and on rename', async () => {
    const alice = await server.createUser();
    const first = await createOrg(server, alice.token);
    const second = await createOrg(server, alice.token);
    const res = await server.api('POST', '/api/v2/organizations', { token: alice.token, body: orgBody({ name: first.id, email: 'x@example.com' }) });
    assertInvalid(res, '/data/attributes/name');
    assert.match(res.body.errors[0].detail, /already been taken/);
    assertInvalid(
      await server.api('PATCH', `/api/v2/organizations/${second.id}`, { token: alice.token, body: orgBody({ name: first.id }) }),
      '/data/attributes/name',
    );
    const count = await server.database.db
      .selectFrom('organizations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('name', '=', first.id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });

  it('answers 400 for malformed JSON and a wrong or missing data.type', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token);
    const malformed = await server.api('POST', '/api/v2/organizations', { token: alice.token, body: '{"data": {' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.errors[0].status, '400');
    assert.equal((await server.api('PATCH', `/api/v2/organizations/${org.id}`, { token: alice.token, body: '{nope' })).status, 400);
    const wrongType = await server.api('POST', '/api/v2/organizations', {
      token: alice.token,
      body: orgBody({ name: uniqueName(), email: 'a@example.com' }, 'workspaces'),
    });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.errors[0].source.pointer, '/data/type');
    assert.equal(
      (await server.api('PATCH', `/api/v2/organizations/${org.id}`, { token: alice.token, body: orgBody({ email: 'b@example.com' }, 'organization') })).status,
      400,
    );
    assert.equal((await server.api('POST', '/api/v2/organizations', { token: alice.token, body: { data: [] } })).status, 400);
  });

  it('updates settings, keeps the ones not sent, and renames', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token);
    const patch = (name: string, attributes: Record<string, unknown>) =>
      server.api('PATCH', `/api/v2/organizations/${name}`, { token: alice.token, body: orgBody(attributes) });

    let res = await patch(org.id, { email: 'new@example.com', 'session-timeout': 30 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes.email, 'new@example.com');
    assert.equal(res.body.data.attributes['session-timeout'], 30);
    res = await patch(org.id, { 'default-execution-mode': 'local', 'allow-force-delete-workspaces': true });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes['session-timeout'], 30, 'settings not sent keep their values');
    assert.equal(res.body.data.attributes.email, 'new@example.com');
    assert.equal(res.body.data.attributes['default-execution-mode'], 'local');
    res = await patch(org.id, { 'session-timeout': null });
    assert.equal(res.body.data.attributes['session-timeout'], null);
    assertInvalid(await patch(org.id, { 'default-execution-mode': 'agent' }), '/data/attributes/default-agent-pool-id');
    assertInvalid(await patch(org.id, { email: 'nope' }), '/data/attributes/email');
    assertInvalid(await patch(org.id, { name: 'no' }), '/data/attributes/name');

    const renamed = uniqueName('renamed');
    res = await patch(org.id, { name: renamed });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.id, renamed);
    assert.equal(res.body.data.attributes['external-id'], org.attributes['external-id']);
    assert.equal(res.body.data.links.self, `/api/v2/organizations/${renamed}`);
    assert.equal(res.body.data.attributes['default-execution-mode'], 'local');
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token })).status, 404);
    res = await server.api('GET', `/api/v2/organizations/${renamed}`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes.permissions['can-update'], true, 'the creator is still an owner');
  });

  it('deletes an organization and everything in it', async () => {
    const alice = await server.createUser();
    const bob = await server.createUser();
    const org = await createOrg(server, alice.token);
    const orgId = org.attributes['external-id'];
    await addMember(server, orgId, bob.id);
    const orgToken = await organizationToken(server, orgId);

    const res = await server.api('DELETE', `/api/v2/organizations/${org.id}`, { token: alice.token, headers: { 'content-type': 'application/vnd.api+json' } });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token })).status, 404);
    assert.equal((await server.api('DELETE', `/api/v2/organizations/${org.id}`, { token: alice.token })).status, 404);
    const db = server.database.db;
    assert.deepEqual(await db.selectFrom('teams').select('id').where('organization_id', '=', orgId).execute(), []);
    assert.deepEqual(await db.selectFrom('organization_memberships').select('id').where('organization_id', '=', orgId).execute(), []);
    assert.deepEqual(await db.selectFrom('tokens').select('id').where('organization_id', '=', orgId).execute(), []);
    assert.equal((await server.api('GET', '/api/v2/organizations', { token: orgToken })).status, 401, 'the organization token is gone');
  });

  it('hides an organization from a user outside it: 404 on show, update, delete and entitlements', async () => {
    const alice = await server.createUser();
    const mallory = await server.createUser();
    const org = await createOrg(server, alice.token);
    for (const [method, path, body] of [
      ['GET', `/api/v2/organizations/${org.id}`, undefined],
      ['PATCH', `/api/v2/organizations/${org.id}`, orgBody({ email: 'evil@example.com' })],
      ['DELETE', `/api/v2/organizations/${org.id}`, undefined],
      ['GET', `/api/v2/organizations/${org.id}/entitlement-set`, undefined],
      ['GET', `/api/v2/entitlement-sets/${org.attributes['external-id']}`, undefined],
    ] as const) {
      const res = await server.api(method, path, { token: mallory.token, body });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.errors[0].status, '404');
    }
    const after = await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token });
    assert.equal(after.body.data.attributes.email, `${org.id}@example.com`);
  });

  it('lets a member read but not update or delete (404), with permissions saying so', async () => {
    const alice = await server.createUser();
    const bob = await server.createUser();
    const org = await createOrg(server, alice.token);
    await addMember(server, org.attributes['external-id'], bob.id);

    const res = await server.api('GET', `/api/v2/organizations/${org.id}`, { token: bob.token });
    assert.equal(res.status, 200);
    const permissions = res.body.data.attributes.permissions;
    assert.equal(permissions['can-update'], false);
    assert.equal(permissions['can-destroy'], false);
    assert.equal(permissions['can-update-api-token'], false);
    assert.equal(permissions['can-manage-users'], false);
    assert.equal(permissions['can-traverse'], true);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.id}/entitlement-set`, { token: bob.token })).status, 200);
    assert.equal((await server.api('PATCH', `/api/v2/organizations/${org.id}`, { token: bob.token, body: orgBody({ email: 'bob@example.com' }) })).status, 404);
    assert.equal((await server.api('DELETE', `/api/v2/organizations/${org.id}`, { token: bob.token })).status, 404);
    const list = await server.api('GET', '/api/v2/organizations', { token: bob.token });
    assert.deepEqual(
      list.body.data.map((o: any) => o.id),
      [org.id],
    );
    const after = await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token });
    assert.equal(after.body.data.attributes.email, `${org.id}@example.com`);
  });

  it('lets organization and team tokens read their organization but not modify it or create organizations', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token);
    const other = await createOrg(server, alice.token);
    const orgId = org.attributes['external-id'];
    for (const token of [await organizationToken(server, orgId), await teamToken(server, orgId)]) {
      const show = await server.api('GET', `/api/v2/organizations/${org.id}`, { token });
      assert.equal(show.status, 200);
      assert.equal(show.body.data.attributes.permissions['can-update'], false);
      assert.equal(show.body.data.attributes.permissions['can-destroy'], false);
      assert.equal((await server.api('GET', `/api/v2/organizations/${org.id}/entitlement-set`, { token })).status, 200);
      assert.equal((await server.api('GET', `/api/v2/organizations/${other.id}`, { token })).status, 404);
      assert.equal((await server.api('PATCH', `/api/v2/organizations/${org.id}`, { token, body: orgBody({ email: 'bot@example.com' }) })).status, 404);
      assert.equal((await server.api('DELETE', `/api/v2/organizations/${org.id}`, { token })).status, 404);
      const create = await server.api('POST', '/api/v2/organizations', { token, body: orgBody({ name: uniqueName(), email: 'bot@example.com' }) });
      assert.equal(create.status, 404);
      const list = await server.api('GET', '/api/v2/organizations', { token });
      assert.deepEqual(
        list.body.data.map((o: any) => o.id),
        [org.id],
      );
    }
  });

  it('with user-tokens-enabled false, keeps its members’ user tokens out (404) and organization tokens in', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token);
    const orgToken = await organizationToken(server, org.attributes['external-id']);
    const disabled = await server.api('PATCH', `/api/v2/organizations/${org.id}`, { token: alice.token, body: orgBody({ 'user-tokens-enabled': false }) });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(disabled.body.data.attributes['user-tokens-enabled'], false);
    for (const path of [`/api/v2/organizations/${org.id}`, `/api/v2/organizations/${org.id}/workspaces`]) {
      assert.equal((await server.api('GET', path, { token: alice.token })).status, 404, path);
      assert.equal((await server.api('GET', path, { token: orgToken })).status, 200, path);
    }
    // The site admin (an operator) turns it back on; then alice's token works again.
    const enabled = await server.api('PATCH', `/api/v2/organizations/${org.id}`, { token: server.adminToken, body: orgBody({ 'user-tokens-enabled': true }) });
    assert.equal(enabled.status, 200, enabled.text);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token })).status, 200);
  });

  it('lets a site admin see, update and delete any organization', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token);
    let res = await server.api('GET', `/api/v2/organizations/${org.id}`, { token: server.adminToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes.permissions['can-destroy'], true);
    res = await server.api('PATCH', `/api/v2/organizations/${org.id}`, { token: server.adminToken, body: orgBody({ 'assessments-enforced': true }) });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes['assessments-enforced'], true);
    assert.equal((await server.api('DELETE', `/api/v2/organizations/${org.id}`, { token: server.adminToken })).status, 204);
  });

  it('lists only the caller’s organizations, searches with q, q[name] and q[email], and paginates', async () => {
    const carol = await server.createUser();
    const dave = await server.createUser();
    const prefix = `list-${randomBase58(6).toLowerCase()}`;
    const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (const name of names) await createOrg(server, carol.token, name);
    await server.api('PATCH', `/api/v2/organizations/${names[2]}`, { token: carol.token, body: orgBody({ email: 'billing@corp.example' }) });
    const daves = await createOrg(server, dave.token, `${prefix}-d`);

    let res = await server.api('GET', '/api/v2/organizations', { token: carol.token });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((o: any) => o.id),
      names,
    );
    assert.deepEqual(res.body.meta.pagination, onePage(3));

    res = await server.api('GET', '/api/v2/organizations?page%5Bsize%5D=2', { token: carol.token });
    assert.deepEqual(
      res.body.data.map((o: any) => o.id),
      names.slice(0, 2),
    );
    assert.deepEqual(res.body.meta.pagination, { 'current-page': 1, 'page-size': 2, 'prev-page': null, 'next-page': 2, 'total-pages': 2, 'total-count': 3 });
    assert.equal(res.body.links.next, `${server.url}/api/v2/organizations?page%5Bsize%5D=2&page%5Bnumber%5D=2`);
    assert.equal(res.body.links.prev, null);
    res = await server.api('GET', '/api/v2/organizations?page%5Bnumber%5D=2&page%5Bsize%5D=2', { token: carol.token });
    assert.deepEqual(
      res.body.data.map((o: any) => o.id),
      [names[2]],
    );
    assert.equal(res.body.meta.pagination['next-page'], null);
    assert.equal(res.body.meta.pagination['prev-page'], 1);
    assert.equal(res.body.links.next, null);

    res = await server.api('GET', '/api/v2/organizations?page%5Bsize%5D=0', { token: carol.token });
    assert.equal(res.status, 422);
    assert.equal(res.body.errors[0].source.parameter, 'page[size]');

    const ids = async (query: string, token = carol.token) =>
      (await server.api('GET', `/api/v2/organizations?${query}`, { token })).body.data.map((o: any) => o.id);
    assert.deepEqual(await ids(`q=${prefix}-B`), [names[1]], 'q matches the name, case-insensitively');
    assert.deepEqual(await ids('q=billing%40corp'), [names[2]], 'q matches the email');
    assert.deepEqual(await ids(`q%5Bname%5D=${prefix}`), names);
    assert.deepEqual(await ids(`q%5Bname%5D=${prefix}&q%5Bemail%5D=billing`), [names[2]]);
    assert.deepEqual(await ids(`q=${prefix}-a&q%5Bname%5D=${prefix}-b`), [names[0]], 'q takes precedence');
    assert.deepEqual(await ids('q=%25'), [], 'LIKE wildcards are literal');
    assert.deepEqual(await ids(`q=${prefix}`, server.adminToken), [...names, daves.id], 'a site admin sees every organization');

    res = await server.api('GET', `/api/v2/organizations?q=${prefix}-a&include=entitlement_set`, { token: carol.token });
    assert.equal(res.body.included.length, 1);
    assert.equal(res.body.included[0].type, 'entitlement-sets');
    res = await server.api('GET', '/api/v2/organizations?include=secrets', { token: carol.token });
    assert.equal(res.status, 400);
    assert.match(res.body.errors[0].detail, /Invalid include parameter/);
  });

  it('shows the entitlement set the CLI reads, by organization name and by id', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token);
    const res = await server.api('GET', `/api/v2/organizations/${org.id}/entitlement-set`, { token: alice.token });
    assert.equal(res.status, 200);
    const set = res.body.data;
    assert.equal(set.type, 'entitlement-sets');
    assert.equal(set.id, org.attributes['external-id']);
    assert.equal(set.attributes.operations, true);
    assert.equal(set.attributes['state-storage'], true);
    for (const name of ['sentinel', 'cost-estimation', 'agents', 'sso', 'vcs-integrations']) {
      assert.equal(set.attributes[name], false, name);
    }
    // Teams, the private registry (issue 20) and OPA policies (issue 18) are there.
    for (const name of ['teams', 'private-module-registry', 'policy-enforcement']) assert.equal(set.attributes[name], true, name);
    // Run tasks, global ones too, are called by runs (issue 17).
    assert.equal(set.attributes['run-tasks'], true);
    assert.equal(set.attributes['global-run-tasks'], true);
    assert.equal(set.attributes['user-limit'], null);
    assert.equal(set.links.self, `/api/v2/entitlement-sets/${set.id}`);
    const byId = await server.api('GET', set.links.self, { token: alice.token });
    assert.equal(byId.status, 200);
    assert.deepEqual(byId.body, res.body);

    const shown = await server.api('GET', `/api/v2/organizations/${org.id}?include=entitlement_set`, { token: alice.token });
    assert.deepEqual(shown.body.included, [set]);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token })).body.included, undefined);
    assert.equal((await server.api('GET', '/api/v2/organizations/no-such-org/entitlement-set', { token: alice.token })).status, 404);
    assert.equal((await server.api('GET', '/api/v2/entitlement-sets/org-nope', { token: alice.token })).status, 404);
  });

  it('answers 401 for a missing, unknown or expired token', async () => {
    const alice = await server.createUser();
    const org = await createOrg(server, alice.token);
    const { secret, hash } = generateToken();
    await tokenStore.insert(server.database.db, { id: newId('at'), kind: 'user', hash, userId: alice.id, expiredAt: new Date(Date.now() - 1000) });
    for (const token of [undefined, 'not-a-token', secret]) {
      for (const [method, path] of [
        ['GET', '/api/v2/organizations'],
        ['GET', `/api/v2/organizations/${org.id}`],
        ['GET', `/api/v2/organizations/${org.id}/entitlement-set`],
        ['POST', '/api/v2/organizations'],
        ['DELETE', `/api/v2/organizations/${org.id}`],
      ] as const) {
        const res = await server.api(method, path, { token, body: method === 'POST' ? orgBody({ name: uniqueName(), email: 'a@example.com' }) : undefined });
        assert.equal(res.status, 401, `${method} ${path} with ${token ? 'a bad' : 'no'} token`);
        assert.equal(res.body.errors[0].status, '401');
      }
    }
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.id}`, { token: alice.token })).status, 200);
  });

  it('answers 404 for an unknown organization', async () => {
    const alice = await server.createUser();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', orgBody({ email: 'a@example.com' })],
      ['DELETE', undefined],
    ] as const) {
      assert.equal((await server.api(method, '/api/v2/organizations/does-not-exist', { token: alice.token, body })).status, 404);
    }
    assert.equal((await server.api('GET', '/api/v2/organizations/does-not-exist', { token: server.adminToken })).status, 404);
  });
});
