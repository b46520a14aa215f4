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
  /** `test-config.tests-enabled` (modules.mdx "Update a Private Registry Module"). */
  tests_enabled: ColumnType<boolean, boolean | undefined, boolean>;
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

/** A namespace's public key that provider versions are signed with (gpg-keys.mdx). */
export interface GpgKeyTable {
  id: string;
  organization_id: string;
  /** The key's 16-hex-digit ID, upper case. */
  key_id: string;
  ascii_armor: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RegistryProviderTable {
  id: string;
  organization_id: string;
  registry_name: string;
  namespace: string;
  name: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RegistryProviderVersionTable {
  id: string;
  provider_id: string;
  version: string;
  key_id: string;
  protocols: string[];
  shasums: string | null;
  /** Stored only once it verified against the version's key. */
  shasums_sig: Buffer | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RegistryProviderPlatformTable {
  id: string;
  version_id: string;
  os: string;
  arch: string;
  filename: string;
  shasum: string;
  /** Set once the binary was uploaded and matched `shasum`. */
  blob_key: string | null;
  size: ColumnType<string | null, number | null | undefined, number | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A module's configuration uploaded for a test (tests.mdx "Create a Configuration Version for a Test"). */
export interface TestConfigurationVersionTable {
  id: string;
  registry_module_id: string;
  /** `pending` until its archive is uploaded and checked, then `uploaded` or `errored`. */
  status: string;
  error: string | null;
  error_message: string | null;
  blob_key: string | null;
  size: ColumnType<string | null, number | null | undefined, number | null>;
  uploaded_at: Date | null;
  created_at: Timestamp;
}

/** A module test run (tests.mdx). */
export interface TestRunTable {
  id: string;
  registry_module_id: string;
  configuration_version_id: string | null;
  status: string;
  status_timestamps: ColumnType<Record<string, string>, string | undefined, string>;
  variables: ColumnType<{ key: string; value: string }[], string, string>;
  filters: ColumnType<string[], string, string>;
  test_directory: string;
  verbose: boolean;
  parallelism: number | null;
  test_status: string | null;
  tests_passed: number | null;
  tests_failed: number | null;
  tests_errored: number | null;
  tests_skipped: number | null;
  source: string;
  message: string;
  created_by: string | null;
  agent_id: string | null;
  runner_lease_until: Date | null;
  cancel_requested_at: Date | null;
  log_blob_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
