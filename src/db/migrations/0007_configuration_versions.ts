import { type Kysely, sql } from 'kysely';

/** Configuration versions (configuration-versions.mdx) and the workspace's current one. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('configuration_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    // pending → uploaded | errored; uploaded → archived.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('auto_queue_runs', 'boolean', (c) => c.notNull())
    .addColumn('speculative', 'boolean', (c) => c.notNull())
    .addColumn('provisional', 'boolean', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('error_message', 'text')
    // The stored .tar.gz while uploaded; NULL before the upload, after an error and once archived.
    .addColumn('blob_key', 'text')
    .addColumn('size', 'bigint')
    .addColumn('uploaded_at', 'timestamptz')
    .addColumn('errored_at', 'timestamptz')
    .addColumn('archived_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The per-workspace list, newest first.
  await db.schema.createIndex('configuration_versions_workspace_idx').on('configuration_versions').columns(['workspace_id', 'created_at', 'id']).execute();
  // No foreign key, as current_state_version_id: the version's row cascades away with the workspace.
  await db.schema.alterTable('workspaces').addColumn('current_configuration_version_id', 'text').execute();
}
