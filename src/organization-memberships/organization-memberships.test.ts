import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase, type TestServer } from '../../test/harness.js';
import { newId, randomBase58 } from '../ids.js';

interface Org {
  name: string;
  id: string;
  ownersTeamId: string;
  developersTeamId: string;
}

/** An organization owned by `ownerToken`'s user, with a second (non-owners) team inserted directly: the teams API comes later. */
async function createOrg(server: TestServer, ownerToken: string): Promise<Org> {
  const name = `org-${randomBase58(8).toLowerCase()}`;
  const res = await server.api('POST', '/api/v2/organizations', { token: ownerToken, body: { data: { type: 'organizations', attributes: { name, email: `${name}@example.com` } } } });
  assert.equal(res.status, 201, res.text);
  const id = res.body.data.attributes['external-id'];
  const owners = await server.database.db.selectFrom('teams').select('id').where('organization_id', '=', id).where('is_owners', '=', true).executeTakeFirstOrThrow();
  const developersTeamId = newId('team');
  await server.database.db.insertInto('teams').values({ id: developersTeamId, organization_id: id, name: 'developers' }).execute();
  return { name, id, ownersTeamId: owners.id, developersTeamId };
}

function inviteBody(email: string, teamIds: string[]) {
  return {
    data: {
      type: 'organization-memberships',
      attributes: { email },
      relationships: { teams: { data: teamIds.map((id) => ({ type: 'teams', id })) } },
    },
  };
}

const membershipsPath = (org: string) => `/api/v2/organizations/${org}/organization-memberships`;

/** Accepting an invitation has no API (it is a web flow); tests activate it directly. */
async function activate(server: TestServer, membershipId: string): Promise<void> {
  await server.database.db.updateTable('organization_memberships').set({ status: 'active' }).where('id', '=', membershipId).execute();
}

forEachDatabase('organization memberships', (server) => {
  it('invites an existing user by email into teams; the invitation grants nothing until active', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const bob = await server.createUser();
    const res = await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${bob.username}@EXAMPLE.com`, [org.developersTeamId]) });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.data.type, 'organization-memberships');
    assert.equal(res.body.data.attributes.status, 'invited');
    assert.deepEqual(res.body.data.relationships.user.data, { id: bob.id, type: 'users' });
    assert.deepEqual(res.body.data.relationships.teams.data, [{ id: org.developersTeamId, type: 'teams' }]);
    assert.deepEqual(res.body.data.relationships.organization.data, { id: org.name, type: 'organizations' });

    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: bob.token })).status, 404, 'invited is not yet a member');
    const mine = await server.api('GET', '/api/v2/organization-memberships', { token: bob.token });
    assert.deepEqual(
      mine.body.data.map((m: any) => [m.id, m.attributes.status]),
      [[res.body.data.id, 'invited']],
    );
    await activate(server, res.body.data.id);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: bob.token })).status, 200);
  });

  it('does not make an invited user an owner before the invitation is accepted', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const carol = await server.createUser();
    const res = await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${carol.username}@example.com`, [org.ownersTeamId]) });
    assert.equal(res.status, 201);
    const patch = { data: { type: 'organizations', attributes: { email: 'x@example.com' } } };
    assert.equal((await server.api('PATCH', `/api/v2/organizations/${org.name}`, { token: carol.token, body: patch })).status, 404);
    await activate(server, res.body.data.id);
    assert.equal((await server.api('PATCH', `/api/v2/organizations/${org.name}`, { token: carol.token, body: patch })).status, 200);
  });

  it('lists with q, filter[email], filter[status], include=user, status counts and pagination', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const users = [await server.createUser(), await server.createUser()];
    const invited = [];
    for (const u of users) invited.push((await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${u.username}@example.com`, [org.developersTeamId]) })).body.data);
    await activate(server, invited[0].id);

    const all = await server.api('GET', `${membershipsPath(org.name)}?include=user`, { token: owner.token });
    assert.equal(all.status, 200);
    assert.equal(all.body.data.length, 3);
    assert.deepEqual(all.body.meta['status-counts'], { total: 3, active: 2, invited: 1 });
    assert.equal(all.body.meta.pagination['total-count'], 3);
    assert.deepEqual(all.body.included.map((u: any) => u.type), ['users', 'users', 'users']);

    const byStatus = await server.api('GET', `${membershipsPath(org.name)}?filter%5Bstatus%5D=invited`, { token: owner.token });
    assert.deepEqual(
      byStatus.body.data.map((m: any) => m.id),
      [invited[1].id],
    );
    const byEmail = await server.api('GET', `${membershipsPath(org.name)}?filter%5Bemail%5D=${users[0]!.username}@example.com,${users[1]!.username}@example.com`, { token: owner.token });
    assert.equal(byEmail.body.data.length, 2);
    const byQuery = await server.api('GET', `${membershipsPath(org.name)}?q=${users[1]!.username.slice(2)}`, { token: owner.token });
    assert.deepEqual(
      byQuery.body.data.map((m: any) => m.relationships.user.data.id),
      [users[1]!.id],
    );
    const paged = await server.api('GET', `${membershipsPath(org.name)}?page%5Bsize%5D=2&page%5Bnumber%5D=2`, { token: owner.token });
    assert.equal(paged.body.data.length, 1);
    assert.equal(paged.body.meta.pagination['prev-page'], 1);

    assert.equal((await server.api('GET', `${membershipsPath(org.name)}?filter%5Bstatus%5D=gone`, { token: owner.token })).status, 422);
    assert.equal((await server.api('GET', `${membershipsPath(org.name)}?include=secrets`, { token: owner.token })).status, 400);
    assert.equal((await server.api('GET', `${membershipsPath(org.name)}?page%5Bsize%5D=500`, { token: owner.token })).status, 422);
  });

  it('shows a membership to its user and to readers of the organization, and hides it from others', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const dave = await server.createUser();
    const membership = (await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${dave.username}@example.com`, [org.developersTeamId]) })).body.data;
    const path = `/api/v2/organization-memberships/${membership.id}`;
    assert.equal((await server.api('GET', path, { token: owner.token })).status, 200);
    const own = await server.api('GET', `${path}?include=user`, { token: dave.token });
    assert.equal(own.status, 200);
    assert.equal(own.body.included[0].id, dave.id);
    const stranger = await server.createUser();
    assert.equal((await server.api('GET', path, { token: stranger.token })).status, 404);
    assert.equal((await server.api('GET', '/api/v2/organization-memberships/ou-nope', { token: owner.token })).status, 404);
    assert.equal((await server.api('GET', path, { token: 'bogus' })).status, 401);
  });

  it('removes a user from the organization and its teams; owners cannot remove themselves', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const erin = await server.createUser();
    const membership = (await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${erin.username}@example.com`, [org.developersTeamId]) })).body.data;
    await activate(server, membership.id);
    assert.equal((await server.api('DELETE', `/api/v2/organization-memberships/${membership.id}`, { token: erin.token })).status, 404, 'members cannot manage memberships');
    assert.equal((await server.api('DELETE', `/api/v2/organization-memberships/${membership.id}`, { token: owner.token })).status, 204);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: erin.token })).status, 404);
    const seats = await server.database.db.selectFrom('team_memberships').select('team_id').where('user_id', '=', erin.id).execute();
    assert.deepEqual(seats, []);

    const ownMembership = (await server.api('GET', '/api/v2/organization-memberships', { token: owner.token })).body.data.find(
      (m: any) => m.relationships.organization.data.id === org.name,
    );
    const self = await server.api('DELETE', `/api/v2/organization-memberships/${ownMembership.id}`, { token: owner.token });
    assert.equal(self.status, 403);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: owner.token })).status, 200);
  });

  it('lets the organization token invite and list, but not other organizations', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const other = await createOrg(server, owner.token);
    const orgToken = (await server.api('POST', `/api/v2/organizations/${org.name}/authentication-token`, { token: owner.token })).body.data.attributes.token;
    const frank = await server.createUser();
    const res = await server.api('POST', membershipsPath(org.name), { token: orgToken, body: inviteBody(`${frank.username}@example.com`, [org.developersTeamId]) });
    assert.equal(res.status, 201, res.text);
    assert.equal((await server.api('GET', membershipsPath(org.name), { token: orgToken })).status, 200);
    assert.equal((await server.api('GET', membershipsPath(other.name), { token: orgToken })).status, 404);
    assert.equal((await server.api('POST', membershipsPath(other.name), { token: orgToken, body: inviteBody(`${frank.username}@example.com`, [other.developersTeamId]) })).status, 404);
  });

  it('refuses bad invitations with 400/404/422 and writes nothing', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const other = await createOrg(server, owner.token);
    const gina = await server.createUser();
    const email = `${gina.username}@example.com`;
    const post = (body: unknown, token = owner.token, orgName = org.name) => server.api('POST', membershipsPath(orgName), { token, body });

    assert.equal((await post('{"data":')).status, 400);
    assert.equal((await post({ data: { type: 'users', attributes: { email } } })).status, 400);
    const cases: Array<[unknown, string]> = [
      [{ data: { type: 'organization-memberships', attributes: {} } }, '/data/attributes/email'],
      [inviteBody('not-an-email', [org.developersTeamId]), '/data/attributes/email'],
      [inviteBody('nobody@example.com', [org.developersTeamId]), '/data/attributes/email'],
      [inviteBody(email, []), '/data/relationships/teams'],
      [{ data: { type: 'organization-memberships', attributes: { email } } }, '/data/relationships/teams'],
      [inviteBody(email, [other.developersTeamId]), '/data/relationships/teams'],
      [inviteBody(email, ['team-nope']), '/data/relationships/teams'],
    ];
    for (const [body, pointer] of cases) {
      const res = await post(body);
      assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.errors[0].source.pointer, pointer);
    }
    const member = await server.createUser();
    const membership = (await post(inviteBody(`${member.username}@example.com`, [org.developersTeamId]))).body.data;
    await activate(server, membership.id);
    assert.equal((await post(inviteBody(email, [org.developersTeamId]), member.token)).status, 404, 'members cannot invite');
    assert.equal((await post(inviteBody(email, [org.developersTeamId]), owner.token, 'no-such-org')).status, 404);
    assert.equal((await post(inviteBody(`${member.username}@example.com`, [org.developersTeamId]))).status, 422, 'already a member');
    const rows = await server.database.db.selectFrom('organization_memberships').select('id').where('user_id', '=', gina.id).execute();
    assert.deepEqual(rows, []);
  });
});
