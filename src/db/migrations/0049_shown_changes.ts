import { type Kysely, sql } from 'kysely';

/**
 * Tells every replica when what a show of a workspace or of a run reads changes, so that their caches
 * of shown workspaces and runs (workspaces/service.ts, runs/service.ts) forget it: statement-level
 * triggers NOTIFY the cache's channel on any change to the tables its rows are read from.
 */
const TRIGGERS = [
  // A workspace's row carries its flat tags and its organization's name and settings.
  ['terrace_workspaces', 'workspaces', 'INSERT OR UPDATE OR DELETE'],
  ['terrace_workspaces', 'workspace_tags', 'INSERT OR UPDATE OR DELETE'],
  ['terrace_workspaces', 'tags', 'UPDATE OR DELETE'],
  ['terrace_workspaces', 'organizations', 'UPDATE OR DELETE'],
  // A run's row carries its phases, events and task stages, and its workspace's project.
  ['terrace_runs', 'runs', 'INSERT OR UPDATE OR DELETE'],
  ['terrace_runs', 'plans', 'INSERT OR UPDATE OR DELETE'],
  ['terrace_runs', 'applies', 'INSERT OR UPDATE OR DELETE'],
  ['terrace_runs', 'run_events', 'INSERT OR UPDATE OR DELETE'],
  ['terrace_runs', 'task_stages', 'INSERT OR UPDATE OR DELETE'],
  ['terrace_runs', 'workspaces', 'UPDATE OF project_id'],
] as const;

const triggerName = (channel: string, table: string) => sql.raw(`${table}_${channel}_changed`);

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION terrace_shown_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify(TG_ARGV[0], '');
      RETURN NULL;
    END $$`.execute(db);
  for (const [channel, table, events] of TRIGGERS) {
    await sql`CREATE TRIGGER ${triggerName(channel, table)} AFTER ${sql.raw(events)} ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION terrace_shown_changed(${sql.lit(channel)})`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [channel, table] of TRIGGERS) await sql`DROP TRIGGER ${triggerName(channel, table)} ON ${sql.table(table)}`.execute(db);
  await sql`DROP FUNCTION terrace_shown_changed()`.execute(db);
}
