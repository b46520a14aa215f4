import { type Kysely, sql } from 'kysely';

/**
 * Individual OPA policies (issue 18, policies.mdx): a query, an enforcement level and a body uploaded
 * apart, members of policy sets through the sets' targets (kind `policy`) instead of a version.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('enforcement_level', 'text', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz')
    .execute();
  await sql`CREATE UNIQUE INDEX policies_name_key ON policies (organization_id, lower(name))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('policies').execute();
}
