import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { TeamWorld, unique } from '../teams/testing.js';
import { CSRF_FIELD } from './components.js';
import { TEST_PASSWORD, WebClient } from './testing.js';

forEachDatabase('web organization pages', (server) => {
  const world = new TeamWorld(server);
  const owner = new WebClient(server);
  let ownerCsrf = '';
  const settings = (section: string, org = world.org) => `/app/${org}/settings/${section}`;

  before(async () => {
    await world.setUp();
    ownerCsrf = await owner.signIn(await server.givePassword(world.ownerId, TEST_PASSWORD));
  });

  /** A signed-in browser of a new member of the organization, in these teams. */
  async function memberBrowser(teamIds: string[] = []): Promise<{ web: WebClient; csrf: string; member: Awaited<ReturnType<TeamWorld['member']>> }> {
    const member = await world.member(teamIds);
    const web = new WebClient(server);
    return { web, csrf: await web.signIn(await server.givePassword(member.id, TEST_PASSWORD)), member };
  }

  function secretIn(html: string): string {
    const secret = /id="new-token" readonly value="([^"]+)"/.exec(html)?.[1];
    assert.ok(secret, `no new token on ${html}`);
    return secret;
  }

  async function bearerStatus(token: string, path = `/api/v2/organizations/${world.org}`): Promise<number> {
    return (await server.api('GET', path, { token })).status;
  }

  describe('authorization', () => {
    it('shows every section to the owner and a 404 page to a user outside the organization', async () => {
      const paths = [settings('general'), settings('members'), settings('teams'), `${settings('teams')}/${world.ownersTeamId}`, settings('tokens')];
      for (const path of paths) {
        const page = await owner.get(path);
        assert.equal(page.status, 200, `${path}: ${page.text}`);
        assert.match(page.text, /<nav aria-label="Organization"/);
      }
      const stranger = new WebClient(server);
      await stranger.signIn((await server.createUser({ password: TEST_PASSWORD })).username);
      for (const path of paths) {
        const page = await stranger.get(path);
        assert.equal(page.status, 404, path);
        assert.match(page.text, /Not found/);
      }
      // A team of another organization is not found under this one's address.
      const otherTeam = await server.database.db
        .selectFrom('teams')
        .innerJoin('organizations as o', 'o.id', 'teams.organization_id')
        .select('teams.id')
        .where('o.name', '=', world.otherOrg)
        .executeTakeFirstOrThrow();
      assert.equal((await owner.get(`${settings('teams')}/${otherTeam.id}`)).status, 404);
    });

    it('shows a plain member settings and teams without forms, hides the rest, and refuses their posts', async () => {
      const { web, csrf } = await memberBrowser();
      const general = await web.get(settings('general'));
      assert.equal(general.status, 200);
      assert.match(general.text, new RegExp(`<dd>${world.org}</dd>`));
      assert.doesNotMatch(general.text, /name="name"|Save settings/);
      assert.doesNotMatch(general.text, /href="[^"]*\/settings\/(members|tokens)"/);
      const teams = await web.get(settings('teams'));
      assert.equal(teams.status, 200);
      assert.doesNotMatch(teams.text, /Create team/);
      const ownersTeam = await web.get(`${settings('teams')}/${world.ownersTeamId}`);
      assert.equal(ownersTeam.status, 200);
      assert.doesNotMatch(ownersTeam.text, /Save access|Add member|Delete team|Team tokens/);
      assert.match(ownersTeam.text, /<fieldset disabled>/);
      for (const path of [settings('members'), settings('tokens')]) assert.equal((await web.get(path)).status, 404, path);

      const refused: [string, Record<string, string>][] = [
        [settings('general'), { name: unique('taken'), email: 'x@example.com' }],
        [settings('teams'), { name: unique('team') }],
        [settings('members'), { email: 'someone@example.com' }],
        [settings('tokens'), {}],
        [`${settings('teams')}/${world.ownersTeamId}/access`, { 'manage-workspaces': 'on' }],
        [`${settings('teams')}/${world.ownersTeamId}/members`, { username: 'nobody' }],
      ];
      for (const [path, fields] of refused) assert.equal((await web.post(path, { [CSRF_FIELD]: csrf, ...fields })).status, 404, path);
      // Nothing changed: the organization keeps its name and its token.
      assert.equal(await bearerStatus(world.orgToken), 200);
    });

    it('refuses posts without the session CSRF token with 403', async () => {
      const name = unique('nocsrf');
      for (const [path, fields] of [
        [settings('general'), { name }],
        [settings('teams'), { name }],
        [settings('tokens'), {}],
        [settings('members'), { email: `${name}@example.com` }],
      ] as const) {
        const res = await owner.post(path, fields);
        assert.equal(res.status, 403, path);
        assert.match(res.text, /Forbidden/);
      }
      const teams = await world.api('GET', `/organizations/${world.org}/teams?q=${name}`, world.ownerToken);
      assert.equal(teams.body.data.length, 0);
    });
  });

  describe('settings', () => {
    it('lets an owner rename the organization and change its email and execution mode, and redraws refused input', async () => {
      const org = unique('rename');
      const created = await world.api('POST', '/organizations', world.ownerToken, {
        data: { type: 'organizations', attributes: { name: org, email: `${org}@example.com` } },
      });
      assert.equal(created.status, 201);
      const bad = await owner.post(settings('general', org), { [CSRF_FIELD]: ownerCsrf, name: 'x y', email: `${org}@example.com` });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /role="alert">name must be 3 to 40 characters/);
      const renamed = `${org}-new`;
      const res = await owner.post(settings('general', org), {
        [CSRF_FIELD]: ownerCsrf,
        name: renamed,
        email: 'ops@example.com',
        'default-execution-mode': 'local',
      });
      assert.equal(res.status, 303, res.text);
      assert.equal(res.headers.get('location'), settings('general', renamed));
      assert.equal((await owner.get(settings('general', org))).status, 404);
      const page = await owner.get(settings('general', renamed));
      assert.match(page.text, /<option value="local" selected>/);
      const api = await world.api('GET', `/organizations/${renamed}`, world.ownerToken);
      assert.equal(api.body.data.attributes.email, 'ops@example.com');
      assert.equal(api.body.data.attributes['default-execution-mode'], 'local');
    });
  });

  describe('members', () => {
    it('invites by email; the invitee accepts on the organizations page; the owner removes them', async () => {
      const invitee = await server.createUser({ password: TEST_PASSWORD });
      const email = `${invitee.username}@example.com`;
      const team = await world.createTeam({ visibility: 'organization' });
      const invited = await owner.post(settings('members'), { [CSRF_FIELD]: ownerCsrf, email, team: team.id });
      assert.equal(invited.status, 303, invited.text);
      const members = await owner.get(settings('members'));
      assert.match(members.text, new RegExp(`${email}</td>.*?invited`, 's'));
      const again = await owner.post(settings('members'), { [CSRF_FIELD]: ownerCsrf, email });
      assert.equal(again.status, 422);
      assert.match(again.text, /already a member/);

      const web = new WebClient(server);
      const csrf = await web.signIn(invitee.username);
      assert.equal((await web.get(`/app/${world.org}/workspaces`)).status, 404, 'an invitation grants nothing before it is accepted');
      const home = await web.get('/app');
      assert.match(home.text, new RegExp(`You are invited to join ${world.org}`));
      const accept = /action="(\/app\/invitations\/[^"]+\/accept)"/.exec(home.text)?.[1] ?? '';
      assert.equal((await new WebClient(server).post(accept, { [CSRF_FIELD]: csrf })).status, 403, 'another browser cannot answer');
      const accepted = await web.post(accept, { [CSRF_FIELD]: csrf });
      assert.equal(accepted.status, 303);
      assert.equal(accepted.headers.get('location'), `/app/${world.org}/workspaces`);
      assert.equal((await web.get(`/app/${world.org}/workspaces`)).status, 200);
      assert.doesNotMatch((await web.get('/app')).text, /You are invited/);
      assert.equal((await web.post(accept, { [CSRF_FIELD]: csrf })).status, 404, 'answered once');

      const membership = await server.database.db
        .selectFrom('organization_memberships')
        .select(['id', 'status'])
        .where('user_id', '=', invitee.id)
        .executeTakeFirstOrThrow();
      assert.equal(membership.status, 'active');
      const removed = await owner.post(`${settings('members')}/${membership.id}/remove`, { [CSRF_FIELD]: ownerCsrf });
      assert.equal(removed.status, 303);
      assert.equal((await web.get(`/app/${world.org}/workspaces`)).status, 404);
      // The owner cannot remove themselves: the API's 403, drawn on the page.
      const own = await server.database.db
        .selectFrom('organization_memberships')
        .select('id')
        .where('user_id', '=', world.ownerId)
        .where('organization_id', '=', world.orgId)
        .executeTakeFirstOrThrow();
      const self = await owner.post(`${settings('members')}/${own.id}/remove`, { [CSRF_FIELD]: ownerCsrf });
      assert.equal(self.status, 403);
      assert.match(self.text, /cannot remove yourself/);
    });

    it('declining an invitation removes it', async () => {
      const invitee = await server.createUser({ password: TEST_PASSWORD });
      await owner.post(settings('members'), { [CSRF_FIELD]: ownerCsrf, email: `${invitee.username}@example.com` });
      const web = new WebClient(server);
      const csrf = await web.signIn(invitee.username);
      const decline = /action="(\/app\/invitations\/[^"]+\/decline)"/.exec((await web.get('/app')).text)?.[1] ?? '';
      const res = await web.post(decline, { [CSRF_FIELD]: csrf });
      assert.equal(res.headers.get('location'), '/app');
      assert.equal((await server.database.db.selectFrom('organization_memberships').select('id').where('user_id', '=', invitee.id).execute()).length, 0);
    });
  });

  describe('teams', () => {
    it('creates a team, adds and removes a member, sets organization access and deletes it', async () => {
      const { member, web } = await memberBrowser();
      const name = unique('web team');
      const created = await owner.post(settings('teams'), { [CSRF_FIELD]: ownerCsrf, name, visibility: 'organization' });
      assert.equal(created.status, 303, created.text);
      const teamPage = created.headers.get('location') ?? '';
      const teamId = teamPage.split('/').pop() ?? '';
      assert.match((await owner.get(settings('teams'))).text, new RegExp(`>${name}</a>`));
      const duplicate = await owner.post(settings('teams'), { [CSRF_FIELD]: ownerCsrf, name });
      assert.equal(duplicate.status, 422);

      assert.equal((await owner.post(`${teamPage}/members`, { [CSRF_FIELD]: ownerCsrf, username: member.username })).status, 303);
      assert.match((await owner.get(teamPage)).text, new RegExp(`<span>${member.username}</span>`));
      const unknown = await owner.post(`${teamPage}/members`, { [CSRF_FIELD]: ownerCsrf, username: 'no-such-user' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.text, /user no-such-user not found/);

      // Ticking manage teams brings what it implies.
      assert.equal((await owner.post(`${teamPage}/access`, { [CSRF_FIELD]: ownerCsrf, 'manage-teams': 'on' })).status, 303);
      const access = (await world.api('GET', `/teams/${teamId}`, world.ownerToken)).body.data.attributes['organization-access'];
      assert.equal(access['manage-teams'], true);
      assert.equal(access['manage-membership'], true);
      assert.equal(access['manage-workspaces'], false);
      assert.match((await owner.get(teamPage)).text, /id="access-manage-teams" name="manage-teams" checked/);
      // The member now manages teams: the team page shows them the forms.
      assert.match((await web.get(teamPage)).text, /Add member/);

      assert.equal((await owner.post(`${teamPage}/members/remove`, { [CSRF_FIELD]: ownerCsrf, username: member.username })).status, 303);
      assert.doesNotMatch((await owner.get(teamPage)).text, new RegExp(`<span>${member.username}</span>`));
      const deleted = await owner.post(`${teamPage}/delete`, { [CSRF_FIELD]: ownerCsrf });
      assert.equal(deleted.headers.get('location'), settings('teams'));
      assert.equal((await owner.get(teamPage)).status, 404);
      // The owners team stays: the API's 409, without a delete button to begin with.
      const owners = `${settings('teams')}/${world.ownersTeamId}`;
      assert.doesNotMatch((await owner.get(owners)).text, /Delete team/);
      assert.equal((await owner.post(`${owners}/delete`, { [CSRF_FIELD]: ownerCsrf })).status, 409);
    });
  });

  describe('lists', () => {
    it('pages through the teams, 20 a page', async () => {
      const org = unique('many');
      await world.api('POST', '/organizations', world.ownerToken, { data: { type: 'organizations', attributes: { name: org, email: `${org}@example.com` } } });
      for (let n = 10; n < 30; n++) {
        const res = await world.api('POST', `/organizations/${org}/teams`, world.ownerToken, { data: { type: 'teams', attributes: { name: `t${n}` } } });
        assert.equal(res.status, 200, res.text);
      }
      const first = await owner.get(settings('teams', org));
      assert.match(first.text, /Page 1 of 2/);
      assert.equal([...first.text.matchAll(/>(t\d\d|owners)<\/a>/g)].length, 20);
      assert.match(first.text, new RegExp(`href="/app/${org}/settings/teams\\?page=2"`));
      const second = await owner.get(`${settings('teams', org)}?page=2`);
      assert.equal([...second.text.matchAll(/>(t\d\d|owners)<\/a>/g)].length, 1);
      // A page number that is not one is the first page, as on the other lists.
      assert.match((await owner.get(`${settings('teams', org)}?page=x`)).text, /Page 1 of 2/);
    });
  });

  describe('tokens', () => {
    it('shows a new organization token once; it works with a bearer header until regenerated or revoked', async () => {
      const created = await owner.post(settings('tokens'), { [CSRF_FIELD]: ownerCsrf });
      assert.equal(created.status, 200, created.text);
      const first = secretIn(created.text);
      const page = await owner.get(settings('tokens'));
      assert.doesNotMatch(page.text, new RegExp(first));
      assert.match(page.text, /Regenerate token/);
      assert.equal(await bearerStatus(first), 200);

      const second = secretIn((await owner.post(settings('tokens'), { [CSRF_FIELD]: ownerCsrf, 'expires-on': '2999-01-01' })).text);
      assert.equal(await bearerStatus(first), 401);
      assert.equal(await bearerStatus(second), 200);
      assert.match((await owner.get(settings('tokens'))).text, /2999-01-01 00:00 UTC/);
      const past = await owner.post(settings('tokens'), { [CSRF_FIELD]: ownerCsrf, 'expires-on': '2001-01-01' });
      assert.equal(past.status, 422);
      assert.equal(await bearerStatus(second), 200, 'a refused regeneration keeps the token');

      assert.equal((await owner.post(`${settings('tokens')}/revoke`, { [CSRF_FIELD]: ownerCsrf })).status, 303);
      assert.equal(await bearerStatus(second), 401);
      assert.match((await owner.get(settings('tokens'))).text, /has no token/);
    });

    it('shows a new team token once on the team page; revoked, it gets 401', async () => {
      const team = await world.createTeam({ visibility: 'organization' });
      const teamPage = `${settings('teams')}/${team.id}`;
      const missing = await owner.post(`${teamPage}/tokens`, { [CSRF_FIELD]: ownerCsrf, description: ' ' });
      assert.equal(missing.status, 422);
      const created = await owner.post(`${teamPage}/tokens`, { [CSRF_FIELD]: ownerCsrf, description: 'deploys' });
      assert.equal(created.status, 200, created.text);
      const secret = secretIn(created.text);
      const page = await owner.get(teamPage);
      assert.match(page.text, /<td>deploys<\/td>/);
      assert.doesNotMatch(page.text, new RegExp(secret));
      assert.equal(await bearerStatus(secret, '/api/v2/account/details'), 200);

      const tokenId = /tokens\/(at-[^/]+)\/revoke/.exec(page.text)?.[1] ?? '';
      const { web, csrf } = await memberBrowser();
      assert.equal((await web.post(`${teamPage}/tokens/${tokenId}/revoke`, { [CSRF_FIELD]: csrf })).status, 404);
      assert.equal((await owner.post(`${teamPage}/tokens/${tokenId}/revoke`, { [CSRF_FIELD]: ownerCsrf })).status, 303);
      assert.equal(await bearerStatus(secret, '/api/v2/account/details'), 401);
    });

    it("shows a team's member only the team tokens they generated, and lets them revoke only those", async () => {
      const team = await world.createTeam({ visibility: 'organization' });
      const teamPage = `${settings('teams')}/${team.id}`;
      await owner.post(`${teamPage}/tokens`, { [CSRF_FIELD]: ownerCsrf, description: 'owners-ci' });
      const ownersTokenId = /tokens\/(at-[^/]+)\/revoke/.exec((await owner.get(teamPage)).text)?.[1] ?? '';
      const { web, csrf } = await memberBrowser([team.id]);
      const before = await web.get(teamPage);
      assert.match(before.text, /Team tokens/);
      assert.doesNotMatch(before.text, /owners-ci/);
      const created = await web.post(`${teamPage}/tokens`, { [CSRF_FIELD]: csrf, description: 'mine' });
      assert.equal(created.status, 200, created.text);
      const page = await web.get(teamPage);
      assert.match(page.text, /<td>mine<\/td>/);
      assert.doesNotMatch(page.text, /owners-ci/);
      assert.equal((await web.post(`${teamPage}/tokens/${ownersTokenId}/revoke`, { [CSRF_FIELD]: csrf })).status, 404);
      assert.match((await owner.get(teamPage)).text, /<td>owners-ci<\/td>.*<td>mine<\/td>|<td>mine<\/td>.*<td>owners-ci<\/td>/s);
      const mine = /tokens\/(at-[^/]+)\/revoke/.exec(page.text)?.[1] ?? '';
      assert.equal((await web.post(`${teamPage}/tokens/${mine}/revoke`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.doesNotMatch((await owner.get(teamPage)).text, /<td>mine<\/td>/);
    });
  });
});
