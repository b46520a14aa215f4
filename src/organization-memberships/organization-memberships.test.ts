import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase, type TestServer } from '../../test/harness.js';
import { randomBase58 } from '../ids.js';

interface Org {
  name: string;
  id: string;
  ownersTeamId: string;
  developersTeamId: string;
}

/** An organization owned by `ownerToken`'s user, with a visible `developers` team. */
async function createOrg(server: TestServer, ownerToken: string): Promise<Org> {
  const name = `org-${randomBase58(8).toLowerCase()}`;
  const res = await server.api('POST', '/api/v2/organizations', {
    token: ownerToken,
    body: { data: { type: 'organizations', attributes: { name, email: `${name}@example.com` } } },
  });
  assert.equal(res.status, 201, res.text);
  const id = res.body.data.attributes['external-id'];
  const owners = await server.database.db
    .selectFrom('teams')
    .select('id')
    .where('organization_id', '=', id)
    .where('is_owners', '=', true)
    .executeTakeFirstOrThrow();
  const team = await server.api('POST', `/api/v2/organizations/${name}/teams`, {
    token: ownerToken,
    body: { data: { type: 'teams', attributes: { name: 'developers', visibility: 'organization' } } },
  });
  assert.equal(team.status, 200, team.text);
  return { name, id, ownersTeamId: owners.id, developersTeamId: team.body.data.id };
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
    const res = await server.api('POST', membershipsPath(org.name), {
      token: owner.token,
      body: inviteBody(`${bob.username}@EXAMPLE.com`, [org.developersTeamId]),
    });
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
    const res = await server.api('POST', membershipsPath(org.name), {
      token: owner.token,
      body: inviteBody(`${carol.username}@example.com`, [org.ownersTeamId]),
    });
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
    for (const u of users)
      invited.push(
        (await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${u.username}@example.com`, [org.developersTeamId]) }))
          .body.data,
      );
    await activate(server, invited[0].id);

    const all = await server.api('GET', `${membershipsPath(org.name)}?include=user`, { token: owner.token });
    assert.equal(all.status, 200);
    assert.equal(all.body.data.length, 3);
    assert.deepEqual(all.body.meta['status-counts'], { total: 3, active: 2, invited: 1 });
    assert.equal(all.body.meta.pagination['total-count'], 3);
    assert.deepEqual(
      all.body.included.map((u: any) => u.type),
      ['users', 'users', 'users'],
    );

    const byStatus = await server.api('GET', `${membershipsPath(org.name)}?filter%5Bstatus%5D=invited`, { token: owner.token });
    assert.deepEqual(
      byStatus.body.data.map((m: any) => m.id),
      [invited[1].id],
    );
    const byEmail = await server.api(
      'GET',
      `${membershipsPath(org.name)}?filter%5Bemail%5D=${users[0]!.username}@example.com,${users[1]!.username}@example.com`,
      { token: owner.token },
    );
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
    const membership = (
      await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${dave.username}@example.com`, [org.developersTeamId]) })
    ).body.data;
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
    const membership = (
      await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${erin.username}@example.com`, [org.developersTeamId]) })
    ).body.data;
    await activate(server, membership.id);
    assert.equal(
      (await server.api('DELETE', `/api/v2/organization-memberships/${membership.id}`, { token: erin.token })).status,
      404,
      'members cannot manage memberships',
    );
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
    const res = await server.api('POST', membershipsPath(org.name), {
      token: orgToken,
      body: inviteBody(`${frank.username}@example.com`, [org.developersTeamId]),
    });
    assert.equal(res.status, 201, res.text);
    assert.equal((await server.api('GET', membershipsPath(org.name), { token: orgToken })).status, 200);
    assert.equal((await server.api('GET', membershipsPath(other.name), { token: orgToken })).status, 404);
    assert.equal(
      (await server.api('POST', membershipsPath(other.name), { token: orgToken, body: inviteBody(`${frank.username}@example.com`, [other.developersTeamId]) }))
        .status,
      404,
    );
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
      [inviteBody(`nobody-${randomBase58(6)}@example.com`, ['team-nope']), '/data/relationships/teams'],
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
    const standIns = await server.database.db.selectFrom('users').select('id').where('email', 'like', 'nobody-%').execute();
    assert.deepEqual(standIns, [], 'a refused invitation of a fresh email leaves no user behind');
  });

  it('invites an email nobody has yet; the user created with it later holds the invitation', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const username = `fresh${randomBase58(6).toLowerCase()}`;
    const email = `${username}@example.com`;
    const res = await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(email, [org.developersTeamId]) });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual([res.body.data.attributes.status, res.body.data.attributes.email], ['invited', email]);
    const standInId = res.body.data.relationships.user.data.id;
    assert.match(standInId, /^user-/);
    // The same email again is the same invitation.
    assert.equal((await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(email, []) })).status, 422);

    const fresh = await server.createUser({ username, email: email.toUpperCase() });
    assert.equal(fresh.id, standInId, 'the new user takes the invitation over');
    assert.equal(fresh.username, username);
    const mine = await server.api('GET', '/api/v2/organization-memberships', { token: fresh.token });
    assert.deepEqual(
      mine.body.data.map((m: any) => [m.id, m.attributes.status]),
      [[res.body.data.id, 'invited']],
    );
    await activate(server, res.body.data.id);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: fresh.token })).status, 200);
    const team = await server.api('GET', `/api/v2/teams/${org.developersTeamId}?include=users`, { token: owner.token });
    assert.ok(team.body.data.relationships.users.data.some((u: any) => u.id === fresh.id));
  });

  it('invites without teams, shows the email, and includes the teams with the team serializer', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const hank = await server.createUser();
    const bare = await server.api('POST', membershipsPath(org.name), {
      token: owner.token,
      body: { data: { type: 'organization-memberships', attributes: { email: `${hank.username}@example.com` } } },
    });
    assert.equal(bare.status, 201, bare.text);
    assert.deepEqual(bare.body.data.relationships.teams.data, []);
    assert.equal(bare.body.data.attributes.email, `${hank.username}@example.com`);
    assert.deepEqual(
      bare.body.included.map((r: any) => r.id),
      [hank.id],
      'the invited user is included',
    );
    const ivy = await server.createUser();
    const invited = await server.api('POST', membershipsPath(org.name), {
      token: owner.token,
      body: inviteBody(`${ivy.username}@example.com`, [org.developersTeamId]),
    });
    const shown = await server.api('GET', `/api/v2/organization-memberships/${invited.body.data.id}?include=teams`, { token: owner.token });
    assert.equal(shown.status, 200);
    const [team] = shown.body.included;
    assert.equal(team.id, org.developersTeamId);
    assert.equal(team.attributes.name, 'developers');
    assert.equal(team.attributes['users-count'], 0, 'an invitation is not a seat yet');
    assert.equal(team.attributes['organization-access']['manage-workspaces'], false);
    assert.equal(team.attributes.permissions['can-destroy'], true);
  });

  it("shows the member list only to owners and Manage Membership, and hides secret teams from a member's own view", async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const managers = await server.api('POST', `/api/v2/organizations/${org.name}/teams`, {
      token: owner.token,
      body: { data: { type: 'teams', attributes: { name: 'managers', 'organization-access': { 'manage-membership': true } } } },
    });
    const secret = await server.api('POST', `/api/v2/organizations/${org.name}/teams`, {
      token: owner.token,
      body: { data: { type: 'teams', attributes: { name: 'secret' } } },
    });
    const join = async (teamIds: string[]) => {
      const user = await server.createUser();
      const res = await server.api('POST', membershipsPath(org.name), { token: owner.token, body: inviteBody(`${user.username}@example.com`, teamIds) });
      await activate(server, res.body.data.id);
      return { ...user, membershipId: res.body.data.id };
    };
    const plain = await join([org.developersTeamId]);
    const manager = await join([managers.body.data.id]);
    const insider = await join([secret.body.data.id, org.developersTeamId]);
    assert.equal((await server.api('GET', membershipsPath(org.name), { token: plain.token })).status, 404, 'a plain member does not list users');
    const listed = await server.api('GET', membershipsPath(org.name), { token: manager.token });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.meta['status-counts'].active, 4);
    const insiderSeen = listed.body.data.find((m: any) => m.id === insider.membershipId);
    assert.deepEqual(
      insiderSeen.relationships.teams.data.map((t: any) => t.id),
      [org.developersTeamId],
      'a secret team the manager is not in is left out',
    );
    const byOwner = await server.api('GET', `/api/v2/organization-memberships/${insider.membershipId}`, { token: owner.token });
    assert.equal(byOwner.body.data.relationships.teams.data.length, 2);
    // Managers invite into teams they may manage, never into the owners team.
    const newcomer = await server.createUser();
    const intoOwners = await server.api('POST', membershipsPath(org.name), {
      token: manager.token,
      body: inviteBody(`${newcomer.username}@example.com`, [org.ownersTeamId]),
    });
    assert.equal(intoOwners.status, 422, intoOwners.text);
    assert.equal(intoOwners.body.errors[0].source.pointer, '/data/relationships/teams');
    assert.equal(
      (
        await server.api('POST', membershipsPath(org.name), {
          token: manager.token,
          body: inviteBody(`${newcomer.username}@example.com`, [org.developersTeamId]),
        })
      ).status,
      201,
    );
    // They remove members whose teams they see, but not owners nor members of secret teams hidden from them.
    assert.equal((await server.api('DELETE', `/api/v2/organization-memberships/${insider.membershipId}`, { token: manager.token })).status, 404);
    const ownerMembership = (await server.api('GET', '/api/v2/organization-memberships', { token: owner.token })).body.data.find(
      (m: any) => m.relationships.organization.data.id === org.name,
    );
    assert.equal((await server.api('DELETE', `/api/v2/organization-memberships/${ownerMembership.id}`, { token: manager.token })).status, 404);
    assert.equal((await server.api('DELETE', `/api/v2/organization-memberships/${plain.membershipId}`, { token: manager.token })).status, 204);
  });

  it('never removes the last owner (403), even for the organization token', async () => {
    const owner = await server.createUser();
    const org = await createOrg(server, owner.token);
    const orgToken = (await server.api('POST', `/api/v2/organizations/${org.name}/authentication-token`, { token: owner.token })).body.data.attributes.token;
    const ownerMembership = (await server.api('GET', '/api/v2/organization-memberships', { token: owner.token })).body.data.find(
      (m: any) => m.relationships.organization.data.id === org.name,
    );
    const res = await server.api('DELETE', `/api/v2/organization-memberships/${ownerMembership.id}`, { token: orgToken });
    assert.equal(res.status, 403, res.text);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: owner.token })).status, 200);
    const second = await server.createUser();
    const invited = await server.api('POST', membershipsPath(org.name), {
      token: owner.token,
      body: inviteBody(`${second.username}@example.com`, [org.ownersTeamId]),
    });
    await activate(server, invited.body.data.id);
    assert.equal((await server.api('DELETE', `/api/v2/organization-memberships/${ownerMembership.id}`, { token: orgToken })).status, 204);
    assert.equal((await server.api('GET', `/api/v2/organizations/${org.name}`, { token: owner.token })).status, 404);
  });
});
