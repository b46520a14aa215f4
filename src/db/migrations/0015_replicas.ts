import { type Kysely, sql } from 'kysely';

/**
 * What replicas sharing one database share besides their rows: blobs in PostgreSQL
 * (src/blobs/pg-store.ts: an upload's content as chunks, and the key naming the upload that holds
 * its current content), and facts about the installation, such as the check value of the
 * encryption key every replica must have (src/secrets/service.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('blob_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Set when a newer upload or a delete replaced it: its chunks go once reads that began before have ended.
    .addColumn('released_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('blob_chunks')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('blob_uploads.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    // Where the chunk starts in the blob: a read from an offset finds its first chunk by index.
    .addColumn('byte_offset', 'bigint', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_chunks_pkey', ['upload_id', 'seq'])
    .execute();
  await db.schema.createIndex('blob_chunks_offset_idx').on('blob_chunks').columns(['upload_id', 'byte_offset']).execute();
  await db.schema
    .createTable('blobs')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('upload_id', 'text', (c) => c.notNull().references('blob_uploads.id'))
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('md5', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blob_uploads_released_idx').on('blob_uploads').column('released_at').where(sql.ref('released_at'), 'is not', null).execute();
  await db.schema
    .createTable('installation_facts')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
