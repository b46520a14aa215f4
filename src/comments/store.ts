import type { Db } from '../db/database.js';
import type { RunId } from '../ids.js';

/** Run comments (comments.mdx), each with the run event it made. */

export interface Comment {
  id: string;
  runId: RunId;
  runEventId: string;
  body: string;
  createdById: string | null;
  createdAt: Date;
}

function toComment(row: { id: string; run_id: RunId; run_event_id: string; body: string; created_by_id: string | null; created_at: Date }): Comment {
  return { id: row.id, runId: row.run_id, runEventId: row.run_event_id, body: row.body, createdById: row.created_by_id, createdAt: row.created_at };
}

export async function insert(db: Db, comment: Comment): Promise<void> {
  await db
    .insertInto('run_comments')
    .values({
      id: comment.id,
      run_id: comment.runId,
      run_event_id: comment.runEventId,
      body: comment.body,
      created_by_id: comment.createdById,
      created_at: comment.createdAt,
    })
    .execute();
}

export async function findManyById(db: Db, ids: readonly string[]): Promise<Comment[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('run_comments').selectAll().where('id', 'in', ids).orderBy('created_at').orderBy('id').execute()).map(toComment);
}

/** The run's comments, oldest first. */
export async function listForRun(db: Db, runId: RunId): Promise<Comment[]> {
  return (await db.selectFrom('run_comments').selectAll().where('run_id', '=', runId).orderBy('created_at').orderBy('id').execute()).map(toComment);
}
