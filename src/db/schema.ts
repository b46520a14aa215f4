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

type Jsonb<T> = ColumnType<T, string | undefined, string>;

export interface ProjectTable {
  id: string;
  organization_id: string;
  name: string;
  description: Generated<string>;
  is_default: Generated<boolean>;
  auto_destroy_activity_duration: string | null;
  created_at: Timestamp;
}

export interface WorkspaceTable {
  id: string;
  organization_id: string;
  project_id: string;
  name: string;
  description: Generated<string>;
  execution_mode: string | null;
  agent_pool_id: string | null;
  allow_destroy_plan: Generated<boolean>;
  assessments_enabled: Generated<boolean>;
  auto_apply: Generated<boolean>;
  auto_apply_run_trigger: Generated<boolean>;
  auto_destroy_at: NullableTimestamp;
  auto_destroy_activity_duration: string | null;
  file_triggers_enabled: Generated<boolean>;
  global_remote_state: Generated<boolean>;
  operations: Generated<boolean>;
  queue_all_runs: Generated<boolean>;
  source_name: string | null;
  source_url: string | null;
  speculative_enabled: Generated<boolean>;
  structured_run_output_enabled: Generated<boolean>;
  terraform_version: string;
  trigger_patterns: Jsonb<string[]>;
  trigger_prefixes: Jsonb<string[]>;
  working_directory: Generated<string>;
  locked_by_kind: string | null;
  locked_by_id: string | null;
  lock_reason: string | null;
  current_run_id: string | null;
  latest_run_id: string | null;
  current_state_version_id: string | null;
  resource_count: Generated<number>;
  latest_change_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RemoteStateConsumerTable {
  workspace_id: string;
  consumer_id: string;
}

export interface TagTable {
  id: string;
  organization_id: string;
  name: string;
  created_at: Timestamp;
}

export interface WorkspaceTagTable {
  workspace_id: string;
  tag_id: string;
}

export interface WorkspaceTagBindingTable {
  id: string;
  workspace_id: string;
  key: string;
  value: Generated<string>;
  created_at: Timestamp;
}

export interface ProjectTagBindingTable {
  id: string;
  project_id: string;
  key: string;
  value: Generated<string>;
  created_at: Timestamp;
}

export interface VariableSetTable {
  id: string;
  organization_id: string;
  name: string;
  description: Generated<string>;
  is_global: Generated<boolean>;
  priority: Generated<boolean>;
  /** The owning project of a project-owned set; NULL when the organization owns it. */
  parent_project_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VariableSetWorkspaceTable {
  variable_set_id: string;
  workspace_id: string;
}

export interface VariableSetProjectTable {
  variable_set_id: string;
  project_id: string;
}

export interface VariableTable {
  id: string;
  workspace_id: string | null;
  variable_set_id: string | null;
  key: string;
  /** Plain value; NULL for sensitive variables. */
  value: string | null;
  /** Sealed (encrypted) value of a sensitive variable; NULL otherwise. */
  sealed_value: string | null;
  description: Generated<string>;
  /** `terraform` or `env`. */
  category: string;
  hcl: Generated<boolean>;
  sensitive: Generated<boolean>;
  version_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface JobTable {
  id: Generated<number>;
  kind: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  run_at: ColumnType<Date, Date | string | undefined, Date | string>;
  attempts: Generated<number>;
  max_attempts: number;
  locked_until: NullableTimestamp;
  last_error: string | null;
  failed_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface DB {
  users: UserTable;
  organizations: OrganizationTable;
  teams: TeamTable;
  team_memberships: TeamMembershipTable;
  organization_memberships: OrganizationMembershipTable;
  tokens: TokenTable;
  oauth_codes: OauthCodeTable;
  projects: ProjectTable;
  workspaces: WorkspaceTable;
  remote_state_consumers: RemoteStateConsumerTable;
  tags: TagTable;
  workspace_tags: WorkspaceTagTable;
  workspace_tag_bindings: WorkspaceTagBindingTable;
  project_tag_bindings: ProjectTagBindingTable;
  variable_sets: VariableSetTable;
  variable_set_workspaces: VariableSetWorkspaceTable;
  variable_set_projects: VariableSetProjectTable;
  variables: VariableTable;
  jobs: JobTable;
}

export type UserRow = Selectable<UserTable>;
export type OrganizationRow = Selectable<OrganizationTable>;
export type TeamRow = Selectable<TeamTable>;
export type OrganizationMembershipRow = Selectable<OrganizationMembershipTable>;
export type TokenRow = Selectable<TokenTable>;
export type ProjectRow = Selectable<ProjectTable>;
export type WorkspaceRow = Selectable<WorkspaceTable>;
export type TagRow = Selectable<TagTable>;
export type VariableSetRow = Selectable<VariableSetTable>;
export type VariableRow = Selectable<VariableTable>;
