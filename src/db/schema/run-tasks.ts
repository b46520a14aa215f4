/** Run tasks and their workspace associations. */
import type { Generated } from 'kysely';
import type { RunId } from '../../ids.js';
import type { Jsonb, NullableJsonb, NullableTimestamp, Timestamp } from './common.js';

export interface RunTaskTable {
  id: string;
  organization_id: string;
  name: string;
  url: string;
  description: string | null;
  category: Generated<string>;
  /** The HMAC key, sealed; write-only in the API. */
  sealed_hmac_key: string | null;
  enabled: Generated<boolean>;
  global_enabled: Generated<boolean>;
  global_stages: Generated<string[]>;
  global_enforcement_level: string | null;
  created_at: Timestamp;
}

export interface WorkspaceRunTaskTable {
  id: string;
  workspace_id: string;
  task_id: string;
  enforcement_level: string;
  stages: string[];
  created_at: Timestamp;
}

/** A run's task stage: one per run stage that has tasks (run-task-stages-and-results.mdx). */
export interface TaskStageTable {
  id: string;
  run_id: RunId;
  stage: string;
  status: Generated<string>;
  status_timestamps: Jsonb<Record<string, string>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One task's result in a task stage, with the task as it was when the run was created. */
export interface TaskResultTable {
  id: string;
  task_stage_id: string;
  task_id: string | null;
  task_name: string;
  task_url: string;
  workspace_task_id: string | null;
  enforcement_level: string;
  status: Generated<string>;
  message: string | null;
  url: string | null;
  status_timestamps: Jsonb<Record<string, string>>;
  last_update_at: NullableTimestamp;
  position: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A detailed outcome an integration sent with its callback. */
export interface TaskResultOutcomeTable {
  id: string;
  task_result_id: string;
  position: number;
  outcome_id: string;
  description: string;
  body: string | null;
  url: string | null;
  tags: NullableJsonb<Record<string, { label: string; level?: string }[]>>;
  created_at: Timestamp;
}
