import type { Db } from '../db/database.js';
import type { RunId } from '../ids.js';

/** What happened to a run, in order: every status it entered, and cancel requests (`GET /runs/:id/run-events`). */
export interface RunEvent {
  id: string;
  runId: RunId;
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

export async function listForRun(db: Db, runId: RunId): Promise<RunEvent[]> {
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
