import { pageAndTotal } from '../db/paging.js';
import type { RunId } from '../ids.js';
import type { Db } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { TokenRow } from '../db/schema.js';
import { camelized } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

export type TokenKind = 'user' | 'team' | 'organization' | 'run' | 'test-run' | 'agent' | 'task-result';

export interface Token {
  id: string;
  kind: TokenKind;
  userId: string | null;
  teamId: string | null;
  organizationId: string | null;
  runId: RunId | null;
  /** For `run` tokens (job tokens): the phase of the job. */
  phase: string | null;
  /** For `agent` tokens: the pool; null for the built-in runner's token. */
  agentPoolId: string | null;
  /** For `task-result` tokens: the run task result whose integration holds it. */
  taskResultId: string | null;
  /** For `test-run` tokens (a module test's job token): its test run. */
  testRunId: string | null;
  description: string | null;
  createdById: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiredAt: Date | null;
}

export function toToken({ token_hash, ...row }: TokenRow): Token {
  return { ...camelized(row), kind: row.kind as TokenKind };
}

export interface NewToken {
  id: string;
  kind: TokenKind;
  hash: string;
  userId?: string;
  teamId?: string;
  organizationId?: string;
  runId?: RunId;
  phase?: string;
  agentPoolId?: string | null;
  taskResultId?: string;
  testRunId?: string;
  description?: string | null;
  createdById?: string | null;
  expiredAt?: Date | null;
}

export async function insert(db: Db, token: NewToken): Promise<Token> {
  const row = await db
    .insertInto('tokens')
    .values({
      id: token.id,
      kind: token.kind,
      token_hash: token.hash,
      user_id: token.userId ?? null,
      team_id: token.teamId ?? null,
      organization_id: token.organizationId ?? null,
      run_id: token.runId ?? null,
      phase: token.phase ?? null,
      agent_pool_id: token.agentPoolId ?? null,
      task_result_id: token.taskResultId ?? null,
      test_run_id: token.testRunId ?? null,
      description: token.description ?? null,
      created_by_id: token.createdById ?? null,
      expired_at: token.expiredAt ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toToken(row);
}

export async function findByHash(db: Db, hash: string): Promise<Token | undefined> {
  // Prepared (src/db/prepared.ts): every request whose token the auth cache does not hold reads it.
  const row = await prepared(db.selectFrom('tokens').selectAll().where('token_hash', '=', hash)).executeTakeFirst();
  return row && toToken(row);
}

export async function findById(db: Db, id: string): Promise<Token | undefined> {
  const row = await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toToken(row);
}

export async function listByUser(db: Db, userId: string, limit: number, offset: number): Promise<Paged<Token>> {
  const userTokens = db.selectFrom('tokens').selectAll().where('kind', '=', 'user').where('user_id', '=', userId);
  const { rows, total } = await pageAndTotal(userTokens.orderBy('created_at').orderBy('id'), { limit, offset });
  return { items: rows.map(toToken), total };
}

export async function findOrganizationToken(db: Db, organizationId: string): Promise<Token | undefined> {
  const row = await db.selectFrom('tokens').selectAll().where('kind', '=', 'organization').where('organization_id', '=', organizationId).executeTakeFirst();
  return row && toToken(row);
}

/** Deletes the organization's token, if any; returns whether one existed. */
export async function deleteOrganizationToken(db: Db, organizationId: string): Promise<boolean> {
  const result = await db.deleteFrom('tokens').where('kind', '=', 'organization').where('organization_id', '=', organizationId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function deleteById(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Records use, at most once a minute per token: a write on every request would make each
 * read a write.
 */
export async function touch(db: Db, id: string, now: Date, intervalMs = 60_000): Promise<void> {
  const threshold = new Date(now.getTime() - intervalMs);
  await db
    .updateTable('tokens')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', threshold)]))
    .execute();
}

/** Revokes the job tokens of a run: its phase ended, one way or another. */
export async function deleteRunTokens(db: Db, runId: RunId): Promise<void> {
  await db.deleteFrom('tokens').where('kind', '=', 'run').where('run_id', '=', runId).execute();
}

/** Revokes run task access tokens: a result's (it got its answer) or all of a run's (it ended). */
export async function deleteTaskResultTokens(db: Db, owner: { taskResultId: string } | { runId: RunId }): Promise<void> {
  const query = db.deleteFrom('tokens').where('kind', '=', 'task-result');
  await ('runId' in owner ? query.where('run_id', '=', owner.runId) : query.where('task_result_id', '=', owner.taskResultId)).execute();
}

/** Revokes a module test run's job token: its test ended, one way or another. */
export async function deleteTestRunTokens(db: Db, testRunId: string): Promise<void> {
  await db.deleteFrom('tokens').where('kind', '=', 'test-run').where('test_run_id', '=', testRunId).execute();
}
