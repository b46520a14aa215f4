import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db } from './database.js';
import * as foundation from './migrations/0001_foundation.js';
import * as workspaces from './migrations/0002_workspaces.js';
import * as workspaceNameSearch from './migrations/0003_workspace_name_search.js';
import * as jobs from './migrations/0004_jobs.js';

/** Every migration, in order. Explicit imports: no file-system discovery. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_workspaces': workspaces,
  '0003_workspace_name_search': workspaceNameSearch,
  '0004_jobs': jobs,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Applies pending migrations. Idempotent; Kysely's PostgreSQL adapter takes an advisory
 * transaction lock, so replicas starting together apply each migration once.
 */
export async function migrateToLatest(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}
