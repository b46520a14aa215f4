import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { assertStatus, TeamWorld } from './testing.js';

const users = (...ids: string[]) => ({ data: ids.map((id) => ({ type: 'users', id })) });
const memberships = (...ids: string[]) => ({ data: ids.map((id) => ({ type: 'organization-memberships', id })) });

forEachDatabase('team members', (server) => {
  const w = new TeamWorld(server);
  before(() => w.setUp());

  const userIdsOf = async (teamId: string) => (await w.api('GET', `/teams/${teamId}`, w.ownerToken)).body.data.relationships.users.data.map((u: any) => u.id);

  it('adds and removes members by username and by organization membership id (204)', async () => {
    const team = await w.createTeam({ visibility: 'organization' });
    const [alice, bob] = [await w.member(), await w.member()];
    assertStatus(await w.api('POST', `/teams/${team.id}/relationships/users`, w.ownerToken, users(alice.username)), 204);
    assertStatus(await w.api('POST', `/teams/${team.id}/relationships/organization-memberships`, w.ownerToken, memberships(bob.membershipId)), 204);
    assert.deepEqual((await userIdsOf(team.id)).sort(), [alice.id, bob.id].sort());
    assert.equal((await w.api('GET', `/teams/${team.id}`, w.ownerToken)).body.data.attributes['users-count'], 2);
    assertStatus(await w.api('DELETE', `/teams/${team.id}/relationships/users`, w.ownerToken, users(alice.username)), 204);
    assertStatus(await w.api('DELETE', `/teams/${team.id}/relationships/organization-memberships`, w.ownerToken, memberships(bob.membershipId)), 204);
    assert.deepEqual(await userIdsOf(team.id), []);
  });

  it('needs an accepted invitation to add by username; an invitation is enough by membership id, and grants nothing yet', async () => {
    const team = await w.createTeam({ visibility: 'organization', 'organization-access': { 'read-workspaces': true } });
    const invitee = await server.createUser();
    const invited = await w.api('POST', `/organizations/${w.org}/organization-memberships`, w.ownerToken, {
      data: { type: 'organization-memberships', attributes: { email: `${invitee.username}@example.com` } },
    });
    assertStatus(invited, 201);
    const byName = await w.api('POST', `/teams/${team.id}/relationships/users`, w.ownerToken, users(invitee.username));
    assertStatus(byName, 400);
    assert.equal(byName.body.errors[0].source.pointer, '/data/0/id');
    assertStatus(await w.api('POST', `/teams/${team.id}/relationships/organization-memberships`, w.ownerToken, memberships(invited.body.data.id)), 204);
    assert.deepEqual(await userIdsOf(team.id), [], 'invited users are not shown as members');
    assertStatus(await w.api('GET', `/organizations/${w.org}/workspaces`, invitee.token), 404);
  });

  it('refuses unknown users, strangers, duplicates and non-members with 400 naming the item, and changes nothing', async () => {
    const team = await w.createTeam({ visibility: 'organization' });
    const alice = await w.member([team.id]);
    const outsider = await server.createUser();
    const cases: [string, 'users' | 'organization-memberships', string][] = [
      ['POST', 'users', alice.username],
      ['POST', 'users', 'no-such-user'],
      ['POST', 'users', outsider.username],
      ['POST', 'organization-memberships', 'ou-unknown'],
      ['DELETE', 'users', w.ownerId],
    ];
    for (const [method, type, id] of cases) {
      const res = await w.api(method, `/teams/${team.id}/relationships/${type}`, w.ownerToken, { data: [{ type, id }] });
      assertStatus(res, 400, `${method} ${type} ${id}`);
      assert.equal(res.body.errors[0].source.pointer, '/data/0/id');
    }
    assertStatus(await w.api('POST', `/teams/${team.id}/relationships/users`, w.ownerToken, memberships(alice.membershipId)), 400, 'wrong type');
    assertStatus(await w.api('POST', `/teams/${team.id}/relationships/users`, w.ownerToken, users()), 400, 'empty');
    assertStatus(await w.api('POST', '/teams/team-unknown/relationships/users', w.ownerToken, users(alice.username)), 404);
    assert.deepEqual(await userIdsOf(team.id), [alice.id]);
  });

  it('keeps at least one owner: removing the last one is a 403', async () => {
    const res = await w.api('DELETE', `/teams/${w.ownersTeamId}/relationships/users`, w.orgToken, users(w.ownerId));
    assertStatus(res, 403);
    assert.deepEqual(await userIdsOf(w.ownersTeamId), [w.ownerId]);
    const second = await w.member([w.ownersTeamId]);
    assertStatus(await w.api('DELETE', `/teams/${w.ownersTeamId}/relationships/users`, w.ownerToken, users(second.username)), 204);
  });

  it('lets manage membership change visible teams and the secret teams its holders are in, never the owners team', async () => {
    const managers = await w.createTeam({ 'organization-access': { 'manage-membership': true } });
    const manager = await w.member([managers.id]);
    const visible = await w.createTeam({ visibility: 'organization' });
    const secret = await w.createTeam();
    const someone = await w.member();
    assertStatus(await w.api('POST', `/teams/${visible.id}/relationships/users`, manager.token, users(someone.username)), 204);
    assertStatus(await w.api('POST', `/teams/${managers.id}/relationships/users`, manager.token, users(someone.username)), 204, 'its own secret team');
    assertStatus(await w.api('POST', `/teams/${secret.id}/relationships/users`, manager.token, users(someone.username)), 404);
    assertStatus(await w.api('POST', `/teams/${w.ownersTeamId}/relationships/users`, manager.token, users(manager.username)), 404);
    const plain = await w.member();
    assertStatus(await w.api('POST', `/teams/${visible.id}/relationships/users`, plain.token, users(plain.username)), 404);
    assertStatus(await w.api('POST', `/teams/${visible.id}/relationships/users`, w.strangerToken, users(plain.username)), 404);
    assertStatus(await w.api('POST', `/teams/${visible.id}/relationships/users`, 'not-a-token', users(plain.username)), 401);
  });
});

forEachDatabase('a team’s organization memberships', (server) => {
  const w = new TeamWorld(server);
  before(() => w.setUp());

  it('lists the memberships of a team’s members, invited or active, filtered, sorted and paged', async () => {
    const team = await w.createTeam({ visibility: 'organization' });
    const alice = await w.member([team.id]);
    await w.member(); // not in the team
    const invitee = await server.createUser();
    const invited = await w.api('POST', `/organizations/${w.org}/organization-memberships`, w.ownerToken, {
      data: {
        type: 'organization-memberships',
        attributes: { email: `${invitee.username}@example.com` },
        relationships: { teams: { data: [{ type: 'teams', id: team.id }] } },
      },
    });
    assertStatus(invited, 201);
    const path = `/teams/${team.id}/relationships/organization-memberships`;
    const ids = async (query = '') => {
      const res = await w.api('GET', `${path}${query}`, w.ownerToken);
      assertStatus(res, 200);
      return res.body.data.map((m: any) => `${m.id}:${m.attributes.status}`);
    };
    assert.deepEqual(await ids(), [`${alice.membershipId}:active`, `${invited.body.data.id}:invited`]);
    assert.deepEqual(await ids('?filter%5Bstatus%5D=invited'), [`${invited.body.data.id}:invited`]);
    assert.deepEqual(await ids('?filter%5Bstatus%5D=inactive'), []);
    assert.deepEqual(await ids('?sort=-status'), [`${invited.body.data.id}:invited`, `${alice.membershipId}:active`]);
    assert.deepEqual(await ids('?filter%5Bis_service_account%5D=true'), []);
    const paged = await w.api('GET', `${path}?page%5Bsize%5D=1&page%5Bnumber%5D=2`, w.ownerToken);
    assert.deepEqual(
      paged.body.data.map((m: any) => m.id),
      [invited.body.data.id],
    );
    assert.equal(paged.body.meta.pagination['total-count'], 2);
    assertStatus(await w.api('GET', `${path}?sort=name`, w.ownerToken), 422);
    assertStatus(await w.api('GET', `${path}?filter%5Bstatus%5D=gone`, w.ownerToken), 422);
    assertStatus(await w.api('GET', path, w.strangerToken), 404);
    assertStatus(await w.api('GET', path, alice.token), 404);
    assertStatus(await w.api('GET', '/teams/team-unknown/relationships/organization-memberships', w.ownerToken), 404);
  });
});
