import { type Kysely, sql } from 'kysely';

/** Reserved tag keys (issue 16, api-docs/reserved-tag-keys.mdx): keys an organization reserves, and whether workspaces may override a project's value. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reserved_tag_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('disable_overrides', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('reserved_tag_keys_organization_key_key', ['organization_id', 'key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('reserved_tag_keys').execute();
}
