import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { sha256 } from '../auth/secrets.js';
import * as logStore from '../runs/log-store.js';
import * as runnerService from '../runs/runner-service.js';
import { ONE_ADDED, RunWorld } from '../runs/testing.js';
import { CSRF_FIELD } from './components.js';
import { SESSION_COOKIE } from './session-hook.js';
import { csrfTokenIn, readOnlyUser, TEST_PASSWORD, WebClient } from './testing.js';

forEachDatabase('web UI', (server) => {
  const world = new RunWorld(server);
  let owner = '';
  before(async () => {
    await world.setUp();
    owner = await server.givePassword(world.ownerId, TEST_PASSWORD);
  });

  /** A run of a new workspace, planned with a coloured log line that needs escaping, waiting for confirmation. */
  async function plannedRun(): Promise<{ ws: any; runId: string }> {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    await world.claim(run.id);
    const planId = run.relationships.plan.data.id;
    await logStore.appendChunk(server.database.db, { id: planId, runId: run.id }, 0, { offset: 0, data: Buffer.from('\x1b[32m+ create\x1b[0m <b>\n') });
    await runnerService.finishPlan(world.runner(), run.id, { hasChanges: true, counts: ONE_ADDED });
    return { ws, runId: run.id };
  }

  const readOnlyMember = (workspaceId: string) => readOnlyUser(server, world.orgId, workspaceId);

  describe('sessions', () => {
    it('sends a signed-out browser to the sign-in page, and back after it', async () => {
      const web = new WebClient(server);
      assert.equal((await web.get('/')).headers.get('location'), '/app');
      const page = await web.get(`/app/${world.org}/workspaces`);
      assert.equal(page.status, 303);
      assert.equal(page.headers.get('location'), `/app/sign-in?next=${encodeURIComponent(`/app/${world.org}/workspaces`)}`);
      const form = await web.get(page.headers.get('location') ?? '');
      const signIn = await web.post('/app/sign-in', {
        [CSRF_FIELD]: csrfTokenIn(form.text),
        next: `/app/${world.org}/workspaces`,
        username: owner,
        password: TEST_PASSWORD,
      });
      assert.equal(signIn.status, 303, signIn.text);
      assert.equal(signIn.headers.get('location'), `/app/${world.org}/workspaces`);
      const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
      assert.match(cookie, /; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=43200$/);
    });

    it('refuses a wrong password without a session', async () => {
      const web = new WebClient(server);
      const form = await web.get('/app/sign-in');
      const res = await web.post('/app/sign-in', { [CSRF_FIELD]: csrfTokenIn(form.text), next: '/app', username: owner, password: 'wrong password!' });
      assert.equal(res.status, 401);
      assert.match(res.text, /Invalid username or password/);
      assert.equal(web.cookies.has(SESSION_COOKIE), false);
      assert.equal((await web.get('/app')).status, 303);
    });

    it('stores only a hash of the session id, and signing out revokes the session', async () => {
      const web = new WebClient(server);
      const csrf = await web.signIn(owner);
      const secret = web.cookies.get(SESSION_COOKIE) ?? '';
      const rows = await server.database.db.selectFrom('web_sessions').selectAll().where('user_id', '=', world.ownerId).execute();
      assert.ok(rows.some((row) => row.secret_hash === sha256(secret)));
      assert.ok(rows.every((row) => row.secret_hash !== secret && row.id !== secret));
      assert.match((await web.get('/app')).text, new RegExp(world.org));

      const out = await web.post('/app/sign-out', { [CSRF_FIELD]: csrf });
      assert.equal(out.status, 303);
      assert.equal(web.cookies.has(SESSION_COOKIE), false);
      // The old cookie, replayed, signs no one in: the session is gone from the table.
      web.cookies.set(SESSION_COOKIE, secret);
      assert.equal((await web.get('/app')).status, 303);
      assert.equal((await server.database.db.selectFrom('web_sessions').select('id').where('secret_hash', '=', sha256(secret)).execute()).length, 0);
    });

    it('ends every web session of a user whose password changes', async () => {
      const user = await server.createUser({ password: TEST_PASSWORD });
      const web = new WebClient(server);
      await web.signIn(user.username);
      assert.equal((await web.get('/app')).status, 200);
      const changed = await server.api('PATCH', '/api/v2/account/password', {
        token: user.token,
        body: {
          data: {
            type: 'users',
            attributes: { current_password: TEST_PASSWORD, password: 'a new long password', password_confirmation: 'a new long password' },
          },
        },
      });
      assert.equal(changed.status, 200, changed.text);
      // The cookie of the old password signs no one in any more.
      assert.equal((await web.get('/app')).status, 303);
      assert.equal((await server.database.db.selectFrom('web_sessions').select('id').where('user_id', '=', user.id).execute()).length, 0);
    });

    it('refuses every post without the session CSRF token with 403', async () => {
      const web = new WebClient(server);
      const csrf = await web.signIn(owner);
      const { ws, runId } = await plannedRun();
      const action = `/app/${world.org}/workspaces/${ws.attributes.name}/runs/${runId}/actions/discard`;
      assert.equal((await web.post('/app/sign-out', {})).status, 403);
      assert.equal((await web.post('/app/sign-out', { [CSRF_FIELD]: `${csrf}x` })).status, 403);
      const refused = await web.post(action, {});
      assert.equal(refused.status, 403);
      assert.match(refused.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(await world.status(runId), 'planned');
      // Another browser's sign-in form token is not this one's.
      assert.equal((await new WebClient(server).post('/app/sign-in', { [CSRF_FIELD]: csrf, username: owner, password: TEST_PASSWORD })).status, 403);
      assert.equal((await web.post(action, { [CSRF_FIELD]: csrf })).status, 303);
      assert.equal(await world.status(runId), 'discarded');
    });

    it('never authenticates an API request with the session cookie', async () => {
      const web = new WebClient(server);
      await web.signIn(owner);
      const cookie = `${SESSION_COOKIE}=${web.cookies.get(SESSION_COOKIE)}`;
      const res = await server.api('GET', `/api/v2/organizations/${world.org}`, { headers: { cookie } });
      assert.equal(res.status, 401, res.text);
      const withToken = await server.api('GET', `/api/v2/organizations/${world.org}`, { token: world.ownerToken, headers: { cookie } });
      assert.equal(withToken.status, 200);
    });
  });

  describe('pages', () => {
    it('lists organizations and workspaces with search and pages, and escapes what users wrote', async () => {
      const web = new WebClient(server);
      await web.signIn(owner);
      const prefix = unique('web');
      for (const n of [1, 2, 3]) await world.createWorkspace({ name: `${prefix}-${n}`, description: '<script>alert(1)</script>' });
      assert.match((await web.get('/app')).text, new RegExp(`href="/app/${world.org}/workspaces"`));
      const found = await web.get(`/app/${world.org}/workspaces?search=${prefix}`);
      assert.equal(found.status, 200);
      assert.equal([...found.text.matchAll(new RegExp(`>${prefix}-\\d<`, 'g'))].length, 3);
      assert.doesNotMatch((await web.get(`/app/${world.org}/workspaces?search=${prefix}-2`)).text, new RegExp(`${prefix}-1`));
      const overview = await web.get(`/app/${world.org}/workspaces/${prefix}-1`);
      assert.equal(overview.status, 200);
      assert.match(overview.text, /&lt;script>alert\(1\)&lt;\/script>/);
      assert.doesNotMatch(overview.text, /<script>alert/);
      assert.match(overview.text, /id="lock-state">Unlocked/);
      assert.match(overview.text, /id="resource-count">0</);
      assert.match(overview.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    });

    it('pages through long workspace lists, keeping the search', async () => {
      const web = new WebClient(server);
      await web.signIn(owner);
      const prefix = unique('many');
      for (let n = 10; n < 31; n++) await world.insertWorkspace(undefined, undefined, `${prefix}-${n}`);
      const first = await web.get(`/app/${world.org}/workspaces?search=${prefix}`);
      assert.match(first.text, /Page 1 of 2/);
      assert.equal([...first.text.matchAll(new RegExp(`>${prefix}-\\d+<`, 'g'))].length, 20);
      assert.match(first.text, new RegExp(`href="/app/${world.org}/workspaces\\?search=${prefix}&page=2"`));
      const second = await web.get(`/app/${world.org}/workspaces?search=${prefix}&page=2`);
      assert.deepEqual(
        [...second.text.matchAll(new RegExp(`>(${prefix}-\\d+)<`, 'g'))].map((m) => m[1]),
        [`${prefix}-30`],
      );
    });

    it('shows a user outside the organization a 404 page for its pages', async () => {
      const { ws, runId } = await plannedRun();
      const stranger = await server.createUser({ password: TEST_PASSWORD });
      const web = new WebClient(server);
      await web.signIn(stranger.username);
      const base = `/app/${world.org}/workspaces`;
      for (const path of [base, `${base}/${ws.attributes.name}`, `${base}/${ws.attributes.name}/runs`, `${base}/${ws.attributes.name}/runs/${runId}`]) {
        const res = await web.get(path);
        assert.equal(res.status, 404, path);
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(res.text, /Not found/);
      }
    });

    it('shows the confirm button only to those who may apply', async () => {
      const { ws, runId } = await plannedRun();
      const path = `/app/${world.org}/workspaces/${ws.attributes.name}/runs/${runId}`;
      const reader = new WebClient(server);
      await reader.signIn(await readOnlyMember(ws.id));
      const seen = await reader.get(path);
      assert.equal(seen.status, 200, seen.text);
      assert.match(seen.text, /planned/);
      assert.doesNotMatch(seen.text, /Confirm &amp; apply|actions\/apply/);
      assert.equal((await reader.post(`${path}/actions/apply`, { [CSRF_FIELD]: csrfTokenIn(seen.text) })).status, 404);
      assert.equal(await world.status(runId), 'planned');

      const web = new WebClient(server);
      await web.signIn(owner);
      const page = await web.get(path);
      assert.match(page.text, /Confirm &amp; apply/);
      assert.match(page.text, /\+1/);
      const confirmed = await web.post(`${path}/actions/apply`, { [CSRF_FIELD]: csrfTokenIn(page.text) });
      assert.equal(confirmed.status, 303);
      assert.equal(confirmed.headers.get('location'), path);
      assert.equal(await world.status(runId), 'apply_queued');
    });

    it('takes the CLI to the run page from the address it prints', async () => {
      const { ws, runId } = await plannedRun();
      const web = new WebClient(server);
      const res = await web.get(`/app/${world.org}/${ws.attributes.name}/runs/${runId}`);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), `/app/${world.org}/workspaces/${ws.attributes.name}/runs/${runId}`);
    });

    it('streams the run: summary, the log with its colours escaped, then done once the run is over', async () => {
      const { ws, runId } = await plannedRun();
      const web = new WebClient(server);
      const csrf = await web.signIn(owner);
      const path = `/app/${world.org}/workspaces/${ws.attributes.name}/runs/${runId}`;
      assert.equal((await web.post(`${path}/actions/discard`, { [CSRF_FIELD]: csrf })).status, 303);
      const stream = await web.get(`${path}/events`);
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.match(stream.text, /event: summary\ndata: .*discarded/);
      assert.match(stream.text, /event: plan-log\nid: 22\.0\ndata: <span class="ansi-fg-green">\+ create<\/span> &lt;b>\n/);
      assert.match(stream.text, /event: done\n/);
      assert.doesNotMatch(stream.text, /Discard run/);
    });
    // Last: it closes the server.
    it('ends open event streams when the server closes, instead of waiting for the runs', { timeout: 20_000 }, async () => {
      const { ws, runId } = await plannedRun();
      const web = new WebClient(server);
      await web.signIn(owner);
      const stream = web.get(`/app/${world.org}/workspaces/${ws.attributes.name}/runs/${runId}/events`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const closed = await Promise.race([server.app.close().then(() => true), new Promise((resolve) => setTimeout(resolve, 10_000, false))]);
      assert.equal(closed, true, 'the server closed although a run page was open');
      const res = await stream;
      assert.equal(res.status, 200);
      assert.match(res.text, /event: plan-log/);
      assert.doesNotMatch(res.text, /event: done/, 'the run waits for confirmation: only the shutdown ended the stream');
    });
  });
});
