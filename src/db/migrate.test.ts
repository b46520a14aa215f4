import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Client } from 'pg';
import { PG_URL_ENV } from '../../test/harness.js';
import { randomBase58 } from '../ids.js';
import { openPostgres } from './database.js';
import { MIGRATIONS, migrateToLatest } from './migrate.js';

it('migrates once when two replicas start together on an empty PostgreSQL database', {
  skip: !process.env[PG_URL_ENV] && 'needs the PostgreSQL test server',
}, async () => {
  const url = process.env[PG_URL_ENV] as string;
  const name = `m_${randomBase58(10).toLowerCase()}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const replicas = [openPostgres(dbUrl.toString(), 2), openPostgres(dbUrl.toString(), 2)];
  try {
    await Promise.all(replicas.map((r) => migrateToLatest(r.db)));
    await migrateToLatest(replicas[0]!.db);
    const applied = await replicas[0]!.db
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .execute();
    assert.equal(applied.length, Object.keys(MIGRATIONS).length);
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
});
