import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, it } from 'node:test';
import { hiddenFields, signInWithBrowser } from '../../test/cli/browser.js';
import { forEachDatabase } from '../../test/harness.js';
import { CODE_LIFETIME_MS, TOKEN_DESCRIPTION } from './service.js';

const AUTHORIZE = '/app/oauth2/authorize';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PASSWORD = 'correct horse battery';

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The query the CLI sends (cli-protocol.md §7), with overrides; an undefined override drops the parameter. */
function authorizeParams(challenge: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    client_id: 'terraform-cli',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    redirect_uri: 'http://localhost:10003/login',
    response_type: 'code',
    state: '5d1b8bcb-6b0a-4a4e-9d7e-2f7c9f1e2a10',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

let clockOffsetMs = 0;

forEachDatabase(
  'terraform login (OAuth authorization code + PKCE)',
  (server) => {
    let user: { id: string; username: string; token: string };
    before(async () => {
      user = await server.createUser({ password: PASSWORD });
    });

    const countCodes = async (): Promise<number> =>
      Number(
        (
          await server.database.db
            .selectFrom('oauth_codes')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      server.api('POST', path, { body: new URLSearchParams(fields).toString(), headers: { ...FORM, ...headers } });

    /** Signs in through the form as a browser would; returns the redirect's code and state. */
    async function signIn(params: Record<string, string>): Promise<{ code: string; state: string | null; location: URL }> {
      const location = await signInWithBrowser(server, `${server.url}${AUTHORIZE}?${new URLSearchParams(params)}`, user.username, PASSWORD);
      return { code: location.searchParams.get('code') ?? '', state: location.searchParams.get('state'), location };
    }

    function exchange(code: string, verifier: string, overrides: Record<string, string> = {}) {
      return postForm('/oauth2/token', {
        client_id: 'terraform-cli',
        code,
        code_verifier: verifier,
        grant_type: 'authorization_code',
        redirect_uri: 'http://localhost:10003/login',
        ...overrides,
      });
    }

    it('runs the whole flow: form, sign-in, redirect with code and state, token exchange, working token', async () => {
      const { verifier, challenge } = pkce();
      const params = authorizeParams(challenge);
      const form = await server.api('GET', `${AUTHORIZE}?${new URLSearchParams(params)}`);
      assert.equal(form.status, 200);
      assert.match(form.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
      assert.equal(form.headers.get('x-frame-options'), 'DENY');
      assert.match(form.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.match(form.text, /<button type="submit">Authorize Terraform CLI<\/button>/);
      assert.match(form.text, /name="username"/);
      assert.match(form.text, /name="password"/);
      assert.deepEqual(hiddenFields(form.text), params);

      const { code, state, location } = await signIn(params);
      assert.equal(`${location.origin}${location.pathname}`, 'http://localhost:10003/login');
      assert.equal(state, params.state);
      assert.match(code, /^[A-Za-z0-9_-]{43}$/);

      const res = await exchange(code, verifier);
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'token_type']);
      assert.equal(res.body.token_type, 'bearer');

      const token: string = res.body.access_token;
      const orgs = await server.api('GET', '/api/v2/organizations', { token });
      assert.equal(orgs.status, 200, orgs.text);
      const created = await server.api('POST', '/api/v2/organizations', {
        token,
        body: { data: { type: 'organizations', attributes: { name: `login-${user.username}`, email: 'o@example.com' } } },
      });
      assert.equal(created.status, 201, created.text);

      const rows = await server.database.db
        .selectFrom('tokens')
        .select(['user_id', 'description', 'kind'])
        .where('description', '=', TOKEN_DESCRIPTION)
        .execute();
      assert.deepEqual(rows, [{ user_id: user.id, description: TOKEN_DESCRIPTION, kind: 'user' }]);
      assert.equal(await countCodes(), 0, 'the code is deleted once used');
    });

    it('refuses to exchange a code twice', async () => {
      const { verifier, challenge } = pkce();
      const { code } = await signIn(authorizeParams(challenge));
      assert.equal((await exchange(code, verifier)).status, 200);
      const again = await exchange(code, verifier);
      assert.equal(again.status, 400);
      assert.equal(again.body.error, 'invalid_grant');
    });

    it('refuses a wrong code_verifier, and the code is spent by the attempt', async () => {
      const { verifier, challenge } = pkce();
      const { code } = await signIn(authorizeParams(challenge));
      const wrong = await exchange(code, pkce().verifier);
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.body, { error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' });
      assert.equal((await exchange(code, verifier)).body.error, 'invalid_grant');
    });

    it('refuses an expired code', async () => {
      const { verifier, challenge } = pkce();
      const { code } = await signIn(authorizeParams(challenge));
      clockOffsetMs = CODE_LIFETIME_MS + 1000;
      try {
        const res = await exchange(code, verifier);
        assert.equal(res.status, 400);
        assert.deepEqual(res.body, { error: 'invalid_grant', error_description: 'the authorization code has expired' });
      } finally {
        clockOffsetMs = 0;
      }
    });

    it('refuses a redirect_uri other than the one of the authorization request', async () => {
      const { verifier, challenge } = pkce();
      const { code } = await signIn(authorizeParams(challenge));
      const res = await exchange(code, verifier, { redirect_uri: 'http://localhost:10004/login' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { error: 'invalid_grant', error_description: 'redirect_uri differs from the authorization request' });
    });

    it('answers malformed token requests with RFC 6749 errors', async () => {
      const { verifier, challenge } = pkce();
      const { code } = await signIn(authorizeParams(challenge));
      const cases: Array<[Record<string, string>, string]> = [
        [{ client_id: 'other-cli' }, 'invalid_client'],
        [{ grant_type: 'password' }, 'unsupported_grant_type'],
        [{ code_verifier: 'short' }, 'invalid_request'],
        [{ code: '' }, 'invalid_request'],
      ];
      for (const [overrides, error] of cases) {
        const res = await exchange(code, verifier, overrides);
        assert.equal(res.status, 400, JSON.stringify(overrides));
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(res.body.error, error, JSON.stringify(overrides));
      }
      const repeated = await server.api('POST', '/oauth2/token', {
        body: `grant_type=authorization_code&client_id=terraform-cli&client_id=terraform-cli&code=${code}`,
        headers: FORM,
      });
      assert.deepEqual(repeated.body, { error: 'invalid_request', error_description: 'client_id must be given once' });
      const plain = await server.api('POST', '/oauth2/token', { body: 'code=x', headers: { 'content-type': 'text/plain' } });
      assert.equal(plain.status, 400);
      assert.equal(plain.body.error, 'invalid_request');
      const empty = await server.api('POST', '/oauth2/token');
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error, 'invalid_request');
      // None of the malformed requests spent the code.
      assert.equal((await exchange(code, verifier)).status, 200);
    });

    it('shows a 400 page, never a redirect, for a bad authorization request', async () => {
      const { challenge } = pkce();
      const bad: Array<Record<string, string | undefined>> = [
        { client_id: 'other-cli' },
        { client_id: undefined },
        { response_type: 'token' },
        { code_challenge_method: 'plain' },
        { code_challenge: undefined },
        { code_challenge: 'too-short' },
        { redirect_uri: undefined },
        { redirect_uri: 'https://evil.example/login' },
        { redirect_uri: 'http://evil.example:10003/login' },
        { redirect_uri: 'http://localhost:10003@evil.example/login' },
        { redirect_uri: 'http://localhost/login' },
        { redirect_uri: 'http://localhost:9999/login' },
        { redirect_uri: 'http://localhost:10011/login' },
        { redirect_uri: 'https://localhost:10003/login' },
        { redirect_uri: 'not a url' },
        { state: 'x'.repeat(513) },
      ];
      for (const overrides of bad) {
        const res = await server.api('GET', `${AUTHORIZE}?${new URLSearchParams(authorizeParams(challenge, overrides))}`);
        assert.equal(res.status, 400, JSON.stringify(overrides));
        assert.equal(res.headers.get('location'), null);
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(res.text, /Invalid login request/);
      }
      const twice = await server.api('GET', `${AUTHORIZE}?${new URLSearchParams(authorizeParams(challenge))}&client_id=terraform-cli`);
      assert.equal(twice.status, 400);
      assert.match(twice.text, /client_id must be given once/);
    });

    it('accepts a 127.0.0.1 callback and keeps its query string', async () => {
      const { verifier, challenge } = pkce();
      const redirect = 'http://127.0.0.1:10010/cb?x=1';
      const { code, location } = await signIn(authorizeParams(challenge, { redirect_uri: redirect }));
      assert.equal(location.searchParams.get('x'), '1');
      assert.equal((await exchange(code, verifier, { redirect_uri: redirect })).status, 200);
    });

    it('escapes every echoed value in the form', async () => {
      const { challenge } = pkce();
      const state = '"><script>alert(1)</script>&';
      const res = await server.api('GET', `${AUTHORIZE}?${new URLSearchParams(authorizeParams(challenge, { state }))}`);
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.text, /<script>/);
      assert.match(res.text, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&amp;"/);
      assert.equal(hiddenFields(res.text).state, state);
    });

    it('rejects wrong credentials with the form again and issues no code', async () => {
      const { challenge } = pkce();
      const fields = authorizeParams(challenge);
      const before = await countCodes();
      const attempts = [
        { username: user.username, password: 'wrong password' },
        { username: 'nobody-here', password: PASSWORD },
        { username: 'admin', password: '' },
        { username: '<b>x</b>', password: '' },
      ];
      for (const credentials of attempts) {
        const res = await postForm(AUTHORIZE, { ...fields, ...credentials });
        assert.equal(res.status, 401, credentials.username);
        assert.equal(res.headers.get('location'), null);
        assert.match(res.text, /Invalid username or password\./);
        assert.doesNotMatch(res.text, /<b>x<\/b>/);
        assert.deepEqual(hiddenFields(res.text), fields, 'the form keeps the request parameters');
      }
      assert.equal(await countCodes(), before);
    });

    it('does not issue a code for a bad request even with good credentials', async () => {
      const { challenge } = pkce();
      const before = await countCodes();
      for (const overrides of [{ redirect_uri: 'https://evil.example/login' }, { client_id: 'other-cli' }, { code_challenge_method: 'plain' }]) {
        const res = await postForm(AUTHORIZE, { ...authorizeParams(challenge, overrides), username: user.username, password: PASSWORD });
        assert.equal(res.status, 400, JSON.stringify(overrides));
        assert.equal(res.headers.get('location'), null);
      }
      assert.equal(await countCodes(), before);
    });

    it('refuses a sign-in posted from another site', async () => {
      const { challenge } = pkce();
      const before = await countCodes();
      const fields = { ...authorizeParams(challenge), username: user.username, password: PASSWORD };
      const res = await postForm(AUTHORIZE, fields, { origin: 'https://evil.example' });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('location'), null);
      assert.equal(await countCodes(), before);
      const sameSite = await postForm(AUTHORIZE, fields, { origin: server.url });
      assert.equal(sameSite.status, 302);
    });

    it('serves the token page that the paste fallback points to', async () => {
      const res = await server.api('GET', '/app/settings/tokens?source=terraform-login');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(res.text, /terrace token create --user NAME/);
    });
  },
  { now: () => new Date(Date.now() + clockOffsetMs) },
);
