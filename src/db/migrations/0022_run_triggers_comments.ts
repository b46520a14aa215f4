import { type Kysely, sql } from 'kysely';

/**
 * Run triggers and run comments (issue 19, api-docs/run-triggers.mdx, comments.mdx): a workspace's
 * source workspaces, the source run a triggered run came from (so a trigger fires once per apply and
 * a chain never loops), and comments, each with the run event it made.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('run_triggers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('sourceable_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('run_triggers_workspace_sourceable_key', ['workspace_id', 'sourceable_id'])
    .execute();
  await db.schema.createIndex('run_triggers_sourceable_idx').on('run_triggers').column('sourceable_id').execute();
  await db.schema
    .alterTable('runs')
    .addColumn('triggered_by_run_id', 'text', (c) => c.references('runs.id').onDelete('set null'))
    .execute();
  await sql`CREATE INDEX runs_triggered_by_idx ON runs (triggered_by_run_id) WHERE triggered_by_run_id IS NOT NULL`.execute(db);
  await db.schema
    .createTable('run_comments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('run_event_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_by_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('run_comments_run_idx').on('run_comments').columns(['run_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('run_comments').execute();
  await db.schema.alterTable('runs').dropColumn('triggered_by_run_id').execute();
  await db.schema.dropTable('run_triggers').execute();
}
