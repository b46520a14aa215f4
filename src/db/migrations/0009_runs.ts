import { type Kysely, sql } from 'kysely';

/** Runs, their plans and applies, and the events each run went through (run.mdx, plans.mdx, applies.mdx). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    // Copied from the workspace (which never changes organization): the per-organization concurrency count needs no join.
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    // A run may use another workspace's version (run.mdx "Create a Run"), which can be deleted with its workspace.
    .addColumn('configuration_version_id', 'text', (c) => c.references('configuration_versions.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('trigger_reason', 'text', (c) => c.notNull())
    .addColumn('is_destroy', 'boolean', (c) => c.notNull())
    .addColumn('refresh', 'boolean', (c) => c.notNull())
    .addColumn('refresh_only', 'boolean', (c) => c.notNull())
    .addColumn('replace_addrs', 'jsonb')
    .addColumn('target_addrs', 'jsonb')
    // Run variables as sealed JSON ([{key, value}]): their values may be secrets.
    .addColumn('sealed_variables', 'text')
    .addColumn('plan_only', 'boolean', (c) => c.notNull())
    .addColumn('auto_apply', 'boolean', (c) => c.notNull())
    .addColumn('allow_empty_apply', 'boolean', (c) => c.notNull())
    .addColumn('allow_config_generation', 'boolean', (c) => c.notNull())
    .addColumn('save_plan', 'boolean', (c) => c.notNull())
    .addColumn('terraform_version', 'text')
    .addColumn('debugging_mode', 'boolean', (c) => c.notNull())
    .addColumn('has_changes', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_by_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    // `<status>-at` → time, for each status the run entered (run.mdx "status-timestamps").
    .addColumn('status_timestamps', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // When the run last joined a queue: the workspace's (pending) or the runners' (plan_queued, apply_queued).
    .addColumn('queued_at', 'timestamptz')
    // Set while a runner works on the run; a lease in the past means that runner is gone.
    .addColumn('runner_lease_until', 'timestamptz')
    // The first (graceful) cancel: force-cancel becomes possible after a cool-off from here.
    .addColumn('cancel_requested_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('runs_workspace_idx').on('runs').columns(['workspace_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('runs_organization_idx').on('runs').columns(['organization_id', 'created_at', 'id']).execute();
  // The runners' claim order, over queued runs only.
  await sql`CREATE INDEX runs_runner_queue_idx ON runs (queued_at, id) WHERE status IN ('plan_queued', 'apply_queued')`.execute(db);
  // The reaper's scan and the organization's running count.
  await sql`CREATE INDEX runs_leased_idx ON runs (runner_lease_until) WHERE runner_lease_until IS NOT NULL`.execute(db);

  for (const table of ['plans', 'applies'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().unique().references('runs.id').onDelete('cascade'))
      // pending | queued | running | finished | errored | canceled | unreachable (plans.mdx, applies.mdx).
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_timestamps', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('resource_additions', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('resource_changes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('resource_destructions', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('resource_imports', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('log_blob_key', 'text')
      .execute();
  }
  await db.schema
    .alterTable('plans')
    .addColumn('has_changes', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('generated_configuration', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('json_blob_key', 'text')
    .addColumn('redacted_json_blob_key', 'text')
    .addColumn('plan_file_blob_key', 'text')
    .execute();

  await db.schema
    .createTable('run_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Insertion order: several events of one transaction share a timestamp.
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    // The status the run entered, or the user action (`apply`, `discard`, `cancel`, …).
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('run_events_run_idx').on('run_events').columns(['run_id', 'seq']).execute();
}
