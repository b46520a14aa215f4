import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createPgliteDatabase, createPostgresDatabase, forEachDatabase } from '../../test/harness.js';
import { buildApp } from '../app.js';

forEachDatabase('health and readiness', (server) => {
  it('answers /healthz and /readyz without a token, with each readiness check', async () => {
    const health = await server.api('GET', '/healthz');
    assert.equal(health.status, 200, health.text);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await server.api('GET', '/readyz');
    assert.equal(ready.status, 200, ready.text);
    assert.match(ready.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(ready.body, {
      status: 'ready',
      checks: [
        { name: 'database', ok: true },
        { name: 'migrations', ok: true },
        { name: 'blob store', ok: true },
      ],
    });
  });

  it('is not ready when its database is gone, and says why; /healthz still answers', async () => {
    const postgres = server.kind === 'postgres' ? await createPostgresDatabase() : undefined;
    const database = postgres?.database ?? (await createPgliteDatabase());
    const app = await buildApp({ db: database.db, config: server.config, blobs: server.blobs });
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      await database.close();
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503, res.body);
      const body = res.json();
      assert.equal(body.status, 'not ready');
      assert.deepEqual(
        body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]),
        [
          ['database', false],
          ['migrations', false],
          ['blob store', true],
        ],
      );
      assert.ok(body.checks[0].detail);
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await app.close();
      await postgres?.drop();
    }
  });
});
