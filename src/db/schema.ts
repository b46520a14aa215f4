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
  /** A stand-in for an invited email that no user had yet (migration 0012). */
  is_invitation: Generated<boolean>;
  created_at: Timestamp;
}

export interface OrganizationTable {
  id: string;
  name: string;
  email: string;
  /** Documented organization settings (session-timeout, default-execution-mode, …) by wire name. */
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** The pool of workspaces in `agent` execution mode that follow the organization's default. */
  default_agent_pool_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface TeamTable {
  id: string;
  organization_id: string;
  name: string;
  visibility: Generated<string>;
  is_owners: Generated<boolean>;
  created_at: Timestamp;
  sso_team_id: string | null;
  allow_member_token_management: Generated<boolean>;
  /** teams.mdx `organization-access` flags by wire name; a missing flag is false. */
  organization_access: ColumnType<Record<string, boolean>, string | undefined, string>;
}

export interface TeamWorkspaceTable {
  id: string;
  team_id: string;
  workspace_id: string;
  access: string;
  runs: string;
  variables: string;
  state_versions: string;
  sentinel_mocks: string;
  workspace_locking: boolean;
  run_tasks: boolean;
  created_at: Generated<Date>;
}

export interface TeamProjectTable {
  id: string;
  team_id: string;
  project_id: string;
  access: string;
  project_settings: string;
  project_teams: string;
  project_variable_sets: string;
  workspace_runs: string;
  workspace_variables: string;
  workspace_state_versions: string;
  workspace_sentinel_mocks: string;
  workspace_create: boolean;
  workspace_move: boolean;
  workspace_locking: boolean;
  workspace_delete: boolean;
  workspace_run_tasks: boolean;
  created_at: Generated<Date>;
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
  /** `user`, `team`, `organization`, `run` (a job token) or `agent`. */
  kind: string;
  user_id: string | null;
  team_id: string | null;
  organization_id: string | null;
  /** For `run` tokens: the run whose terraform uses it. */
  run_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** For `run` tokens: the phase (`plan` or `apply`) of the job the token is for. */
  phase: ColumnType<string | null, string | null | undefined, string | null>;
  /** For `agent` tokens: the pool; null for the built-in runner's token. */
  agent_pool_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  current_configuration_version_id: string | null;
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

type NullableJsonb<T> = ColumnType<T | null, string | null | undefined, string | null>;

export interface StateVersionTable {
  id: string;
  workspace_id: string;
  serial: number;
  lineage: string | null;
  md5: string;
  /** `pending`, `finalized` or `discarded`. */
  status: string;
  size: number | null;
  json_size: number | null;
  state_version: number | null;
  terraform_version: string | null;
  resources: NullableJsonb<unknown[]>;
  providers: NullableJsonb<Record<string, unknown>>;
  modules: NullableJsonb<Record<string, unknown>>;
  resources_processed: Generated<boolean>;
  outputs_processed: Generated<boolean>;
  created_by_id: string | null;
  rollback_state_version_id: string | null;
  created_at: Timestamp;
}

export interface StateVersionOutputTable {
  id: string;
  state_version_id: string;
  name: string;
  sensitive: boolean;
  /** Plain JSON value; NULL for sensitive outputs. */
  value: NullableJsonb<unknown>;
  /** Sealed JSON of a sensitive output's value; NULL otherwise. */
  sealed_value: string | null;
  detailed_type: NullableJsonb<unknown>;
}

export interface WorkspaceResourceTable {
  id: string;
  workspace_id: string;
  address: string;
  name: string;
  module: string;
  provider: string;
  provider_type: string;
  name_index: string | null;
  instance_hash: string;
  modified_by_state_version_id: string;
  seen_in_state_version_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConfigurationVersionTable {
  id: string;
  workspace_id: string;
  source: string;
  status: string;
  auto_queue_runs: boolean;
  speculative: boolean;
  provisional: boolean;
  error: string | null;
  error_message: string | null;
  blob_key: string | null;
  size: number | null;
  uploaded_at: NullableTimestamp;
  errored_at: NullableTimestamp;
  archived_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface RunTable {
  id: string;
  workspace_id: string;
  organization_id: string;
  configuration_version_id: string | null;
  status: string;
  message: string;
  source: string;
  trigger_reason: string;
  is_destroy: boolean;
  refresh: boolean;
  refresh_only: boolean;
  replace_addrs: NullableJsonb<string[]>;
  target_addrs: NullableJsonb<string[]>;
  /** Sealed JSON of the run variables ([{key, value}]); NULL when there are none. */
  sealed_variables: string | null;
  plan_only: boolean;
  auto_apply: boolean;
  allow_empty_apply: boolean;
  allow_config_generation: boolean;
  save_plan: boolean;
  terraform_version: string | null;
  debugging_mode: boolean;
  has_changes: Generated<boolean>;
  created_by_id: string | null;
  status_timestamps: Jsonb<Record<string, string>>;
  queued_at: NullableTimestamp;
  runner_lease_until: NullableTimestamp;
  cancel_requested_at: NullableTimestamp;
  /** The agent working on the run's current phase. */
  agent_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

/** A plan or an apply: the phases of a run. */
interface PhaseTable {
  id: string;
  run_id: string;
  status: string;
  status_timestamps: Jsonb<Record<string, string>>;
  resource_additions: Generated<number>;
  resource_changes: Generated<number>;
  resource_destructions: Generated<number>;
  resource_imports: Generated<number>;
  log_blob_key: string | null;
}

export type ApplyTable = PhaseTable;

export interface PlanTable extends PhaseTable {
  has_changes: Generated<boolean>;
  generated_configuration: Generated<boolean>;
  json_blob_key: string | null;
  redacted_json_blob_key: string | null;
  plan_file_blob_key: string | null;
}

export interface RunEventTable {
  id: string;
  seq: Generated<number>;
  run_id: string;
  action: string;
  description: string;
  actor_id: string | null;
  created_at: Timestamp;
}

/** A piece of a running phase's log (migration 0010). */
export interface RunLogChunkTable {
  phase_id: string;
  run_id: string;
  seq: number;
  byte_offset: number;
  data: Buffer;
}

export interface DB {
  users: UserTable;
  organizations: OrganizationTable;
  teams: TeamTable;
  team_memberships: TeamMembershipTable;
  team_workspaces: TeamWorkspaceTable;
  team_projects: TeamProjectTable;
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
  configuration_versions: ConfigurationVersionTable;
  state_versions: StateVersionTable;
  state_version_outputs: StateVersionOutputTable;
  workspace_resources: WorkspaceResourceTable;
  runs: RunTable;
  plans: PlanTable;
  applies: ApplyTable;
  run_events: RunEventTable;
  run_log_chunks: RunLogChunkTable;
  agent_pools: AgentPoolTable;
  agent_pool_allowed_workspaces: AgentPoolAllowedWorkspaceTable;
  agent_pool_allowed_projects: AgentPoolAllowedProjectTable;
  agent_pool_excluded_workspaces: AgentPoolAllowedWorkspaceTable;
  agents: AgentTable;
  blob_uploads: BlobUploadTable;
  blob_chunks: BlobChunkTable;
  blobs: BlobTable;
  installation_facts: InstallationFactTable;
}

export interface AgentPoolTable {
  id: string;
  organization_id: string;
  name: string;
  organization_scoped: Generated<boolean>;
  created_at: Timestamp;
}

export interface AgentPoolAllowedWorkspaceTable {
  agent_pool_id: string;
  workspace_id: string;
}

export interface AgentPoolAllowedProjectTable {
  agent_pool_id: string;
  project_id: string;
}

export interface AgentTable {
  id: string;
  /** Null for the server's built-in runner. */
  agent_pool_id: string | null;
  name: string | null;
  ip_address: string | null;
  /** idle | busy | exited | errored, as last reported; `unknown` is derived from an old last_ping_at. */
  status: string;
  last_ping_at: Timestamp;
  created_at: Timestamp;
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
export type StateVersionRow = Selectable<StateVersionTable>;
export type StateVersionOutputRow = Selectable<StateVersionOutputTable>;
export type WorkspaceResourceRow = Selectable<WorkspaceResourceTable>;
export type RunRow = Selectable<RunTable>;
export type PlanRow = Selectable<PlanTable>;
export type ApplyRow = Selectable<ApplyTable>;
export type RunEventRow = Selectable<RunEventTable>;

/** Facts about the installation that every replica reads (migration 0015). */
export interface InstallationFactTable {
  name: string;
  value: string;
}

/** The PostgreSQL blob store's tables (migration 0015). */
export interface BlobUploadTable {
  id: string;
  started_at: Generated<Date>;
  released_at: Date | null;
}

export interface BlobChunkTable {
  upload_id: string;
  seq: number;
  byte_offset: number;
  data: Buffer;
}

export interface BlobTable {
  key: string;
  upload_id: string;
  size: number;
  md5: string;
}
