import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { CSRF_FIELD } from './components.js';
import { SESSION_COOKIE } from './session-hook.js';
import { TEST_PASSWORD, WebClient } from './testing.js';

forEachDatabase('web account pages', (server) => {
  /** A new user signed in in a new browser. */
  async function signedIn(): Promise<{ web: WebClient; csrf: string; user: { id: string; username: string; token: string } }> {
    const user = await server.createUser({ password: TEST_PASSWORD });
    const web = new WebClient(server);
    return { web, csrf: await web.signIn(user.username), user };
  }

  async function account(token: string): Promise<{ status: number; username?: string; email?: string }> {
    const res = await server.api('GET', '/api/v2/account/details', { token });
    return { status: res.status, username: res.body?.data?.attributes?.username, email: res.body?.data?.attributes?.email };
  }

  describe('profile', () => {
    it('sends a signed-out browser to sign in', async () => {
      const res = await new WebClient(server).get('/app/account/profile');
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), `/app/sign-in?next=${encodeURIComponent('/app/account/profile')}`);
    });

    it('shows the profile and changes username and email through the account service', async () => {
      const { web, csrf, user } = await signedIn();
      const page = await web.get('/app/account/profile');
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(`name="username" value="${user.username}"`));
      assert.match(page.text, new RegExp(`href="/app/account/profile" class="account">${user.username}<`));

      const bad = await web.post('/app/account/profile', { [CSRF_FIELD]: csrf, username: user.username, email: 'not an email' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /role="alert">[^<]*email/);
      assert.equal((await web.post('/app/account/profile', { username: `${user.username}x`, email: 'new@example.com' })).status, 403);
      assert.equal((await account(user.token)).username, user.username);

      const renamed = `${user.username}x`;
      const res = await web.post('/app/account/profile', { [CSRF_FIELD]: csrf, username: renamed, email: `${renamed}@example.com` });
      assert.equal(res.status, 303, res.text);
      assert.deepEqual(await account(user.token), { status: 200, username: renamed, email: `${renamed}@example.com` });
      assert.match((await web.get('/app/account/profile')).text, new RegExp(`class="account">${renamed}<`));
    });
  });

  describe('password', () => {
    it('refuses a wrong current password and keeps the session', async () => {
      const { web, csrf } = await signedIn();
      const res = await web.post('/app/account/password', {
        [CSRF_FIELD]: csrf,
        'current-password': 'not the password',
        password: 'a new long password',
        'password-confirmation': 'a new long password',
      });
      assert.equal(res.status, 422);
      assert.match(res.text, /current_password is incorrect/);
      assert.equal((await web.get('/app')).status, 200);
    });

    it('changes the password, ends every session and shows the sign-in page; the new password signs in', async () => {
      const { web, csrf, user } = await signedIn();
      const other = new WebClient(server);
      await other.signIn(user.username);
      const fields = { 'current-password': TEST_PASSWORD, password: 'a new long password', 'password-confirmation': 'a new long password' };
      assert.equal((await web.post('/app/account/password', fields)).status, 403);
      const res = await web.post('/app/account/password', { [CSRF_FIELD]: csrf, ...fields });
      assert.equal(res.status, 303, res.text);
      assert.equal(res.headers.get('location'), '/app/sign-in');
      assert.equal(web.cookies.has(SESSION_COOKIE), false);
      assert.equal((await web.get('/app/sign-in')).status, 200);
      assert.equal((await other.get('/app')).status, 303, 'the other browser is signed out too');
      assert.equal((await server.database.db.selectFrom('web_sessions').select('id').where('user_id', '=', user.id).execute()).length, 0);
      await new WebClient(server).signIn(user.username, 'a new long password');
    });
  });

  describe('tokens', () => {
    it('creates a user token shown once, which works as a bearer token until revoked', async () => {
      const { web, csrf, user } = await signedIn();
      const res = await web.post('/app/account/tokens', { [CSRF_FIELD]: csrf, description: 'laptop <cli>', 'expires-on': '2999-06-01' });
      assert.equal(res.status, 200, res.text);
      const secret = /id="new-token" readonly value="([^"]+)"/.exec(res.text)?.[1] ?? '';
      assert.ok(secret);
      const page = await web.get('/app/account/tokens');
      assert.match(page.text, /<td>laptop &lt;cli><\/td>/);
      assert.match(page.text, /2999-06-01 00:00 UTC/);
      assert.doesNotMatch(page.text, new RegExp(secret));
      assert.deepEqual(await account(secret), { status: 200, username: user.username, email: `${user.username}@example.com` });

      for (const expiry of ['2001-01-01', 'soon']) {
        const refused = await web.post('/app/account/tokens', { [CSRF_FIELD]: csrf, 'expires-on': expiry });
        assert.equal(refused.status, 422, expiry);
        assert.match(refused.text, /role="alert"/);
      }
      assert.equal((await web.post('/app/account/tokens', { description: 'no csrf' })).status, 403);

      const tokenId = /laptop &lt;cli><\/td>.*?tokens\/(at-[^/]+)\/revoke/s.exec(page.text)?.[1] ?? '';
      const stranger = await signedIn();
      assert.equal((await stranger.web.post(`/app/account/tokens/${tokenId}/revoke`, { [CSRF_FIELD]: stranger.csrf })).status, 404);
      assert.equal((await account(secret)).status, 200);
      assert.equal((await web.post(`/app/account/tokens/${tokenId}/revoke`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.equal((await account(secret)).status, 401);
      assert.doesNotMatch((await web.get('/app/account/tokens')).text, /laptop/);
    });
  });
});
