import { sql } from 'kysely';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Log } from '../context.js';
import type { Db } from '../db/database.js';
import { newId, type RunId } from '../ids.js';
import { RUNNING_STATUSES } from '../runs/schedule-store.js';

/**
 * The job token: what an agent works on one phase with and the run's terraform talks back to Terrace
 * with (src/auth/run-access.ts says what it may do). One per phase: created when an agent claims the
 * phase, deleted when the phase ends (runs/schedule.ts changeStatus); its expiry covers the phase's
 * time limit, so one whose deletion was lost is dead anyway.
 */

export interface RunToken {
  id: string;
  secret: string;
}

export async function create(
  db: Db,
  run: { id: RunId; organizationId: string },
  phase: 'plan' | 'apply',
  validUntil: Date,
  description = `${phase} of run ${run.id}`,
): Promise<RunToken> {
  const { secret, hash } = generateToken();
  const token = await tokenStore.insert(db, {
    id: newId('at'),
    kind: 'run',
    hash,
    runId: run.id,
    phase,
    organizationId: run.organizationId,
    description,
    expiredAt: validUntil,
  });
  return { id: token.id, secret };
}

/**
 * Deletes the run tokens of phases that no longer run: their run is neither planning nor applying,
 * or its runner's lease lapsed (a server killed mid-phase never revoked them). Called at start;
 * returns how many. A run still held by a live runner elsewhere keeps its token.
 */
export async function revokeStale(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('tokens')
    .where('kind', '=', 'run')
    .where((eb) =>
      eb.or([
        eb('run_id', 'is', null),
        eb('run_id', 'not in', eb.selectFrom('runs').select('runs.id').where('status', 'in', RUNNING_STATUSES).where('runner_lease_until', '>=', sql<Date>`now()`)),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Revokes stale run tokens now (what a killed server left), then every `intervalMs`: the token of a
 * phase whose server died lives until its lease lapses, then one interval more at most. Returns the
 * function that stops the timer.
 */
export async function startStaleTokenSweep(db: Db, log: Log, intervalMs = 30_000): Promise<() => void> {
  await revokeStale(db);
  const timer = setInterval(() => {
    revokeStale(db).catch((err: unknown) => log.error({ err }, 'stale run token sweep failed'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
