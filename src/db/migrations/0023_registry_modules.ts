import { type Kysely, sql } from 'kysely';

/**
 * The private module registry (issue 20, api-docs/private-registry/modules.mdx): an organization's
 * modules and their versions, each version's archive and the interface read from it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('registry_modules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('registry_name', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('no_code', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`CREATE UNIQUE INDEX registry_modules_address_key ON registry_modules (organization_id, registry_name, namespace, name, provider)`.execute(db);
  await db.schema
    .createTable('registry_module_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('module_id', 'text', (c) => c.notNull().references('registry_modules.id').onDelete('cascade'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('error', 'text')
    .addColumn('commit_sha', 'text')
    .addColumn('blob_key', 'text')
    .addColumn('size', 'bigint')
    .addColumn('interface', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('registry_module_versions_module_version_key', ['module_id', 'version'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('registry_module_versions').execute();
  await db.schema.dropTable('registry_modules').execute();
}
