import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** The gauges `/metrics` reads from the database when it is scraped (they hold for every replica). */

export async function runsByStatus(db: Db): Promise<{ status: string; count: number }[]> {
  return db
    .selectFrom('runs')
    .select(['status', db.fn.countAll<number>().as('count')])
    .groupBy('status')
    .execute();
}

/** Background jobs due and not claimed, and the age of the oldest, in seconds. */
export async function waitingJobs(db: Db, now: Date): Promise<{ count: number; oldestSeconds: number }> {
  const row = await db
    .selectFrom('jobs')
    .select([db.fn.countAll<number>().as('count'), sql<Date | null>`min(run_at)`.as('oldest')])
    .where('failed_at', 'is', null)
    .where('run_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .executeTakeFirstOrThrow();
  return { count: row.count, oldestSeconds: row.oldest ? Math.max(0, (now.getTime() - new Date(row.oldest).getTime()) / 1000) : 0 };
}

/** Agents by status, the built-in runner's (no pool) apart from those of agent pools. */
export async function agentsByStatus(db: Db): Promise<{ builtIn: boolean; status: string; count: number }[]> {
  const rows = await db
    .selectFrom('agents')
    .select([sql<boolean>`agent_pool_id is null`.as('builtIn'), 'status', db.fn.countAll<number>().as('count')])
    .groupBy([sql`agent_pool_id is null`, 'status'])
    .execute();
  return rows.map((row) => ({ builtIn: row.builtIn, status: row.status, count: row.count }));
}
