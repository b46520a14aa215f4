/** Users, their tokens and OAuth codes. */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { RunId } from '../../ids.js';
import type { Timestamp, NullableTimestamp } from './common.js';

export interface UserTable {
  id: string;
  username: string;
  email: string;
  /** scrypt hash `scrypt$N$salt$hash`; null for accounts that cannot sign in with a password. */
  password_hash: string | null;
  is_site_admin: Generated<boolean>;
  is_service_account: Generated<boolean>;
  /** A stand-in for an invited email that no user had yet (migration 0012). */
  is_invitation: Generated<boolean>;
  created_at: Timestamp;
}

export type UserRow = Selectable<UserTable>;

export interface TokenTable {
  id: string;
  /** `user`, `team`, `organization`, `run` (a job token), `test-run` (a module test's job token), `agent` or `task-result`. */
  kind: string;
  user_id: string | null;
  team_id: string | null;
  organization_id: string | null;
  /** For `run` tokens: the run whose terraform uses it. */
  run_id: ColumnType<RunId | null, RunId | null | undefined, RunId | null>;
  /** For `run` tokens: the phase (`plan` or `apply`) of the job the token is for. */
  phase: ColumnType<string | null, string | null | undefined, string | null>;
  /** For `agent` tokens: the pool; null for the built-in runner's token. */
  agent_pool_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** For `task-result` tokens (a run task's access token): the result it reports. */
  task_result_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** For `test-run` tokens (a module test's job token): its test run. */
  test_run_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  token_hash: string;
  description: string | null;
  created_by_id: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  expired_at: NullableTimestamp;
}

export type TokenRow = Selectable<TokenTable>;

export interface OauthCodeTable {
  /** SHA-256 of the one-time authorization code. */
  code_hash: string;
  user_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  expires_at: Timestamp;
}

/** A signed-in browser (migration 0044). */
export interface WebSessionTable {
  id: string;
  /** SHA-256 of the session cookie's secret, hex. */
  secret_hash: string;
  user_id: string;
  /** Posted back by every form of the session (src/web/session-hook.ts). */
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}
