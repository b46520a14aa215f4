import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { eventually } from '../../test/fixtures.js';
import { createPostgresDatabase, PG_URL_ENV } from '../../test/harness.js';
import { randomBase58 } from '../ids.js';
import type { Database } from './database.js';

/** Waits until `condition` holds, checking every 20 ms, failing after five seconds. */
const until = (condition: () => boolean | Promise<boolean>, what: string) => eventually(condition, Boolean, what, { timeoutMs: 5_000, intervalMs: 20 });

// PGlite listens on its one in-process connection: there is no session to lose.
describe('LISTEN on PostgreSQL', { skip: !process.env[PG_URL_ENV] && 'needs the PostgreSQL test server' }, () => {
  let database: Database;
  let drop: () => Promise<void>;
  before(async () => {
    ({ database, drop } = await createPostgresDatabase());
  });
  after(async () => {
    await database.close();
    await drop();
  });

  it('opens a lost session again, tells the listener once for what it may have missed, then hears notifications again; none after unlisten', async () => {
    const channel = `terrace_test_${randomBase58(8).toLowerCase()}`;
    const sessions = async () =>
      (
        await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and query = ${`LISTEN "${channel}"`}`.execute(
          database.db,
        )
      ).rows.map((row) => row.pid);
    let heard = 0;
    const unlisten = await database.listen(channel, () => {
      heard++;
    });
    const notify = () => sql`select pg_notify(${channel}, '')`.execute(database.db);
    await notify();
    await until(() => heard === 1, 'heard');

    const [lost] = await sessions();
    assert.ok(lost, 'one listening session');
    await sql`select pg_terminate_backend(${lost}::int)`.execute(database.db);
    await until(() => heard === 2, 'told of the reconnect');
    const [reopened] = await sessions();
    assert.ok(reopened !== undefined && reopened !== lost, `a new session: ${reopened} after ${lost}`);
    await notify();
    await until(() => heard === 3, 'heard on the new session');

    await unlisten();
    await until(async () => (await sessions()).length === 0, 'closed');
    await notify();
    await sleep(300);
    assert.equal(heard, 3, 'nothing after unlisten');
  });
});
