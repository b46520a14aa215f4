import { type Kysely, sql } from 'kysely';

/**
 * Tells every replica when something that authentication or permissions read changes, so their
 * caches (src/auth/cache.ts) forget it: a statement-level trigger on each such table NOTIFYs
 * `terrace_auth`. Token use (`last_used_at`) and workspace changes other than a move between
 * projects or of who may read its state are not such changes.
 */
const TABLES = [
  'users',
  'organizations',
  'organization_memberships',
  'teams',
  'team_memberships',
  'team_workspaces',
  'team_projects',
  'projects',
  'remote_state_consumers',
];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION terrace_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('terrace_auth', '');
      RETURN NULL;
    END $$`.execute(db);
  for (const table of TABLES) {
    await sql`CREATE TRIGGER ${sql.raw(`${table}_auth_changed`)} AFTER INSERT OR UPDATE OR DELETE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION terrace_auth_changed()`.execute(db);
  }
  await sql`CREATE TRIGGER tokens_auth_changed AFTER DELETE OR UPDATE OF expired_at, user_id, team_id, organization_id ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION terrace_auth_changed()`.execute(db);
  await sql`CREATE TRIGGER workspaces_auth_changed AFTER DELETE OR UPDATE OF project_id, organization_id, global_remote_state ON workspaces
    FOR EACH STATEMENT EXECUTE FUNCTION terrace_auth_changed()`.execute(db);
}
