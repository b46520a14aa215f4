import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { OrganizationWorld, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';

/**
 * Accepting an invitation (issue 15, "People"): an email with no user yet is invited, the user created
 * with it later signs in on /app/invitations and accepts or declines; the membership then is active,
 * with the organization visible to the user, or gone.
 */

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PASSWORD = 'correct horse battery';

forEachDatabase('invitations', (server) => {
  const world = new OrganizationWorld(server);
  before(() => world.setUp());

  async function invite(org: string, email: string): Promise<string> {
    const res = await world.api('POST', `/organizations/${org}/organization-memberships`, world.ownerToken, {
      data: { type: 'organization-memberships', attributes: { email } },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.data.attributes.status, 'invited');
    return res.body.data.id;
  }

  /** Signs in on the invitations page; returns the page and its answer forms' paths by organization. */
  async function signIn(username: string, password = PASSWORD) {
    const res = await server.api('POST', '/app/invitations', { headers: FORM, body: new URLSearchParams({ username, password }).toString() });
    const forms = [...res.text.matchAll(/<strong>([^<]+)<\/strong><\/p>\n<form method="post" action="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    return { res, paths: new Map(forms as [string, string][]) };
  }

  const answer = (path: string, value: string, headers: Record<string, string> = {}) =>
    server.api('POST', path, { headers: { ...FORM, ...headers }, body: new URLSearchParams({ answer: value }).toString() });

  it('lets a user created after the invitation of their email accept it', async () => {
    const username = unique('newbie');
    const email = `${username}@example.com`;
    const membershipId = await invite(world.org, email);
    const user = await server.createUser({ username, email: email.toUpperCase(), password: PASSWORD });
    assert.equal((await world.api('GET', `/organizations/${world.org}`, user.token)).status, 404, 'nothing before the answer');

    const page = await server.api('GET', '/app/invitations');
    assert.equal(page.status, 200);
    assert.match(page.text, /<form method="post" action="\/app\/invitations">/);
    assert.equal((await signIn(username, 'not the password')).res.status, 401);

    const { res, paths } = await signIn(username);
    assert.equal(res.status, 200, res.text);
    assert.doesNotMatch(res.text, new RegExp(PASSWORD), 'the password is not put into the page');
    const path = paths.get(world.org) as string;
    assert.ok(path, res.text);
    assert.equal((await answer(path, 'accept', { origin: 'https://evil.example' })).status, 403, 'a post from another site');
    assert.equal(
      (
        await answer(
          path.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
          'accept',
        )
      ).status,
      404,
      'a forged signature',
    );
    assert.equal((await answer(path, 'maybe')).status, 400);
    const accepted = await answer(path, 'accept');
    assert.equal(accepted.status, 200, accepted.text);
    assert.match(accepted.text, /Invitation accepted/);

    const membership = await world.api('GET', `/organization-memberships/${membershipId}`, world.ownerToken);
    assert.equal(membership.body.data.attributes.status, 'active');
    assert.equal((await world.api('GET', `/organizations/${world.org}`, user.token)).status, 200, 'a member now');
    assert.equal((await answer(path, 'decline')).status, 404, 'answered once');
    assert.equal((await signIn(username)).paths.size, 0, 'nothing left to answer');
  });

  it('lets a user decline, which removes the membership; nobody else can answer it', async () => {
    const invitee = await server.createUser({ password: PASSWORD });
    const other = await server.createUser({ password: PASSWORD });
    const membershipId = await invite(world.org, `${invitee.username}@example.com`);
    const { paths } = await signIn(invitee.username);
    const path = paths.get(world.org) as string;
    // Another user's sign-in gives no form for it, and the signed path names its user.
    assert.equal((await signIn(other.username)).paths.size, 0);
    assert.equal((await answer(path.replace(invitee.id, other.id), 'accept')).status, 404);
    const declined = await answer(path, 'decline');
    assert.equal(declined.status, 200, declined.text);
    assert.match(declined.text, /Invitation declined/);
    assert.equal((await world.api('GET', `/organization-memberships/${membershipId}`, world.ownerToken)).status, 404);
  });
});
