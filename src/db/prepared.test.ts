import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { forEachDatabase } from '../../test/harness.js';
import type { Db } from './database.js';
import { PREPARED_STATEMENTS_KEPT } from './pglite-pool.js';
import { prepared } from './prepared.js';

forEachDatabase('prepared statements', (server) => {
  it('runs a marked query as a named prepared statement, an unmarked one unnamed on PostgreSQL (prepared too on PGlite), with the same results', async () => {
    const db = server.database.db;
    const org = await db.selectFrom('organizations').select(['id', 'name']).executeTakeFirst();
    const byName = (name: string) => db.selectFrom('organizations').select('id').where('name', '=', name);
    await db.transaction().execute(async (trx) => {
      // One transaction: one connection, whose prepared statements PostgreSQL lists.
      const named = async () => (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(trx)).rows.map((r) => r.statement);
      const before = await named();
      const query = (name: string) => prepared(trx.selectFrom('organizations').select('id').where('name', '=', name));
      assert.deepEqual(await query(org?.name ?? 'none').execute(), org ? [{ id: org.id }] : []);
      assert.deepEqual(await query('no-such-organization').execute(), []);
      await trx.selectFrom('organizations').select('id').where('name', '=', 'unmarked').execute();
      const added = (await named()).filter((statement) => !before.includes(statement));
      assert.equal(added.length, server.kind === 'pglite' ? 2 : 1, JSON.stringify(added));
      assert.ok(
        added.some((statement) => / where "name" = \$1 \/\* prepared \*\/$/.test(statement)),
        JSON.stringify(added),
      );
    });
    assert.deepEqual(await byName('no-such-organization').execute(), []);
  });

  it("reports a prepared statement's error and leaves the connection usable; dates, numbers and nulls as parameters", async () => {
    const db = server.database.db;
    const failing = (text: string) => prepared(db.selectNoFrom(sql<number>`${text}::int`.as('n')));
    await assert.rejects(failing('not a number').execute(), /invalid input syntax for type integer/);
    assert.deepEqual(await failing('42').execute(), [{ n: 42 }]);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const row = await prepared(
      db.selectNoFrom([sql<Date>`${at}::timestamptz`.as('at'), sql<number>`${7}::int + 1`.as('eight'), sql<string | null>`${null}::text`.as('none')]),
    ).executeTakeFirstOrThrow();
    assert.deepEqual(row, { at, eight: 8, none: null });
  });

  it("reads every execution's rows as the unmarked query does: column names and types (json, arrays, booleans, counts, nulls)", async () => {
    const db = server.database.db;
    const query = (name: string) =>
      db.selectNoFrom([
        sql<Record<string, unknown>>`jsonb_build_object('name', ${name}::text, 'n', 1)`.as('settings'),
        sql<string[]>`array['a', ${name}::text]`.as('tags'),
        sql<boolean>`${name}::text = 'one'`.as('first'),
        sql<number>`(select count(*) from organizations)`.as('organizations'),
        sql<Date>`timestamptz '2026-01-02T03:04:05Z'`.as('at'),
        sql<string | null>`null::text`.as('none'),
      ]);
    for (const name of ['one', 'two', 'three']) {
      const unmarked = await query(name).executeTakeFirstOrThrow();
      assert.deepEqual(await prepared(query(name)).executeTakeFirstOrThrow(), unmarked, name);
      assert.deepEqual(unmarked.tags, ['a', name]);
      assert.equal(unmarked.first, name === 'one');
    }
  });

  it('keeps a bounded number of statements prepared on PGlite, closing the least recently used; a closed one is prepared again', async () => {
    const db = server.database.db;
    // A statement of its own per number: its SQL names the number too.
    const numbered = (handle: Db, n: number) => handle.selectNoFrom(sql<number>`${n}::int + ${sql.raw(String(n))}`.as('n'));
    await db.transaction().execute(async (trx) => {
      const count = async () => Number((await sql<{ n: string }>`select count(*) as n from pg_prepared_statements`.execute(trx)).rows[0]?.n);
      for (let n = 0; n < PREPARED_STATEMENTS_KEPT + 20; n++) assert.deepEqual(await numbered(trx, n).execute(), [{ n: 2 * n }]);
      const held = await count();
      if (server.kind === 'pglite') assert.ok(held <= PREPARED_STATEMENTS_KEPT, `${held} statements prepared`);
      else assert.ok(held < 20, `${held}: PostgreSQL prepares only marked statements`);
    });
    assert.deepEqual(await numbered(db, 0).execute(), [{ n: 0 }], 'the first, closed long ago, runs again');
  });
});
