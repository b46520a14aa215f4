/** Workspaces, remote-state consumers, tags and tag bindings. */
import type { Generated, Selectable } from 'kysely';
import type { Jsonb, NullableJsonb, NullableTimestamp, Timestamp } from './common.js';
import type { RunId, WorkspaceId } from '../../ids.js';
import type { StoredRetentionPolicy } from './organizations.js';

export interface WorkspaceTable {
  id: WorkspaceId;
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
  current_run_id: RunId | null;
  latest_run_id: RunId | null;
  current_state_version_id: string | null;
  current_configuration_version_id: string | null;
  /** The SSH key its runs clone git modules with (migration 0021). */
  ssh_key_id: Generated<string | null>;
  /** Its explicit data retention policy, overriding its organization's (migration 0033). */
  data_retention_policy: NullableJsonb<StoredRetentionPolicy>;
  resource_count: Generated<number>;
  latest_change_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type WorkspaceRow = Selectable<WorkspaceTable>;

export interface RemoteStateConsumerTable {
  workspace_id: WorkspaceId;
  consumer_id: WorkspaceId;
}

export interface TagTable {
  id: string;
  organization_id: string;
  name: string;
  created_at: Timestamp;
}

export type TagRow = Selectable<TagTable>;

export interface WorkspaceTagTable {
  workspace_id: WorkspaceId;
  tag_id: string;
}

export interface WorkspaceTagBindingTable {
  id: string;
  workspace_id: WorkspaceId;
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

export interface ReservedTagKeyTable {
  id: string;
  organization_id: string;
  key: string;
  /** Workspaces may not override a value their project binds for this key. */
  disable_overrides: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}
