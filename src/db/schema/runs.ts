/** Configuration versions, runs, their phases, events and logs. */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { RunId, WorkspaceId } from '../../ids.js';
import type { Timestamp, NullableTimestamp, Jsonb, NullableJsonb } from './common.js';

export interface ConfigurationVersionTable {
  id: string;
  workspace_id: WorkspaceId;
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
  id: RunId;
  workspace_id: WorkspaceId;
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
  /** The agent's first heartbeat of the phase: it took the job (migration 0048). */
  runner_accepted_at: NullableTimestamp;
  cancel_requested_at: NullableTimestamp;
  /** The agent working on the run's current phase. */
  agent_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** For a run a run trigger queued: the applied run of the source workspace. */
  triggered_by_run_id: ColumnType<RunId | null, RunId | null | undefined, RunId | null>;
  created_at: Timestamp;
}

export type RunRow = Selectable<RunTable>;

/** A workspace's source workspace: its applies queue runs here (run-triggers.mdx). */
export interface RunTriggerTable {
  id: string;
  workspace_id: WorkspaceId;
  sourceable_id: WorkspaceId;
  created_at: Timestamp;
}

/** A comment on a run, with the run event it made (comments.mdx). */
export interface RunCommentTable {
  id: string;
  run_id: RunId;
  run_event_id: string;
  body: string;
  created_by_id: string | null;
  created_at: Timestamp;
}

/** A plan or an apply: the phases of a run. */
export interface PhaseTable {
  id: string;
  run_id: RunId;
  status: string;
  status_timestamps: Jsonb<Record<string, string>>;
  resource_additions: Generated<number>;
  resource_changes: Generated<number>;
  resource_destructions: Generated<number>;
  resource_imports: Generated<number>;
  log_blob_key: string | null;
}

export interface ApplyTable extends PhaseTable {
  errored_state_blob_key: string | null;
}

export interface PlanTable extends PhaseTable {
  has_changes: Generated<boolean>;
  generated_configuration: Generated<boolean>;
  json_blob_key: string | null;
  redacted_json_blob_key: string | null;
  plan_file_blob_key: string | null;
  provider_schemas_blob_key: string | null;
}

export type PlanRow = Selectable<PlanTable>;

export interface RunEventTable {
  id: string;
  seq: Generated<number>;
  run_id: RunId;
  action: string;
  description: string;
  actor_id: string | null;
  created_at: Timestamp;
}

/** A piece of a running phase's log (migration 0010). */
export interface RunLogChunkTable {
  /** A plan's, an apply's or a test run's id. */
  phase_id: string;
  /** The run of a plan's or an apply's chunk; null for a test run's. */
  run_id: string | null;
  test_run_id: ColumnType<string | null, string | null | undefined, string | null>;
  seq: number;
  byte_offset: number;
  data: Buffer;
}
