import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { forEachDatabase } from '../../test/harness.js';
import { prepared } from './prepared.js';

forEachDatabase('prepared statements', (server) => {
  it('runs a marked query as a named prepared statement on PostgreSQL, an unmarked one unnamed, with the same results', async () => {
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
      if (server.database.kind === 'postgres') {
        assert.equal(added.length, 1, JSON.stringify(added));
        assert.match(added[0] as string, /where "name" = \$1 \/\* prepared \*\/$/);
      } else {
        assert.deepEqual(added, []);
      }
    });
    assert.deepEqual(await byName('no-such-organization').execute(), []);
  });
});
