import type { Kysely } from 'kysely';

/**
 * Data retention policies (issue 16; organizations.mdx and workspaces.mdx "data retention policy"): at
 * most one per organization and one per workspace, so each is a column of its owner (no join on the
 * read path, which serializes the `data-retention-policy` relationship of every row it lists).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organizations').addColumn('data_retention_policy', 'jsonb').execute();
  await db.schema.alterTable('workspaces').addColumn('data_retention_policy', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('workspaces').dropColumn('data_retention_policy').execute();
  await db.schema.alterTable('organizations').dropColumn('data_retention_policy').execute();
}
