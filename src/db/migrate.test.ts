import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { Client } from 'pg';
import { forEachDatabase, PG_URL_ENV } from '../../test/harness.js';
import { randomBase58 } from '../ids.js';
import { openPostgres } from './database.js';
import { MIGRATIONS, migrateToLatest, pendingMigrations } from './migrate.js';

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

forEachDatabase('migrations on a migrated database', (server) => {
  const last = Object.keys(MIGRATIONS).at(-1) as string;

  it('names a migration the database has not recorded as pending, and applies nothing when all are', async () => {
    const { db } = server.database;
    assert.deepEqual(await pendingMigrations(db), []);
    const recorded = await sql<{ timestamp: string }>`delete from kysely_migration where name = ${last} returning timestamp`.execute(db);
    try {
      assert.deepEqual(await pendingMigrations(db), [last]);
    } finally {
      await sql`insert into kysely_migration (name, timestamp) values (${last}, ${recorded.rows[0]?.timestamp})`.execute(db);
    }
    await migrateToLatest(db);
    assert.deepEqual(await pendingMigrations(db), []);
  });

  it('refuses a database that records a migration this code does not know (a newer Terrace ran on it)', async () => {
    const { db } = server.database;
    await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_terrace', now()::text)`.execute(db);
    try {
      await assert.rejects(migrateToLatest(db), /9999_from_a_newer_terrace/);
    } finally {
      await sql`delete from kysely_migration where name = '9999_from_a_newer_terrace'`.execute(db);
    }
  });
});
