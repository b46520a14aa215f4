/** Organizations, memberships, teams and their access, projects. */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { NullableJsonb, Timestamp } from './common.js';

export interface OrganizationTable {
  id: string;
  name: string;
  email: string;
  /** Documented organization settings (session-timeout, default-execution-mode, …) by wire name. */
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** The pool of workspaces in `agent` execution mode that follow the organization's default. */
  default_agent_pool_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Its explicit data retention policy; null when it has none (migration 0033). */
  data_retention_policy: NullableJsonb<StoredRetentionPolicy>;
  created_at: Timestamp;
}

export type OrganizationRow = Selectable<OrganizationTable>;

/** Each organization's number of workspaces, kept by triggers on `workspaces` (migration 0047). */
export interface OrganizationWorkspaceCountTable {
  organization_id: string;
  workspaces: number;
}

/**
 * A data retention policy as its organization or workspace stores it. `delete-older` removes state
 * versions and archives configuration versions older than `deleteOlderThanNDays`, keeping the latest
 * ones counted; `dont-delete` keeps everything (a workspace's overrides its organization's).
 */
export interface StoredRetentionPolicy {
  id: string;
  kind: 'delete-older' | 'dont-delete';
  deleteOlderThanNDays: number | null;
  stateVersionsKeepLatestCount: number | null;
  configurationVersionsKeepLatestCount: number | null;
}

export interface OrganizationMembershipTable {
  id: string;
  organization_id: string;
  user_id: string;
  /** `invited` or `active`. */
  status: string;
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

export interface ProjectTable {
  id: string;
  organization_id: string;
  name: string;
  description: Generated<string>;
  is_default: Generated<boolean>;
  auto_destroy_activity_duration: string | null;
  created_at: Timestamp;
}

export type ProjectRow = Selectable<ProjectTable>;
