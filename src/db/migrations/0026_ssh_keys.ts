import { type Kysely, sql } from 'kysely';

/**
 * SSH keys (issue 16, api-docs/ssh-keys.mdx): an organization's private keys, sealed (the API never
 * shows them), and the one key a workspace's runs clone git modules with (workspaces.mdx "Assign an
 * SSH key to a workspace"). Deleting a key unassigns it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ssh_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sealed_value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('ssh_keys_organization_idx').on('ssh_keys').columns(['organization_id', 'created_at']).execute();
  await db.schema
    .alterTable('workspaces')
    .addColumn('ssh_key_id', 'text', (c) => c.references('ssh_keys.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('workspaces_ssh_key_idx').on('workspaces').column('ssh_key_id').where(sql.ref('ssh_key_id'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('workspaces').dropColumn('ssh_key_id').execute();
  await db.schema.dropTable('ssh_keys').execute();
}
