import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Db } from './database.js';
import * as foundation from './migrations/0001_foundation.js';
import * as workspaces from './migrations/0002_workspaces.js';
import * as workspaceNameSearch from './migrations/0003_workspace_name_search.js';
import * as jobs from './migrations/0004_jobs.js';
import * as stateVersions from './migrations/0005_state_versions.js';
import * as teams from './migrations/0006_teams.js';
import * as configurationVersions from './migrations/0007_configuration_versions.js';
import * as runs from './migrations/0009_runs.js';
import * as runLogs from './migrations/0010_run_logs.js';
import * as agents from './migrations/0011_agents.js';
import * as invitedUsers from './migrations/0012_invited_users.js';
import * as replicas from './migrations/0015_replicas.js';
import * as authChanges from './migrations/0016_auth_changes.js';
import * as runTasks from './migrations/0017_run_tasks.js';
import * as reservedTagKeys from './migrations/0018_reserved_tag_keys.js';
import * as planProviderSchemas from './migrations/0019_plan_provider_schemas.js';
import * as applyErroredState from './migrations/0020_apply_errored_state.js';
import * as taskStages from './migrations/0021_task_stages.js';
import * as runTriggersComments from './migrations/0022_run_triggers_comments.js';
import * as registryModules from './migrations/0023_registry_modules.js';
import * as registryProviders from './migrations/0024_registry_providers.js';
import * as notifications from './migrations/0025_notifications.js';
import * as sshKeys from './migrations/0026_ssh_keys.js';
import * as dataRetention from './migrations/0033_data_retention.js';
import * as blobChunkCompression from './migrations/0040_blob_chunk_compression.js';
import * as policySets from './migrations/0041_policy_sets.js';
import * as policySetParameters from './migrations/0042_policy_set_parameters.js';
import * as policies from './migrations/0043_policies.js';
import * as webSessions from './migrations/0044_web_sessions.js';
import * as moduleTests from './migrations/0046_module_tests.js';
import * as workspaceCounts from './migrations/0047_workspace_counts.js';
import * as runnerAccepted from './migrations/0048_runner_accepted.js';
import * as shownChanges from './migrations/0049_shown_changes.js';

/** Every migration, in order. Explicit imports: no file-system discovery. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_workspaces': workspaces,
  '0003_workspace_name_search': workspaceNameSearch,
  '0004_jobs': jobs,
  '0005_state_versions': stateVersions,
  '0006_teams': teams,
  '0007_configuration_versions': configurationVersions,
  '0009_runs': runs,
  '0010_run_logs': runLogs,
  '0011_agents': agents,
  '0012_invited_users': invitedUsers,
  '0015_replicas': replicas,
  '0016_auth_changes': authChanges,
  '0017_run_tasks': runTasks,
  '0018_reserved_tag_keys': reservedTagKeys,
  '0019_plan_provider_schemas': planProviderSchemas,
  '0020_apply_errored_state': applyErroredState,
  '0021_task_stages': taskStages,
  '0022_run_triggers_comments': runTriggersComments,
  '0023_registry_modules': registryModules,
  '0024_registry_providers': registryProviders,
  '0025_notifications': notifications,
  '0026_ssh_keys': sshKeys,
  '0033_data_retention': dataRetention,
  '0040_blob_chunk_compression': blobChunkCompression,
  '0041_policy_sets': policySets,
  '0042_policy_set_parameters': policySetParameters,
  '0043_policies': policies,
  '0044_web_sessions': webSessions,
  '0046_module_tests': moduleTests,
  '0047_workspace_counts': workspaceCounts,
  '0048_runner_accepted': runnerAccepted,
  '0049_shown_changes': shownChanges,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * The names of the migrations the database records, read directly: Kysely's Migrator first
 * introspects the columns of every table (0.4 s on PGlite, at each start and readiness check),
 * which a database with nothing to apply does not need.
 */
async function appliedMigrations(db: Db): Promise<string[]> {
  const { rows } = await sql<{ present: boolean }>`select to_regclass('kysely_migration') is not null as present`.execute(db);
  if (!rows[0]?.present) return [];
  return (await sql<{ name: string }>`select name from kysely_migration`.execute(db)).rows.map((r) => r.name);
}

/** The migrations this code knows that the database has not applied (readiness: a replica ahead of its database). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const applied = new Set(await appliedMigrations(db));
  return Object.keys(MIGRATIONS).filter((name) => !applied.has(name));
}

/**
 * Applies pending migrations. Idempotent; Kysely's PostgreSQL adapter takes an advisory
 * transaction lock, so replicas starting together apply each migration once. A database that
 * records exactly this code's migrations is left alone; any other (behind, or ahead with
 * migrations this code does not know) goes through the Migrator, which applies or refuses.
 */
export async function migrateToLatest(db: Db): Promise<void> {
  const applied = await appliedMigrations(db);
  const known = Object.keys(MIGRATIONS);
  if (applied.length === known.length && known.every((name) => applied.includes(name))) return;
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}
