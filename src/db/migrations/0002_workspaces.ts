import { type Kysely, sql } from 'kysely';

/** Projects, workspaces, tags and tag bindings, variables and variable sets (the workspaces issue). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('auto_destroy_activity_duration', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('projects_organization_name_key', ['organization_id', 'name'])
    .execute();
  await db.schema.createIndex('projects_default_key').unique().on('projects').column('organization_id').where(sql.ref('is_default'), '=', true).execute();
  // Every organization has a default project (projects.mdx); existing ones get theirs here.
  await sql`INSERT INTO projects (id, organization_id, name, is_default)
    SELECT 'prj-' || substr(md5(random()::text || id), 1, 16), id, 'Default Project', true FROM organizations`.execute(db);

  await db.schema
    .createTable('workspaces')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    // Deleting a project that still has workspaces is refused by the service; RESTRICT backs it up.
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('restrict'))
    // Byte order ("C"): the unique index then also serves `ORDER BY name`, the same on PostgreSQL and PGlite.
    .addColumn('name', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // NULL: follow the organization's default execution mode (setting-overwrites.execution-mode false).
    .addColumn('execution_mode', 'text')
    .addColumn('agent_pool_id', 'text')
    .addColumn('allow_destroy_plan', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('assessments_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('auto_apply', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('auto_apply_run_trigger', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('auto_destroy_at', 'timestamptz')
    .addColumn('auto_destroy_activity_duration', 'text')
    .addColumn('file_triggers_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('global_remote_state', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('operations', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('queue_all_runs', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('source_name', 'text')
    .addColumn('source_url', 'text')
    .addColumn('speculative_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('structured_run_output_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('terraform_version', 'text', (c) => c.notNull())
    .addColumn('trigger_patterns', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('trigger_prefixes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('working_directory', 'text', (c) => c.notNull().defaultTo(''))
    // The lock holder: a user, a team, or a run (locked_by_kind 'users' | 'teams' | 'runs', as the relationship type).
    .addColumn('locked_by_kind', 'text')
    .addColumn('locked_by_id', 'text')
    .addColumn('lock_reason', 'text')
    .addColumn('current_run_id', 'text')
    .addColumn('latest_run_id', 'text')
    .addColumn('current_state_version_id', 'text')
    .addColumn('resource_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('latest_change_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('workspaces_organization_name_key', ['organization_id', 'name'])
    .execute();
  await db.schema.createIndex('workspaces_project_idx').on('workspaces').columns(['project_id', 'name']).execute();
  await db.schema.createIndex('workspaces_latest_change_idx').on('workspaces').columns(['organization_id', 'latest_change_at']).execute();

  await db.schema
    .createTable('remote_state_consumers')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('consumer_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('remote_state_consumers_pkey', ['workspace_id', 'consumer_id'])
    .execute();

  // Flat tags (organization-tags.mdx), attached to workspaces.
  await db.schema
    .createTable('tags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('tags_organization_name_key', ['organization_id', 'name'])
    .execute();
  await db.schema
    .createTable('workspace_tags')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('tag_id', 'text', (c) => c.notNull().references('tags.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('workspace_tags_pkey', ['workspace_id', 'tag_id'])
    .execute();
  await db.schema.createIndex('workspace_tags_tag_idx').on('workspace_tags').columns(['tag_id', 'workspace_id']).execute();

  // Key/value tag bindings on workspaces and on projects (workspaces inherit their project's).
  for (const owner of ['workspace', 'project'] as const) {
    const table = `${owner}_tag_bindings`;
    await db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn(`${owner}_id`, 'text', (c) => c.notNull().references(`${owner}s.id`).onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint(`${table}_key`, [`${owner}_id`, 'key'])
      .execute();
    await db.schema.createIndex(`${table}_key_value_idx`).on(table).columns(['key', 'value']).execute();
  }

  await db.schema
    .createTable('variable_sets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('is_global', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('priority', 'boolean', (c) => c.notNull().defaultTo(false))
    // The owning project of a project-owned set; NULL when the organization owns it (variable-sets.mdx "parent").
    .addColumn('parent_project_id', 'text', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('variable_sets_organization_name_key', ['organization_id', 'name'])
    .execute();
  await db.schema.createIndex('variable_sets_parent_project_idx').on('variable_sets').column('parent_project_id').execute();
  await db.schema
    .createTable('variable_set_workspaces')
    .addColumn('variable_set_id', 'text', (c) => c.notNull().references('variable_sets.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('variable_set_workspaces_pkey', ['variable_set_id', 'workspace_id'])
    .execute();
  await db.schema.createIndex('variable_set_workspaces_workspace_idx').on('variable_set_workspaces').column('workspace_id').execute();
  await db.schema
    .createTable('variable_set_projects')
    .addColumn('variable_set_id', 'text', (c) => c.notNull().references('variable_sets.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('variable_set_projects_pkey', ['variable_set_id', 'project_id'])
    .execute();
  await db.schema.createIndex('variable_set_projects_project_idx').on('variable_set_projects').column('project_id').execute();

  // Variables of a workspace or of a variable set (exactly one owner).
  await db.schema
    .createTable('variables')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.references('workspaces.id').onDelete('cascade'))
    .addColumn('variable_set_id', 'text', (c) => c.references('variable_sets.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    // Plain value for non-sensitive variables; NULL when sensitive.
    .addColumn('value', 'text')
    // AES-256-GCM sealed value for sensitive variables (see src/crypto); NULL otherwise.
    .addColumn('sealed_value', 'text')
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('hcl', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('sensitive', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('variables_one_owner', sql`(workspace_id IS NULL) <> (variable_set_id IS NULL)`)
    .execute();
  await db.schema
    .createIndex('variables_workspace_key')
    .unique()
    .on('variables')
    .columns(['workspace_id', 'category', 'key'])
    .where(sql.ref('workspace_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('variables_variable_set_key')
    .unique()
    .on('variables')
    .columns(['variable_set_id', 'category', 'key'])
    .where(sql.ref('variable_set_id'), 'is not', null)
    .execute();
}
