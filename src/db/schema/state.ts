/** State versions, their outputs and the resources they manage. */
import type { Generated, Selectable } from 'kysely';
import type { WorkspaceId } from '../../ids.js';
import type { Timestamp, NullableJsonb } from './common.js';

export interface StateVersionTable {
  id: string;
  workspace_id: WorkspaceId;
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

export type StateVersionRow = Selectable<StateVersionTable>;

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

export type StateVersionOutputRow = Selectable<StateVersionOutputTable>;

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

export type WorkspaceResourceRow = Selectable<WorkspaceResourceTable>;
