import { type Kysely, sql } from 'kysely';

/**
 * Notification configurations (issue 19, api-docs/notification-configurations.mdx): a workspace's or
 * a team's destinations for run events, with the sealed signing token, the email recipients and the
 * last delivery responses.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notification_configurations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.references('workspaces.id').onDelete('cascade'))
    .addColumn('team_id', 'text', (c) => c.references('teams.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('destination_type', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('sealed_token', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('triggers', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('email_addresses', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('email_all_members', 'boolean', (c) => c.notNull().defaultTo(false))
    // Newest first, a few at most (notification-configurations/store.ts).
    .addColumn('delivery_responses', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('notification_configurations_one_subscribable', sql`(workspace_id IS NULL) <> (team_id IS NULL)`)
    .execute();
  await db.schema.createIndex('notification_configurations_workspace_idx').on('notification_configurations').column('workspace_id').execute();
  await db.schema.createIndex('notification_configurations_team_idx').on('notification_configurations').column('team_id').execute();
  await db.schema
    .createTable('notification_configuration_users')
    .addColumn('notification_configuration_id', 'text', (c) => c.notNull().references('notification_configurations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('notification_configuration_users_pkey', ['notification_configuration_id', 'user_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notification_configuration_users').execute();
  await db.schema.dropTable('notification_configurations').execute();
}
