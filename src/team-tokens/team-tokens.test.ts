import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { TIMESTAMP } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { assertStatus, TeamWorld } from '../teams/testing.js';

const tokenBody = (attributes: Record<string, unknown>, type = 'authentication-tokens') => ({ data: { type, attributes } });

/** How far the test servers' clock runs ahead: the expiry test moves it on rather than sleeping. */
let clockAheadMs = 0;

forEachDatabase(
  'team tokens',
  (server) => {
    const w = new TeamWorld(server);
    before(() => w.setUp());

    it('generates the legacy token, replacing (revoking) the previous one; shows and deletes it', async () => {
      const team = await w.createTeam({ visibility: 'organization' });
      const path = `/teams/${team.id}/authentication-token`;
      const first = await w.api('POST', path, w.ownerToken, tokenBody({ 'expired-at': '2099-04-06T12:00:00.000Z' }, 'authentication-token'));
      assertStatus(first, 201);
      const data = first.body.data;
      assert.equal(data.type, 'authentication-tokens');
      assert.match(data.attributes.token, /\S{20,}/);
      assert.equal(data.attributes.description, null);
      assert.equal(data.attributes['expired-at'], '2099-04-06T12:00:00.000Z');
      assert.match(data.attributes['created-at'], TIMESTAMP);
      assert.deepEqual(data.relationships.team.data, { id: team.id, type: 'teams' });
      assert.deepEqual(data.relationships['created-by'].data, { id: w.ownerId, type: 'users' });
      assertStatus(await w.api('GET', `/teams/${team.id}`, data.attributes.token), 200, 'the token works');

      // go-tfe sends the body without a type, or no body at all.
      const second = await w.api('POST', path, w.ownerToken, tokenBody({}, ''));
      assertStatus(second, 201);
      assertStatus(await w.api('GET', `/teams/${team.id}`, data.attributes.token), 401, 'the previous legacy token is revoked');
      const shown = await w.api('GET', path, w.ownerToken);
      assertStatus(shown, 200);
      assert.equal(shown.body.data.id, second.body.data.id);
      assert.equal(shown.body.data.attributes.token, null, 'the secret is shown once');
      assertStatus(await w.api('DELETE', path, w.ownerToken), 204);
      assertStatus(await w.api('GET', path, w.ownerToken), 404);
      assertStatus(await w.api('DELETE', path, w.ownerToken), 404);
      assertStatus(await w.api('GET', `/teams/${team.id}`, second.body.data.attributes.token), 401);
    });

    it('generates described tokens that live side by side, and shows, lists and deletes them', async () => {
      const team = await w.createTeam({ visibility: 'organization' });
      const post = (attributes: Record<string, unknown>) => w.api('POST', `/teams/${team.id}/authentication-tokens`, w.ownerToken, tokenBody(attributes));
      const ci = await post({ description: 'ci', 'expired-at': '2099-01-01T00:00:00Z' });
      const deploy = await post({ description: 'deploy' });
      assertStatus(ci, 201);
      assertStatus(deploy, 201);
      assert.equal(ci.body.data.attributes.description, 'ci');
      const legacy = await w.teamToken(team.id);
      for (const token of [ci.body.data.attributes.token, deploy.body.data.attributes.token, legacy])
        assertStatus(await w.api('GET', `/teams/${team.id}`, token), 200);

      const shown = await w.api('GET', `/authentication-tokens/${ci.body.data.id}`, w.ownerToken);
      assertStatus(shown, 200);
      assert.equal(shown.body.data.attributes.token, null);
      assert.deepEqual(shown.body.data.relationships.team.data, { id: team.id, type: 'teams' });

      const list = await w.api('GET', `/organizations/${w.org}/team-tokens?q=${team.name}`, w.ownerToken);
      assertStatus(list, 200);
      // Ascending expiry by default, tokens that never expire last.
      assert.deepEqual(list.body.data[0].id, ci.body.data.id);
      assert.equal(list.body.data.length, 3);
      assert.ok(list.body.data.every((t: any) => t.attributes.token === null));
      assert.equal(list.body.meta.pagination['total-count'], 3);
      const sorted = await w.api('GET', `/organizations/${w.org}/team-tokens?q=${team.name}&sort=-expired-at`, w.ownerToken);
      assert.equal(sorted.body.data[sorted.body.data.length - 1].id, ci.body.data.id);
      assertStatus(await w.api('GET', `/organizations/${w.org}/team-tokens?sort=color`, w.ownerToken), 422);

      assertStatus(await w.api('DELETE', `/authentication-tokens/${ci.body.data.id}`, w.ownerToken), 204);
      assertStatus(await w.api('GET', `/teams/${team.id}`, ci.body.data.attributes.token), 401);
      assertStatus(await w.api('GET', `/teams/${team.id}`, deploy.body.data.attributes.token), 200, 'the other tokens stay valid');
      assertStatus(await w.api('GET', `/authentication-tokens/${ci.body.data.id}`, w.ownerToken), 404);
      const bulk = await w.api('DELETE', `/organizations/${w.org}/team-tokens`, w.ownerToken, {
        data: [{ type: 'authentication-tokens', id: deploy.body.data.id }],
      });
      assertStatus(bulk, 204);
      assertStatus(await w.api('GET', `/teams/${team.id}`, deploy.body.data.attributes.token), 401);
    });

    it('refuses a missing or repeated description, a past expiry and bad documents', async () => {
      const team = await w.createTeam({ visibility: 'organization' });
      const post = (body: unknown) => w.api('POST', `/teams/${team.id}/authentication-tokens`, w.ownerToken, body);
      assertStatus(await post(tokenBody({ description: 'once' })), 201);
      // go-tfe's TeamTokenCreateOptions has no type: an empty or missing data.type is accepted.
      assertStatus(await post(tokenBody({ description: 'untyped' }, '')), 201);
      assertStatus(await post({ data: { attributes: { description: 'no type' } } }), 201);
      for (const [attributes, pointer] of [
        [{ description: 'once' }, '/data/attributes/description'],
        [{}, '/data/attributes/description'],
        [{ description: 'late', 'expired-at': '2001-01-01T00:00:00Z' }, '/data/attributes/expired-at'],
        [{ description: 'odd', 'expired-at': 'tomorrow' }, '/data/attributes/expired-at'],
      ] as const) {
        const res = await post(tokenBody(attributes));
        assertStatus(res, 422, JSON.stringify(attributes));
        assert.equal(res.body.errors[0].source.pointer, pointer);
      }
      assertStatus(await post(tokenBody({ description: 'x' }, 'teams')), 400);
      assertStatus(await w.api('POST', '/teams/team-unknown/authentication-tokens', w.ownerToken, tokenBody({ description: 'x' })), 404);
    });

    it('an expired team token is a 401', async () => {
      const team = await w.createTeam({ visibility: 'organization' });
      const res = await w.api(
        'POST',
        `/teams/${team.id}/authentication-tokens`,
        w.ownerToken,
        tokenBody({ description: 'short', 'expired-at': new Date(Date.now() + 1500).toISOString() }),
      );
      assertStatus(res, 201);
      clockAheadMs = 1600;
      try {
        assertStatus(await w.api('GET', `/teams/${team.id}`, res.body.data.attributes.token), 401);
      } finally {
        clockAheadMs = 0;
      }
    });

    it('lets a member, with member token management on by default, neither regenerate the legacy token nor revoke tokens of others', async () => {
      const team = await w.createTeam({ visibility: 'organization' });
      const shown = await w.api('GET', `/teams/${team.id}`, w.ownerToken);
      assert.equal(shown.body.data.attributes['allow-member-token-management'], true, 'the documented default (teams.mdx, permissions.mdx)');
      const member = await w.member([team.id]);
      const legacy = await w.api('POST', `/teams/${team.id}/authentication-token`, w.ownerToken);
      assertStatus(legacy, 201);
      const ci = await w.api('POST', `/teams/${team.id}/authentication-tokens`, w.ownerToken, tokenBody({ description: 'ci' }));
      assertStatus(ci, 201);

      assertStatus(await w.api('POST', `/teams/${team.id}/authentication-token`, member.token), 404, 'regenerating would revoke the CI token');
      assertStatus(await w.api('DELETE', `/teams/${team.id}/authentication-token`, member.token), 404);
      assertStatus(await w.api('GET', `/teams/${team.id}/authentication-token`, member.token), 404);
      assertStatus(await w.api('DELETE', `/authentication-tokens/${ci.body.data.id}`, member.token), 404);
      assertStatus(await w.api('GET', `/authentication-tokens/${ci.body.data.id}`, member.token), 404);
      for (const token of [legacy.body.data.attributes.token, ci.body.data.attributes.token]) {
        assertStatus(await w.api('GET', `/teams/${team.id}`, token), 200, 'the team tokens still work');
      }
      // Their own described tokens they manage.
      const own = await w.api('POST', `/teams/${team.id}/authentication-tokens`, member.token, tokenBody({ description: 'laptop' }));
      assertStatus(own, 201);
      assertStatus(await w.api('DELETE', `/authentication-tokens/${own.body.data.id}`, member.token), 204);
    });

    it('lets members manage their team tokens while the team allows it; others see nothing', async () => {
      const team = await w.createTeam();
      const member = await w.member([team.id]);
      const outsider = await w.member();
      const path = `/teams/${team.id}/authentication-tokens`;
      const made = await w.api('POST', path, member.token, tokenBody({ description: 'mine' }));
      assertStatus(made, 201);
      assertStatus(await w.api('GET', `/authentication-tokens/${made.body.data.id}`, member.token), 200);
      assertStatus(await w.api('GET', `/authentication-tokens/${made.body.data.id}`, outsider.token), 404);
      assertStatus(await w.api('POST', path, outsider.token, tokenBody({ description: 'theirs' })), 404);
      assertStatus(await w.api('GET', `/organizations/${w.org}/team-tokens`, member.token), 404, 'listing needs manage teams');
      assertStatus(
        await w.api('PATCH', `/teams/${team.id}`, w.ownerToken, { data: { type: 'teams', attributes: { 'allow-member-token-management': false } } }),
        200,
      );
      assertStatus(await w.api('POST', path, member.token, tokenBody({ description: 'again' })), 404);
      assertStatus(await w.api('DELETE', `/authentication-tokens/${made.body.data.id}`, member.token), 404);
      // Only owners generate tokens of the owners team.
      const managers = await w.createTeam({ 'organization-access': { 'manage-teams': true } });
      const manager = await w.member([managers.id]);
      assertStatus(await w.api('POST', `/teams/${w.ownersTeamId}/authentication-token`, manager.token), 404);
      assertStatus(await w.api('POST', `/teams/${w.ownersTeamId}/authentication-token`, w.strangerToken), 404);
      assertStatus(await w.api('POST', `/teams/${w.ownersTeamId}/authentication-token`, w.ownerToken), 201);
    });
  },
  { now: () => new Date(Date.now() + clockAheadMs) },
);
