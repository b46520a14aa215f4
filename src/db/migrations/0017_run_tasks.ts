import { type Kysely, sql } from 'kysely';

/**
 * Run tasks (issue 17, api-docs/run-tasks/run-tasks.mdx): an organization's tasks (an external
 * service's URL, its HMAC key sealed, the global configuration) and their association with
 * workspaces (stages and enforcement level).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('run_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('category', 'text', (c) => c.notNull().defaultTo('task'))
    .addColumn('sealed_hmac_key', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('global_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('global_stages', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('global_enforcement_level', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE UNIQUE INDEX run_tasks_name_key ON run_tasks (organization_id, lower(name))`.execute(db);
  await db.schema
    .createTable('workspace_run_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('task_id', 'text', (c) => c.notNull().references('run_tasks.id').onDelete('cascade'))
    .addColumn('enforcement_level', 'text', (c) => c.notNull())
    .addColumn('stages', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('workspace_run_tasks_workspace_task_key', ['workspace_id', 'task_id'])
    .execute();
  await db.schema.createIndex('workspace_run_tasks_task_idx').on('workspace_run_tasks').column('task_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('workspace_run_tasks').execute();
  await db.schema.dropTable('run_tasks').execute();
}
