import { type Kysely, sql } from 'kysely';

/**
 * Task stages and results (issue 17, api-docs/run-tasks/run-task-stages-and-results.mdx): a run's
 * stage per run stage that has tasks, one result per task with what the integration reported, its
 * outcomes, and the per-result access token (a `task-result` token in `tokens`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_stages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('status_timestamps', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('task_stages_run_stage_key', ['run_id', 'stage'])
    .execute();
  await db.schema
    .createTable('task_results')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_stage_id', 'text', (c) => c.notNull().references('task_stages.id').onDelete('cascade'))
    // The task and association as they were when the run was created; deleting them later leaves the result.
    .addColumn('task_id', 'text', (c) => c.references('run_tasks.id').onDelete('set null'))
    .addColumn('task_name', 'text', (c) => c.notNull())
    .addColumn('task_url', 'text', (c) => c.notNull())
    .addColumn('workspace_task_id', 'text')
    .addColumn('enforcement_level', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('message', 'text')
    .addColumn('url', 'text')
    .addColumn('status_timestamps', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // When the integration last told something (the request's 200, a callback): the timeout counts from it.
    .addColumn('last_update_at', 'timestamptz')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('task_results_stage_idx').on('task_results').column('task_stage_id').execute();
  await db.schema
    .createTable('task_result_outcomes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_result_id', 'text', (c) => c.notNull().references('task_results.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('outcome_id', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('url', 'text')
    .addColumn('tags', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('task_result_outcomes_result_idx').on('task_result_outcomes').columns(['task_result_id', 'position']).execute();
  await db.schema
    .alterTable('tokens')
    .addColumn('task_result_id', 'text', (c) => c.references('task_results.id').onDelete('cascade'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('task_result_id').execute();
  await db.schema.dropTable('task_result_outcomes').execute();
  await db.schema.dropTable('task_results').execute();
  await db.schema.dropTable('task_stages').execute();
}
