import { type Kysely, sql } from 'kysely';

/**
 * OPA policy sets (issue 18; policy-sets.mdx, policy-evaluations.mdx): a set, what it applies to
 * (workspaces, projects, excluded workspaces: one table, a kind per row), its uploaded versions with the
 * policies `policies.hcl` names and their Rego sources (small: kept in the row, evaluated without a blob
 * read), and, per run, the post-plan stage's policy evaluation with one outcome per set.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policy_sets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('global', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('overridable', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('agent_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('policy_tool_version', 'text', (c) => c.notNull().defaultTo('latest'))
    .addColumn('current_version_id', 'text')
    .addColumn('newest_version_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`CREATE UNIQUE INDEX policy_sets_name_key ON policy_sets (organization_id, lower(name))`.execute(db);
  await db.schema
    .createTable('policy_set_targets')
    .addColumn('policy_set_id', 'text', (c) => c.notNull().references('policy_sets.id').onDelete('cascade'))
    // workspace | project | exclusion (an excluded workspace)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_set_targets_pkey', ['policy_set_id', 'kind', 'target_id'])
    .execute();
  await db.schema.createIndex('policy_set_targets_target_idx').on('policy_set_targets').columns(['target_id', 'kind']).execute();
  await db.schema
    .createTable('policy_set_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('policy_set_id', 'text', (c) => c.notNull().references('policy_sets.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('policies', 'jsonb')
    .addColumn('modules', 'jsonb')
    .addColumn('status_timestamps', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('policy_set_versions_set_idx').on('policy_set_versions').columns(['policy_set_id', 'created_at']).execute();
  await db.schema
    .createTable('policy_evaluations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_stage_id', 'text', (c) => c.notNull().unique().references('task_stages.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('result_count', 'jsonb', (c) => c.notNull())
    .addColumn('status_timestamps', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('policy_set_outcomes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('policy_evaluation_id', 'text', (c) => c.notNull().references('policy_evaluations.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('policy_set_name', 'text', (c) => c.notNull())
    .addColumn('policy_set_description', 'text')
    .addColumn('overridable', 'boolean', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('outcomes', 'jsonb', (c) => c.notNull())
    .addColumn('result_count', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('policy_set_outcomes_evaluation_idx').on('policy_set_outcomes').columns(['policy_evaluation_id', 'position']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['policy_set_outcomes', 'policy_evaluations', 'policy_set_versions', 'policy_set_targets', 'policy_sets']) {
    await db.schema.dropTable(table).execute();
  }
}
