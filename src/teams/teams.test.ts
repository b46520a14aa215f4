import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { assertStatus, TeamWorld, unique } from './testing.js';

const teamBody = (attributes: Record<string, unknown>) => ({ data: { type: 'teams', attributes } });

const NO_ACCESS = {
  'manage-policies': false,
  'manage-policy-overrides': false,
  'manage-run-tasks': false,
  'manage-workspaces': false,
  'manage-vcs-settings': false,
  'manage-agent-pools': false,
  'manage-providers': false,
  'manage-modules': false,
  'manage-projects': false,
  'read-projects': false,
  'read-workspaces': false,
  'manage-membership': false,
  'manage-teams': false,
  'manage-organization-access': false,
  'access-secret-teams': false,
};

forEachDatabase('teams', (server) => {
  const w = new TeamWorld(server);
  before(() => w.setUp());

  it('creates a team with the documented attributes, relationships and links (200)', async () => {
    const name = unique('creation');
    const res = await w.api(
      'POST',
      `/organizations/${w.org}/teams`,
      w.ownerToken,
      teamBody({ name, 'sso-team-id': 'cb265c8e', 'organization-access': { 'manage-workspaces': true } }),
    );
    assertStatus(res, 200);
    const team = res.body.data;
    assert.match(team.id, /^team-/);
    assert.equal(team.type, 'teams');
    assert.deepEqual(team.attributes, {
      name,
      'sso-team-id': 'cb265c8e',
      'users-count': 0,
      visibility: 'secret',
      'allow-member-token-management': true,
      permissions: {
        'can-update-membership': true,
        'can-destroy': true,
        'can-update-organization-access': true,
        'can-update-api-token': true,
        'can-update-visibility': true,
        'can-update-name': true,
        'can-update-sso-team-id': true,
        'can-update-member-token-management': true,
        'can-view-api-token': true,
      },
      // manage-workspaces implies read-workspaces, as the sample response shows.
      'organization-access': { ...NO_ACCESS, 'manage-workspaces': true, 'read-workspaces': true },
    });
    assert.deepEqual(team.relationships.users, { data: [] });
    assert.deepEqual(team.relationships.organization.data, { id: w.org, type: 'organizations' });
    assert.equal(team.relationships['authentication-token'].links.related, `/api/v2/teams/${team.id}/authentication-token`);
    assert.equal(team.links.self, `/api/v2/teams/${team.id}`);
    const shown = await w.api('GET', `/teams/${team.id}`, w.ownerToken);
    assertStatus(shown, 200);
    assert.deepEqual(shown.body.data, team);
  });

  it('lists with q, filter[names], pagination and the users and memberships of each team on request', async () => {
    const prefix = unique('lst');
    const a = await w.createTeam({ name: `${prefix}-alpha`, visibility: 'organization' });
    await w.createTeam({ name: `${prefix}-beta`, visibility: 'organization' });
    const member = await w.member([a.id]);
    const res = await w.api('GET', `/organizations/${w.org}/teams?q=${prefix.toUpperCase()}&include=users,organization-memberships`, w.ownerToken);
    assertStatus(res, 200);
    assert.deepEqual(
      res.body.data.map((t: any) => t.attributes.name),
      [`${prefix}-alpha`, `${prefix}-beta`],
    );
    assert.equal(res.body.data[0].attributes['users-count'], 1);
    assert.deepEqual(res.body.data[0].relationships.users.data, [{ id: member.id, type: 'users' }]);
    assert.deepEqual(res.body.data[0].relationships['organization-memberships'].data, [{ id: member.membershipId, type: 'organization-memberships' }]);
    assert.deepEqual(res.body.included.map((r: any) => `${r.type}/${r.id}`).sort(), [`organization-memberships/${member.membershipId}`, `users/${member.id}`]);
    const named = await w.api('GET', `/organizations/${w.org}/teams?filter%5Bnames%5D=${prefix}-beta,owners`, w.ownerToken);
    assert.deepEqual(
      named.body.data.map((t: any) => t.attributes.name),
      [`${prefix}-beta`, 'owners'],
    );
    const paged = await w.api('GET', `/organizations/${w.org}/teams?q=${prefix}&page%5Bsize%5D=1&page%5Bnumber%5D=2`, w.ownerToken);
    assert.deepEqual(
      paged.body.data.map((t: any) => t.attributes.name),
      [`${prefix}-beta`],
    );
    assert.equal(paged.body.meta.pagination['total-count'], 2);
    assertStatus(await w.api('GET', `/organizations/${w.org}/teams?include=secrets`, w.ownerToken), 400);
  });

  it('shows members the visible teams and the secret teams they are in; owners and "access secret teams" see all', async () => {
    const visible = await w.createTeam({ visibility: 'organization' });
    const mine = await w.createTeam();
    const hidden = await w.createTeam();
    const member = await w.member([mine.id]);
    const ids = async (token: string) => (await w.api('GET', `/organizations/${w.org}/teams?page%5Bsize%5D=100`, token)).body.data.map((t: any) => t.id);
    const seen = await ids(member.token);
    assert.ok(seen.includes(visible.id) && seen.includes(mine.id) && seen.includes(w.ownersTeamId));
    assert.ok(!seen.includes(hidden.id), 'a secret team of others is hidden');
    assertStatus(await w.api('GET', `/teams/${hidden.id}`, member.token), 404);
    assertStatus(await w.api('GET', `/teams/${mine.id}`, member.token), 200);
    assert.ok((await ids(w.ownerToken)).includes(hidden.id));
    assert.ok((await ids(w.orgToken)).includes(hidden.id));
    const secretReaders = await w.createTeam({ 'organization-access': { 'access-secret-teams': true } });
    const reader = await w.member([secretReaders.id]);
    assert.ok((await ids(reader.token)).includes(hidden.id));
    // A team token sees what a member of its team sees.
    const token = await w.teamToken(mine.id);
    assert.ok((await ids(token)).includes(mine.id));
    assert.ok(!(await ids(token)).includes(hidden.id));
    assertStatus(await w.api('GET', `/organizations/${w.org}/teams`, w.strangerToken), 404);
    assertStatus(await w.api('GET', `/teams/${visible.id}`, w.strangerToken), 404);
    assertStatus(await w.api('GET', `/organizations/${w.org}/teams`, 'not-a-token'), 401);
  });

  it('updates name, visibility, sso-team-id, member token management and organization access', async () => {
    const team = await w.createTeam();
    const name = unique('renamed');
    const res = await w.api(
      'PATCH',
      `/teams/${team.id}`,
      w.ownerToken,
      teamBody({
        name,
        visibility: 'organization',
        'sso-team-id': null,
        'allow-member-token-management': false,
        'organization-access': { 'manage-projects': true },
      }),
    );
    assertStatus(res, 200);
    assert.equal(res.body.data.attributes.name, name);
    assert.equal(res.body.data.attributes.visibility, 'organization');
    assert.equal(res.body.data.attributes['allow-member-token-management'], false);
    // manage-projects implies manage-workspaces and read-projects, which imply read-workspaces.
    assert.deepEqual(res.body.data.attributes['organization-access'], {
      ...NO_ACCESS,
      'manage-projects': true,
      'manage-workspaces': true,
      'read-projects': true,
      'read-workspaces': true,
    });
    // The update table's name for the same setting.
    const alias = await w.api('PATCH', `/teams/${team.id}`, w.ownerToken, teamBody({ 'allow-team-token-management': true }));
    assert.equal(alias.body.data.attributes['allow-member-token-management'], true);
    // Turning off what a kept flag needs is refused; turning both off works.
    const contradiction = await w.api('PATCH', `/teams/${team.id}`, w.ownerToken, teamBody({ 'organization-access': { 'manage-workspaces': false } }));
    assertStatus(contradiction, 422);
    assert.equal(contradiction.body.errors[0].source.pointer, '/data/attributes/organization-access/manage-workspaces');
    const off = await w.api(
      'PATCH',
      `/teams/${team.id}`,
      w.ownerToken,
      teamBody({ 'organization-access': { 'manage-projects': false, 'manage-workspaces': false } }),
    );
    assertStatus(off, 200);
    assert.equal(off.body.data.attributes['organization-access']['manage-workspaces'], false);
    assert.equal(off.body.data.attributes['organization-access']['read-workspaces'], true, 'implied flags stay until turned off');
  });

  it('refuses bad names, duplicates and bad values with 422, and malformed documents with 400', async () => {
    const team = await w.createTeam();
    const post = (body: unknown) => w.api('POST', `/organizations/${w.org}/teams`, w.ownerToken, body);
    const cases: [Record<string, unknown>, string][] = [
      [{}, '/data/attributes/name'],
      [{ name: 'has/slash' }, '/data/attributes/name'],
      [{ name: team.name }, '/data/attributes/name'],
      [{ name: unique('t'), visibility: 'public' }, '/data/attributes/visibility'],
      [{ name: unique('t'), 'organization-access': { 'manage-workspaces': 'yes' } }, '/data/attributes/organization-access/manage-workspaces'],
    ];
    for (const [attributes, pointer] of cases) {
      const res = await post(teamBody(attributes));
      assertStatus(res, 422, JSON.stringify(attributes));
      assert.equal(res.body.errors[0].source.pointer, pointer);
    }
    // HCP Terraform takes spaces in team names, which the docs leave out.
    const spaced = await post(teamBody({ name: `${unique('foo')} bar` }));
    assertStatus(spaced, 200);
    assert.match(spaced.body.data.attributes.name, / bar$/);
    assertStatus(await post({ data: { type: 'users', attributes: { name: unique('t') } } }), 400);
    assertStatus(await post('{"data":'), 400);
    assertStatus(await w.api('PATCH', `/teams/${team.id}`, w.ownerToken, teamBody({ name: 'owners' })), 422);
  });

  it('keeps the owners team: not deleted (409), not renamed, never without a permission', async () => {
    assertStatus(await w.api('DELETE', `/teams/${w.ownersTeamId}`, w.ownerToken), 409);
    assertStatus(await w.api('PATCH', `/teams/${w.ownersTeamId}`, w.ownerToken, teamBody({ name: 'bosses' })), 422);
    assertStatus(await w.api('PATCH', `/teams/${w.ownersTeamId}`, w.ownerToken, teamBody({ 'organization-access': { 'manage-workspaces': false } })), 422);
    const owners = await w.api('GET', `/teams/${w.ownersTeamId}`, w.ownerToken);
    assert.ok(Object.values(owners.body.data.attributes['organization-access']).every((v) => v === true));
    assert.equal(owners.body.data.attributes.permissions['can-destroy'], false);
    assert.equal(owners.body.data.attributes.permissions['can-update-name'], false);
    assert.deepEqual(owners.body.data.relationships.users.data, [{ id: w.ownerId, type: 'users' }]);
  });

  it('deletes a team with its seats and tokens', async () => {
    const team = await w.createTeam({ visibility: 'organization' });
    const member = await w.member([team.id]);
    const token = await w.teamToken(team.id);
    assertStatus(await w.api('GET', `/teams/${team.id}`, token), 200);
    assertStatus(await w.api('DELETE', `/teams/${team.id}`, w.ownerToken), 204);
    assertStatus(await w.api('GET', `/teams/${team.id}`, w.ownerToken), 404);
    assertStatus(await w.api('GET', `/organizations/${w.org}`, token), 401, 'its token is gone');
    const seats = await server.database.db.selectFrom('team_memberships').select('team_id').where('user_id', '=', member.id).execute();
    assert.deepEqual(seats, []);
    assertStatus(await w.api('DELETE', `/teams/${team.id}`, w.ownerToken), 404);
  });

  it('lets manage teams create and change visible teams, and only manage organization access set permissions', async () => {
    const managers = await w.createTeam({ 'organization-access': { 'manage-teams': true } });
    const manager = await w.member([managers.id]);
    const plain = await w.member();
    const post = (token: string, attributes: Record<string, unknown>) =>
      w.api('POST', `/organizations/${w.org}/teams`, token, teamBody({ name: unique('t'), ...attributes }));
    const created = await post(manager.token, { visibility: 'organization' });
    assertStatus(created, 200);
    assert.equal(created.body.data.attributes.permissions['can-update-organization-access'], false);
    assertStatus(await post(manager.token, {}), 404, 'secret teams need "access secret teams"');
    assertStatus(await post(manager.token, { visibility: 'organization', 'organization-access': { 'read-workspaces': true } }), 404);
    assertStatus(await w.api('PATCH', `/teams/${created.body.data.id}`, manager.token, teamBody({ 'sso-team-id': 'x' })), 200);
    assertStatus(await w.api('PATCH', `/teams/${created.body.data.id}`, manager.token, teamBody({ 'organization-access': { 'read-workspaces': true } })), 404);
    assertStatus(await w.api('PATCH', `/teams/${w.ownersTeamId}`, manager.token, teamBody({ 'sso-team-id': 'x' })), 404);
    // Organization access holders set permissions.
    const accessManagers = await w.createTeam({ 'organization-access': { 'manage-organization-access': true } });
    const accessManager = await w.member([accessManagers.id]);
    const granted = await w.api(
      'PATCH',
      `/teams/${created.body.data.id}`,
      accessManager.token,
      teamBody({ 'organization-access': { 'read-workspaces': true } }),
    );
    assertStatus(granted, 200);
    assert.equal(granted.body.data.attributes['organization-access']['read-workspaces'], true);
    // Plain members, team tokens without permission and strangers are refused with 404.
    const teamToken = await w.teamToken(created.body.data.id);
    for (const token of [plain.token, teamToken, w.strangerToken]) {
      assertStatus(await post(token, { visibility: 'organization' }), 404);
      assertStatus(await w.api('PATCH', `/teams/${created.body.data.id}`, token, teamBody({ 'sso-team-id': 'y' })), 404);
      assertStatus(await w.api('DELETE', `/teams/${created.body.data.id}`, token), 404);
    }
    assertStatus(await w.api('DELETE', `/teams/${created.body.data.id}`, manager.token), 204);
    // The organization token acts as an owner here (teams.mdx).
    assertStatus(await post(w.orgToken, { 'organization-access': { 'manage-vcs-settings': true } }), 200);
  });
});
