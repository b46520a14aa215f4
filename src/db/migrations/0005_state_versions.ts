import { type Kysely, sql } from 'kysely';

/** State versions, their outputs, and each workspace's resources from its current state (the state issue). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('state_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('serial', 'bigint', (c) => c.notNull())
    .addColumn('lineage', 'text')
    // Hex MD5 of the raw state the client announced; an upload must match it.
    .addColumn('md5', 'text', (c) => c.notNull())
    // pending | finalized | discarded (state-versions.mdx "State Version Status").
    .addColumn('status', 'text', (c) => c.notNull())
    // Bytes of the raw state and of the JSON state; NULL until uploaded.
    .addColumn('size', 'bigint')
    .addColumn('json_size', 'bigint')
    // Filled by the background parse (state-version.process job).
    .addColumn('state_version', 'integer')
    .addColumn('terraform_version', 'text')
    .addColumn('resources', 'jsonb')
    .addColumn('providers', 'jsonb')
    .addColumn('modules', 'jsonb')
    .addColumn('resources_processed', 'boolean', (c) => c.notNull().defaultTo(false))
    // True once the outputs rows exist: from json-state-outputs at creation, or from the parse.
    .addColumn('outputs_processed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_by_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('rollback_state_version_id', 'text', (c) => c.references('state_versions.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('state_versions_workspace_idx').on('state_versions').columns(['workspace_id', 'created_at']).execute();
  // At most one pending version per workspace: a newer one discards it (the service does, this backs it up).
  await db.schema
    .createIndex('state_versions_one_pending_key')
    .unique()
    .on('state_versions')
    .column('workspace_id')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await sql`ALTER TABLE workspaces ADD CONSTRAINT workspaces_current_state_version_fkey
    FOREIGN KEY (current_state_version_id) REFERENCES state_versions (id) ON DELETE SET NULL`.execute(db);

  await db.schema
    .createTable('state_version_outputs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state_version_id', 'text', (c) => c.notNull().references('state_versions.id').onDelete('cascade'))
    .addColumn('name', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('sensitive', 'boolean', (c) => c.notNull())
    // The value of a non-sensitive output; NULL for sensitive ones, whose JSON is sealed in sealed_value.
    .addColumn('value', 'jsonb')
    .addColumn('sealed_value', 'text')
    // The cty type in JSON form ("string", ["list","number"], …); NULL when the state did not record one.
    .addColumn('detailed_type', 'jsonb')
    .addUniqueConstraint('state_version_outputs_name_key', ['state_version_id', 'name'])
    .execute();

  await db.schema
    .createTable('workspace_resources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    // Byte order, as workspaces.name: the same list order on PostgreSQL and PGlite, served by the unique index.
    .addColumn('address', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_type', 'text', (c) => c.notNull())
    .addColumn('name_index', 'text')
    // Hash of the instance's JSON: a changed hash moves modified_by_state_version_id to the new version.
    .addColumn('instance_hash', 'text', (c) => c.notNull())
    .addColumn('modified_by_state_version_id', 'text', (c) => c.notNull())
    // The last parsed state that contained the instance; rows of older ones are swept.
    .addColumn('seen_in_state_version_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('workspace_resources_address_key', ['workspace_id', 'address'])
    .execute();
}
