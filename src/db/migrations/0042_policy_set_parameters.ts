import { type Kysely, sql } from 'kysely';

/**
 * Policy set parameters (issue 18, policy-set-params.mdx): key/value pairs of a set, handed to its
 * policies; a sensitive value is write-only and kept sealed, the others in clear (as variables are).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policy_set_parameters')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('policy_set_id', 'text', (c) => c.notNull().references('policy_sets.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('sealed_value', 'text')
    .addColumn('sensitive', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('policy_set_parameters_key').on('policy_set_parameters').columns(['policy_set_id', 'key']).unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('policy_set_parameters').execute();
}
