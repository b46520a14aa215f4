import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface UserTable {
  id: string;
  username: string;
  email: string;
  /** scrypt hash `scrypt$N$salt$hash`; null for accounts that cannot sign in with a password. */
  password_hash: string | null;
  is_site_admin: Generated<boolean>;
  is_service_account: Generated<boolean>;
  created_at: Timestamp;
}

export interface OrganizationTable {
  id: string;
  name: string;
  email: string;
  /** Documented organization settings (session-timeout, default-execution-mode, …) by wire name. */
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Timestamp;
}

export interface TeamTable {
  id: string;
  organization_id: string;
  name: string;
  visibility: Generated<string>;
  is_owners: Generated<boolean>;
  created_at: Timestamp;
}

export interface TeamMembershipTable {
  team_id: string;
  user_id: string;
}

export interface OrganizationMembershipTable {
  id: string;
  organization_id: string;
  user_id: string;
  /** `invited` or `active`. */
  status: string;
  created_at: Timestamp;
}

export interface TokenTable {
  id: string;
  /** `user`, `team` or `organization`. */
  kind: string;
  user_id: string | null;
  team_id: string | null;
  organization_id: string | null;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  token_hash: string;
  description: string | null;
  created_by_id: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  expired_at: NullableTimestamp;
}

export interface OauthCodeTable {
  /** SHA-256 of the one-time authorization code. */
  code_hash: string;
  user_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  expires_at: Timestamp;
}

export interface DB {
  users: UserTable;
  organizations: OrganizationTable;
  teams: TeamTable;
  team_memberships: TeamMembershipTable;
  organization_memberships: OrganizationMembershipTable;
  tokens: TokenTable;
  oauth_codes: OauthCodeTable;
}

export type UserRow = Selectable<UserTable>;
export type OrganizationRow = Selectable<OrganizationTable>;
export type TeamRow = Selectable<TeamTable>;
export type OrganizationMembershipRow = Selectable<OrganizationMembershipTable>;
export type TokenRow = Selectable<TokenTable>;
