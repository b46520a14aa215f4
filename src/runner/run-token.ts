import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Db } from '../db/database.js';
import { newId } from '../ids.js';

/**
 * The token a run's terraform talks back to Terrace with (src/auth/run-access.ts says what it may
 * do). One per phase: created when the phase starts, deleted when it ends; its expiry covers the
 * phase's time limit, so one left behind by a stopped server is dead anyway.
 */

export interface RunToken {
  id: string;
  secret: string;
}

export async function create(db: Db, run: { id: string; organizationId: string }, validUntil: Date): Promise<RunToken> {
  const { secret, hash } = generateToken();
  const token = await tokenStore.insert(db, {
    id: newId('at'),
    kind: 'run',
    hash,
    runId: run.id,
    organizationId: run.organizationId,
    description: `run ${run.id}`,
    expiredAt: validUntil,
  });
  return { id: token.id, secret };
}

export async function revoke(db: Db, token: RunToken): Promise<void> {
  await tokenStore.deleteById(db, token.id);
}
