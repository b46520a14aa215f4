import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { sql } from 'kysely';
import { forEachDatabase } from '../test/harness.js';
import { RunWorld } from './runs/testing.js';

const lines: string[] = [];

forEachDatabase(
  'request logging',
  (server) => {
    it('writes one JSON line per request with status and duration, and never the token', async () => {
      lines.length = 0;
      await server.api('GET', '/api/v2/ping?secret=abc', { token: server.adminToken });
      await server.api('GET', '/api/v2/nowhere', { token: server.bootstrapToken });
      const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
      assert.equal(requests.length, 2);
      assert.deepEqual(
        requests.map((r) => [r.method, r.path, r.status]),
        [
          ['GET', '/api/v2/ping', 204],
          ['GET', '/api/v2/nowhere', 404],
        ],
      );
      assert.ok(requests.every((r) => typeof r.durationMs === 'number'));
      const admin = await server.database.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow();
      assert.deepEqual(
        requests.map((r) => r.subject),
        [`user:${admin.id}`, `user:${admin.id}`],
        'who asked (never the token)',
      );
      const all = lines.join('');
      assert.ok(!all.includes(server.adminToken) && !all.includes(server.bootstrapToken), 'a token reached the log');
      assert.ok(!all.includes('secret=abc'), 'a query string reached the log');
    });

    it('logs each status change of a run, and what the CLI polls during a run at debug level unless it failed', async () => {
      const world = new RunWorld(server);
      await world.setUp();
      const ws = await world.workspaceWithConfiguration();
      lines.length = 0;
      const run = await world.createRun(ws.id);
      const changes = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'run status' && l.runId === run.id);
      assert.deepEqual(
        changes.map((c) => [c.from, c.to, c.workspaceId, c.organizationId === world.orgId]),
        [
          [null, 'pending', ws.id, true],
          ['pending', 'plan_queued', ws.id, true],
        ],
        'a line per status change of the run',
      );
      assert.match(changes[0].actorId, /^user-/);
      lines.length = 0;
      assert.equal((await world.api('GET', `/runs/${run.id}`, world.ownerToken)).status, 200);
      assert.equal((await world.api('GET', `/runs/${run.id}/plan`, world.ownerToken)).status, 200);
      assert.equal((await world.api('GET', '/runs/run-nothing', world.ownerToken)).status, 404);
      assert.equal((await world.api('GET', `/workspaces/${ws.id}`, world.ownerToken)).status, 200);
      const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
      assert.deepEqual(
        requests.map((r) => [r.path, r.level]),
        [
          [`/api/v2/runs/${run.id}`, 20],
          [`/api/v2/runs/${run.id}/plan`, 20],
          ['/api/v2/runs/run-nothing', 30],
          [`/api/v2/workspaces/${ws.id}`, 30],
        ],
      );
    });

    it("logs an unhandled error with the statement's shape, never its parameters or the row, on a short line", async () => {
      const org = `log-${randomBytes(4).toString('hex')}`;
      const created = await server.api('POST', '/api/v2/organizations', {
        token: server.adminToken,
        body: { data: { type: 'organizations', attributes: { name: org, email: 'ops@example.com' } } },
      });
      assert.equal(created.status, 201, created.text);
      // A constraint the code does not expect: its violation reaches the error handler unmapped.
      await sql`ALTER TABLE variable_sets ADD CONSTRAINT logging_test_no_boom CHECK (name NOT LIKE 'boom%')`.execute(server.database.db);
      const secret = randomBytes(3000).toString('base64');
      lines.length = 0;
      const res = await server.api('POST', `/api/v2/organizations/${org}/varsets`, {
        token: server.adminToken,
        body: { data: { type: 'varsets', attributes: { name: 'boom', description: secret } } },
      });
      assert.equal(res.status, 500);
      assert.match(res.body.errors[0].detail, /request id/);
      const logged = lines.find((l) => l.includes('unhandled error'));
      assert.ok(logged, 'the error is logged');
      assert.ok(!lines.join('').includes(secret.slice(0, 40)), 'a parameter or the row reached the log');
      const { err } = JSON.parse(logged);
      assert.equal(err.code, '23514');
      assert.match(err.query, /insert into "variable_sets"/);
      assert.ok(logged.length < 8000, `a ${logged.length}-character line`);
      await sql`ALTER TABLE variable_sets DROP CONSTRAINT logging_test_no_boom`.execute(server.database.db);
    });
  },
  { logStream: { write: (line: string) => void lines.push(line) } },
);
