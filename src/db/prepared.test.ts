import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { forEachDatabase } from '../../test/harness.js';
import { prepared } from './prepared.js';

forEachDatabase('prepared statements', (server) => {
  it('runs a marked query as a named prepared statement, an unmarked one unnamed, with the same results', async () => {
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
      assert.equal(added.length, 1, JSON.stringify(added));
      assert.match(added[0] as string, /where "name" = \$1 \/\* prepared \*\/$/);
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
});
