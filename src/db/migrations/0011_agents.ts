import { type Kysely, sql } from 'kysely';

/**
 * Agents (issue 12, api-docs/agents.mdx, agent-tokens.mdx): agent pools of an organization, the
 * workspaces and projects a pool serves, agent tokens (rows of `tokens` of kind `agent`), the agents
 * that registered with them, and which agent holds a run's phase (the job) with its job token.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agent_pools')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    // true: any workspace of the organization may use the pool; false: only the allowed workspaces and projects.
    .addColumn('organization_scoped', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE UNIQUE INDEX agent_pools_name_key ON agent_pools (organization_id, lower(name))`.execute(db);
  await db.schema
    .createTable('agent_pool_allowed_workspaces')
    .addColumn('agent_pool_id', 'text', (c) => c.notNull().references('agent_pools.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('agent_pool_allowed_workspaces_pkey', ['agent_pool_id', 'workspace_id'])
    .execute();
  await db.schema
    .createTable('agent_pool_allowed_projects')
    .addColumn('agent_pool_id', 'text', (c) => c.notNull().references('agent_pools.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('agent_pool_allowed_projects_pkey', ['agent_pool_id', 'project_id'])
    .execute();
  // Workspaces of an allowed project (or of the organization, for an organization-scoped pool) that may not use it (OpenAPI `excluded-workspaces`).
  await db.schema
    .createTable('agent_pool_excluded_workspaces')
    .addColumn('agent_pool_id', 'text', (c) => c.notNull().references('agent_pools.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('agent_pool_excluded_workspaces_pkey', ['agent_pool_id', 'workspace_id'])
    .execute();

  // An agent token belongs to a pool; the built-in runner's token (kind `agent`, no pool) serves remote runs.
  await db.schema
    .alterTable('tokens')
    .addColumn('agent_pool_id', 'text', (c) => c.references('agent_pools.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('tokens_agent_pool_idx').on('tokens').column('agent_pool_id').execute();

  await sql`ALTER TABLE workspaces ADD CONSTRAINT workspaces_agent_pool_fkey FOREIGN KEY (agent_pool_id) REFERENCES agent_pools (id) ON DELETE SET NULL`.execute(
    db,
  );
  await db.schema
    .alterTable('organizations')
    .addColumn('default_agent_pool_id', 'text', (c) => c.references('agent_pools.id').onDelete('set null'))
    .execute();

  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Null for the server's built-in runner, which serves runs in `remote` execution mode.
    .addColumn('agent_pool_id', 'text', (c) => c.references('agent_pools.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('ip_address', 'text')
    // What the agent last reported: idle | busy | exited | errored. `unknown` is derived from an old last_ping_at.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_ping_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('agents_pool_idx').on('agents').columns(['agent_pool_id', 'created_at']).execute();

  // The job: which agent works on the run's current phase, and the phase's token (kind `run`).
  await db.schema
    .alterTable('runs')
    .addColumn('agent_id', 'text', (c) => c.references('agents.id').onDelete('set null'))
    .execute();
  await db.schema.alterTable('tokens').addColumn('phase', 'text').execute();
}
