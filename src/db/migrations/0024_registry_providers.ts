import { type Kysely, sql } from 'kysely';

/**
 * Private providers (issue 20, api-docs/private-registry/providers.mdx, provider-versions-platforms.mdx,
 * gpg-keys.mdx): the GPG keys of a namespace, providers, versions with their SHA256SUMS and its
 * signature, and platforms with their binaries.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('gpg_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('ascii_armor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('gpg_keys_namespace_key_key', ['organization_id', 'key_id'])
    .execute();
  await db.schema
    .createTable('registry_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('registry_name', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('registry_providers_address_key', ['organization_id', 'registry_name', 'namespace', 'name'])
    .execute();
  await db.schema
    .createTable('registry_provider_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('provider_id', 'text', (c) => c.notNull().references('registry_providers.id').onDelete('cascade'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('protocols', sql`text[]`, (c) => c.notNull())
    // Small files: kept in the row. The signature is stored only once it verified against the key.
    .addColumn('shasums', 'text')
    .addColumn('shasums_sig', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('registry_provider_versions_provider_version_key', ['provider_id', 'version'])
    .execute();
  await db.schema
    .createTable('registry_provider_platforms')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version_id', 'text', (c) => c.notNull().references('registry_provider_versions.id').onDelete('cascade'))
    .addColumn('os', 'text', (c) => c.notNull())
    .addColumn('arch', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('shasum', 'text', (c) => c.notNull())
    .addColumn('blob_key', 'text')
    .addColumn('size', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('registry_provider_platforms_version_os_arch_key', ['version_id', 'os', 'arch'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('registry_provider_platforms').execute();
  await db.schema.dropTable('registry_provider_versions').execute();
  await db.schema.dropTable('registry_providers').execute();
  await db.schema.dropTable('gpg_keys').execute();
}
