import { type Kysely, sql } from 'kysely';

/**
 * The database blob store's chunks compressed with lz4 instead of PostgreSQL's default pglz: a JSON
 * state is stored in a third of pglz's time for about the same size (docs/design.md "Blobs"). A server
 * built without lz4 keeps pglz: the column works the same either way.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DO $$ BEGIN
      ALTER TABLE blob_chunks ALTER COLUMN data SET COMPRESSION lz4;
    EXCEPTION WHEN feature_not_supported THEN NULL;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE blob_chunks ALTER COLUMN data SET COMPRESSION default`.execute(db);
}
