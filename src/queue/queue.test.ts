import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { claim, enqueue, fail, type JobHandler } from './queue.js';
import { QueueWorker } from './worker.js';

/** Resolves with the payloads of `count` calls to the returned handler. */
function recordingHandler(count: number): { handler: JobHandler; done: Promise<unknown[]> } {
  const payloads: unknown[] = [];
  let resolve!: (value: unknown[]) => void;
  const done = new Promise<unknown[]>((r) => {
    resolve = r;
  });
  return {
    handler: async (_ctx, payload) => {
      payloads.push(payload);
      if (payloads.length === count) resolve(payloads);
    },
    done,
  };
}

forEachDatabase('job queue', (server) => {
  test('a job enqueued in a rolled-back transaction does not exist', async () => {
    const kind = `rollback-${Date.now()}`;
    await assert.rejects(
      server.database.db.transaction().execute(async (trx) => {
        await enqueue(trx, kind, { n: 1 });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(await claim(server.database.db, [kind], 60), undefined);
  });

  test('NOTIFY wakes a worker at once; jobs leave the table when done', async () => {
    const kind = `notify-${Date.now()}`;
    const { handler, done } = recordingHandler(2);
    // A poll interval longer than the test: only the notification can wake the worker.
    const worker = new QueueWorker({ database: server.database, context: server.adminCtx(), handlers: { [kind]: handler }, pollMs: 600_000 });
    await worker.start();
    try {
      await server.database.db.transaction().execute(async (trx) => {
        await enqueue(trx, kind, { n: 1 });
        await enqueue(trx, kind, { n: 2 });
      });
      const payloads = await done;
      assert.deepEqual(payloads.map((p) => (p as { n: number }).n).sort(), [1, 2]);
    } finally {
      await worker.stop();
    }
    const left = await server.database.db.selectFrom('jobs').select('id').where('kind', '=', kind).execute();
    assert.deepEqual(left, []);
  });

  test('a job due later wakes the worker when it is due, with no notification or poll in between', async () => {
    const kind = `later-${Date.now()}`;
    const { handler, done } = recordingHandler(1);
    const worker = new QueueWorker({ database: server.database, context: server.adminCtx(), handlers: { [kind]: handler }, pollMs: 600_000 });
    await worker.start();
    try {
      const runAt = new Date(Date.now() + 400);
      // Its notification wakes the worker before the job is due: the worker finds nothing to claim yet.
      await enqueue(server.database.db, kind, { n: 1 }, { runAt });
      const late = sleep(10_000, undefined, { ref: false }).then(() => assert.fail('not run within 10 s of being due'));
      await Promise.race([done, late]);
      assert.ok(Date.now() >= runAt.getTime(), 'not run before it was due');
    } finally {
      await worker.stop();
    }
  });

  test('a claimed job is held for its lease, then claimable again; a due job is claimed oldest first', async () => {
    const kind = `lease-${Date.now()}`;
    const db = server.database.db;
    await enqueue(db, kind, { n: 1 });
    await enqueue(db, kind, { n: 2 });
    const first = await claim(db, [kind], 60);
    const second = await claim(db, [kind], 0);
    assert.deepEqual([first?.payload, second?.payload], [{ n: 1 }, { n: 2 }]);
    assert.equal(first?.attempts, 1);
    // The second lease (0 s) has run out, the first has not.
    await new Promise((r) => setTimeout(r, 20));
    const again = await claim(db, [kind], 60);
    assert.deepEqual(again?.payload, { n: 2 });
    assert.equal(again?.attempts, 2);
    assert.equal(await claim(db, [kind], 60), undefined);
  });

  test('a failing job is retried later, then marked failed after its last attempt', async () => {
    const kind = `failing-${Date.now()}`;
    let calls = 0;
    const handler: JobHandler = async () => {
      calls++;
      throw new Error('boom');
    };
    const worker = new QueueWorker({ database: server.database, context: server.adminCtx(), handlers: { [kind]: handler }, pollMs: 50 });
    await worker.start();
    try {
      await enqueue(server.database.db, kind, {}, { maxAttempts: 1 });
      for (let i = 0; i < 100 && calls === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await worker.stop();
    }
    assert.equal(calls, 1);
    const row = await server.database.db.selectFrom('jobs').selectAll().where('kind', '=', kind).executeTakeFirstOrThrow();
    assert.equal(row.last_error, 'boom');
    assert.ok(row.failed_at instanceof Date);
    assert.equal(await claim(server.database.db, [kind], 60), undefined);

    const retried = `retried-${Date.now()}`;
    await enqueue(server.database.db, retried, {}, { maxAttempts: 3 });
    const job = await claim(server.database.db, [retried], 60);
    assert.ok(job);
    await fail(server.database.db, job, 'transient');
    const scheduled = await server.database.db.selectFrom('jobs').selectAll().where('kind', '=', retried).executeTakeFirstOrThrow();
    assert.equal(scheduled.failed_at, null);
    assert.ok(scheduled.run_at.getTime() > Date.now(), 'the retry waits for its backoff');
  });
});
