import { type Kysely, sql } from 'kysely';

/**
 * Module tests (issue 20, private-registry/tests.mdx): a module's test configuration versions, its test
 * runs and their environment variables, the job token of a test run, and the log chunks of a running
 * test (a plan's and an apply's chunks belong to a run; a test's to its test run).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('test_configuration_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('registry_module_id', 'text', (c) => c.notNull().references('registry_modules.id').onDelete('cascade'))
    // pending → uploaded | errored
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('error_message', 'text')
    .addColumn('blob_key', 'text')
    .addColumn('size', 'bigint')
    .addColumn('uploaded_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('test_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('registry_module_id', 'text', (c) => c.notNull().references('registry_modules.id').onDelete('cascade'))
    // A test may run another module's configuration (tests.mdx "Create a Test"); it keeps its outcome when that goes.
    .addColumn('configuration_version_id', 'text', (c) => c.references('test_configuration_versions.id').onDelete('set null'))
    // queued → running → finished | errored | canceled; queued → canceled
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_timestamps', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('variables', 'jsonb', (c) => c.notNull())
    .addColumn('filters', 'jsonb', (c) => c.notNull())
    .addColumn('test_directory', 'text', (c) => c.notNull())
    .addColumn('verbose', 'boolean', (c) => c.notNull())
    .addColumn('parallelism', 'integer')
    .addColumn('test_status', 'text')
    .addColumn('tests_passed', 'integer')
    .addColumn('tests_failed', 'integer')
    .addColumn('tests_errored', 'integer')
    .addColumn('tests_skipped', 'integer')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('agent_id', 'text')
    .addColumn('runner_lease_until', 'timestamptz')
    .addColumn('cancel_requested_at', 'timestamptz')
    .addColumn('log_blob_key', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('test_runs_module_idx').on('test_runs').columns(['registry_module_id', 'created_at', 'id']).execute();
  // The runner's claim looks only at the queue.
  await sql`CREATE INDEX test_runs_queued_idx ON test_runs (created_at, id) WHERE status = 'queued'`.execute(db);

  // A module's test environment variables live with the other variables, a third kind of owner.
  await db.schema
    .alterTable('variables')
    .addColumn('registry_module_id', 'text', (c) => c.references('registry_modules.id').onDelete('cascade'))
    .execute();
  await sql`ALTER TABLE variables DROP CONSTRAINT variables_one_owner`.execute(db);
  await sql`ALTER TABLE variables ADD CONSTRAINT variables_one_owner CHECK (num_nonnulls(workspace_id, variable_set_id, registry_module_id) = 1)`.execute(db);
  await sql`CREATE UNIQUE INDEX variables_registry_module_key ON variables (registry_module_id, key) WHERE registry_module_id IS NOT NULL`.execute(db);

  await db.schema
    .alterTable('tokens')
    .addColumn('test_run_id', 'text', (c) => c.references('test_runs.id').onDelete('cascade'))
    .execute();
  await sql`ALTER TABLE run_log_chunks ALTER COLUMN run_id DROP NOT NULL`.execute(db);
  await db.schema
    .alterTable('run_log_chunks')
    .addColumn('test_run_id', 'text', (c) => c.references('test_runs.id').onDelete('cascade'))
    .execute();

  await db.schema
    .alterTable('registry_modules')
    .addColumn('tests_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('registry_modules').dropColumn('tests_enabled').execute();
  await db.deleteFrom('run_log_chunks').where('run_id', 'is', null).execute();
  await db.schema.alterTable('run_log_chunks').dropColumn('test_run_id').execute();
  await sql`ALTER TABLE run_log_chunks ALTER COLUMN run_id SET NOT NULL`.execute(db);
  await db.deleteFrom('tokens').where('kind', '=', 'test-run').execute();
  await db.schema.alterTable('tokens').dropColumn('test_run_id').execute();
  await db.deleteFrom('variables').where('registry_module_id', 'is not', null).execute();
  await sql`ALTER TABLE variables DROP CONSTRAINT variables_one_owner`.execute(db);
  await db.schema.alterTable('variables').dropColumn('registry_module_id').execute();
  await sql`ALTER TABLE variables ADD CONSTRAINT variables_one_owner CHECK ((workspace_id IS NULL) <> (variable_set_id IS NULL))`.execute(db);
  await db.schema.dropTable('test_runs').execute();
  await db.schema.dropTable('test_configuration_versions').execute();
}
