import { type Kysely, sql } from 'kysely';

/**
 * Teams (the teams issue): organization access and settings on `teams`, team access to workspaces
 * (`team_workspaces`) and projects (`team_projects`), and the rules for team tokens.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('teams')
    .addColumn('sso_team_id', 'text')
    .addColumn('allow_member_token_management', 'boolean', (c) => c.notNull().defaultTo(true))
    // The flags of teams.mdx `organization-access` by wire name; a missing flag is false.
    .addColumn('organization_access', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();

  // Fixed levels store the permissions they imply, so a later switch to `custom` starts from them.
  await db.schema
    .createTable('team_workspaces')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('access', 'text', (c) => c.notNull())
    .addColumn('runs', 'text', (c) => c.notNull())
    .addColumn('variables', 'text', (c) => c.notNull())
    .addColumn('state_versions', 'text', (c) => c.notNull())
    .addColumn('sentinel_mocks', 'text', (c) => c.notNull())
    .addColumn('workspace_locking', 'boolean', (c) => c.notNull())
    .addColumn('run_tasks', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Also the index of the workspace list's "readable through these teams" subquery.
    .addUniqueConstraint('team_workspaces_team_workspace_key', ['team_id', 'workspace_id'])
    .execute();
  await db.schema.createIndex('team_workspaces_workspace_idx').on('team_workspaces').column('workspace_id').execute();

  await db.schema
    .createTable('team_projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('access', 'text', (c) => c.notNull())
    .addColumn('project_settings', 'text', (c) => c.notNull())
    .addColumn('project_teams', 'text', (c) => c.notNull())
    .addColumn('project_variable_sets', 'text', (c) => c.notNull())
    .addColumn('workspace_runs', 'text', (c) => c.notNull())
    .addColumn('workspace_variables', 'text', (c) => c.notNull())
    .addColumn('workspace_state_versions', 'text', (c) => c.notNull())
    .addColumn('workspace_sentinel_mocks', 'text', (c) => c.notNull())
    .addColumn('workspace_create', 'boolean', (c) => c.notNull())
    .addColumn('workspace_move', 'boolean', (c) => c.notNull())
    .addColumn('workspace_locking', 'boolean', (c) => c.notNull())
    .addColumn('workspace_delete', 'boolean', (c) => c.notNull())
    .addColumn('workspace_run_tasks', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('team_projects_team_project_key', ['team_id', 'project_id'])
    .execute();
  await db.schema.createIndex('team_projects_project_idx').on('team_projects').column('project_id').execute();

  // team-tokens.mdx: descriptions are unique within a team, and a team has at most one legacy
  // (description-less) token, which the legacy endpoint replaces.
  await db.schema
    .createIndex('tokens_team_description_key')
    .unique()
    .on('tokens')
    .columns(['team_id', 'description'])
    .where(sql.ref('kind'), '=', 'team')
    .execute();
  await db.schema
    .createIndex('tokens_team_legacy_key')
    .unique()
    .on('tokens')
    .column('team_id')
    .where(sql<boolean>`kind = 'team' AND description IS NULL`)
    .execute();
}
