import { type Kysely, sql } from 'kysely';

/**
 * Each organization's number of workspaces, kept by statement-level triggers on insert and delete, so
 * an unfiltered workspace list's `total-count` is one row read instead of a count of every workspace
 * (8–11 ms at 100,000; docs/design.md "Read path performance"). A table of its own rather than a
 * column of `organizations`: an update of that table tells every replica to forget what its auth
 * cache knows (migration 0016). A workspace never moves between organizations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organization_workspace_counts')
    .addColumn('organization_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('workspaces', 'integer', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO organization_workspace_counts (organization_id, workspaces)
    SELECT organization_id, count(*) FROM workspaces GROUP BY organization_id`.execute(db);
  await sql`
    CREATE FUNCTION terrace_count_added_workspaces() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO organization_workspace_counts AS counts (organization_id, workspaces)
        SELECT organization_id, count(*) FROM added_workspaces GROUP BY organization_id
        ON CONFLICT (organization_id) DO UPDATE SET workspaces = counts.workspaces + excluded.workspaces;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION terrace_count_removed_workspaces() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE organization_workspace_counts AS counts SET workspaces = counts.workspaces - removed.n
        FROM (SELECT organization_id, count(*) AS n FROM removed_workspaces GROUP BY organization_id) AS removed
        WHERE counts.organization_id = removed.organization_id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER workspaces_counted_in AFTER INSERT ON workspaces REFERENCING NEW TABLE AS added_workspaces
    FOR EACH STATEMENT EXECUTE FUNCTION terrace_count_added_workspaces()`.execute(db);
  await sql`CREATE TRIGGER workspaces_counted_out AFTER DELETE ON workspaces REFERENCING OLD TABLE AS removed_workspaces
    FOR EACH STATEMENT EXECUTE FUNCTION terrace_count_removed_workspaces()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER workspaces_counted_out ON workspaces`.execute(db);
  await sql`DROP TRIGGER workspaces_counted_in ON workspaces`.execute(db);
  await sql`DROP FUNCTION terrace_count_removed_workspaces()`.execute(db);
  await sql`DROP FUNCTION terrace_count_added_workspaces()`.execute(db);
  await db.schema.dropTable('organization_workspace_counts').execute();
}
