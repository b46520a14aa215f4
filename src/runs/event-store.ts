import type { Db } from '../db/database.js';

/** What happened to a run, in order: every status it entered, and cancel requests (`GET /runs/:id/run-events`). */
export interface RunEvent {
  id: string;
  runId: string;
  /** The status entered, or `cancel_requested`. */
  action: string;
  description: string;
  /** The user who caused it; null for the server's own steps. */
  actorId: string | null;
  createdAt: Date;
}

export async function insert(db: Db, event: RunEvent): Promise<void> {
  await db
    .insertInto('run_events')
    .values({ id: event.id, run_id: event.runId, action: event.action, description: event.description, actor_id: event.actorId, created_at: event.createdAt })
    .execute();
}

export async function listForRun(db: Db, runId: string): Promise<RunEvent[]> {
  const rows = await db.selectFrom('run_events').selectAll().where('run_id', '=', runId).orderBy('seq').execute();
  return rows.map((row) => ({
    id: row.id,
    runId: row.run_id,
    action: row.action,
    description: row.description,
    actorId: row.actor_id,
    createdAt: row.created_at,
  }));
}

/** The ids of each run's events, oldest first, in one query (the runs' `run-events` relationship). */
export async function idsByRunIds(db: Db, runIds: readonly string[]): Promise<Map<string, string[]>> {
  const ids = new Map<string, string[]>(runIds.map((id) => [id, []]));
  if (runIds.length === 0) return ids;
  const rows = await db.selectFrom('run_events').select(['id', 'run_id']).where('run_id', 'in', runIds).orderBy('run_id').orderBy('seq').execute();
  for (const row of rows) ids.get(row.run_id)?.push(row.id);
  return ids;
}
