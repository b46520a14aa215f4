/** The private registry: modules and their versions. */
import type { ColumnType } from 'kysely';
import type { NullableJsonb, Timestamp } from './common.js';

export interface RegistryModuleTable {
  id: string;
  organization_id: string;
  /** `private` (Terrace has no public registry to curate). */
  registry_name: string;
  /** The organization's name for private modules. */
  namespace: string;
  name: string;
  provider: string;
  no_code: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RegistryModuleVersionTable {
  id: string;
  module_id: string;
  version: string;
  /** `pending` until its archive is uploaded and read, then `ok` or `errored` (with `error`). */
  status: ColumnType<string, string | undefined, string>;
  error: string | null;
  commit_sha: string | null;
  blob_key: string | null;
  size: ColumnType<string | null, number | null | undefined, number | null>;
  /** The README, inputs, outputs, resources and dependencies read from the archive's root module. */
  interface: NullableJsonb<unknown>;
  created_at: Timestamp;
  updated_at: Timestamp;
}
