/** OPA policy sets, their versions and targets, and the policy evaluations of runs. */
import type { Generated } from 'kysely';
import type { Jsonb, NullableJsonb, Timestamp } from './common.js';

export interface PolicySetTable {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  kind: string;
  global: Generated<boolean>;
  overridable: Generated<boolean>;
  agent_enabled: Generated<boolean>;
  policy_tool_version: Generated<string>;
  current_version_id: string | null;
  newest_version_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PolicySetTargetTable {
  policy_set_id: string;
  kind: string;
  target_id: string;
}

export interface StoredPolicy {
  name: string;
  description: string | null;
  query: string;
  enforcementLevel: 'advisory' | 'mandatory';
}

export interface PolicySetVersionTable {
  id: string;
  policy_set_id: string;
  status: string;
  error: string | null;
  policies: NullableJsonb<StoredPolicy[]>;
  /** The Rego files by path. */
  modules: NullableJsonb<Record<string, string>>;
  status_timestamps: Jsonb<Record<string, string>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StoredResultCount {
  'advisory-failed': number;
  'mandatory-failed': number;
  passed: number;
  errored: number;
}

export interface StoredPolicyOutcome {
  enforcement_level: 'advisory' | 'mandatory';
  query: string;
  status: 'passed' | 'failed' | 'errored';
  policy_name: string;
  description: string;
}

export interface PolicyEvaluationTable {
  id: string;
  task_stage_id: string;
  status: string;
  result_count: Jsonb<StoredResultCount>;
  status_timestamps: Jsonb<Record<string, string>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PolicySetOutcomeTable {
  id: string;
  policy_evaluation_id: string;
  position: number;
  policy_set_name: string;
  policy_set_description: string | null;
  overridable: boolean;
  error: string;
  outcomes: Jsonb<StoredPolicyOutcome[]>;
  result_count: Jsonb<StoredResultCount>;
  created_at: Timestamp;
}

export interface PolicySetParameterTable {
  id: string;
  policy_set_id: string;
  key: string;
  /** The value of a parameter that is not sensitive. */
  value: string | null;
  /** The value of a sensitive one, sealed; write-only in the API. */
  sealed_value: string | null;
  sensitive: boolean;
  created_at: Generated<Date>;
}

export interface PolicyTable {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  query: string;
  enforcement_level: string;
  /** The Rego, once uploaded. */
  body: string | null;
  created_at: Timestamp;
  updated_at: Date | null;
}
