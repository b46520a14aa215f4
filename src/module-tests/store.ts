import { type Selectable, sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { TestConfigurationVersionTable, TestRunTable } from '../db/schema.js';
import { camelized } from '../db/rows.js';

/** Module tests (private-registry/tests.mdx): test configuration versions and test runs. */

export type TestConfigurationStatus = 'pending' | 'uploaded' | 'errored';

export interface TestConfigurationVersion {
  id: string;
  moduleId: string;
  status: TestConfigurationStatus;
  error: string | null;
  errorMessage: string | null;
  blobKey: string | null;
  uploadedAt: Date | null;
  createdAt: Date;
}

/** tests.mdx "Test Run States". */
export type TestRunStatus = 'queued' | 'running' | 'finished' | 'errored' | 'canceled';
export const TEST_RUN_ENDED: ReadonlySet<string> = new Set(['finished', 'errored', 'canceled']);

export interface TestVariable {
  key: string;
  value: string;
}

export interface TestRun {
  id: string;
  moduleId: string;
  configurationVersionId: string | null;
  status: TestRunStatus;
  statusTimestamps: Record<string, string>;
  variables: TestVariable[];
  filters: string[];
  testDirectory: string;
  verbose: boolean;
  parallelism: number | null;
  testStatus: string | null;
  counts: TestCounts | null;
  source: string;
  message: string;
  createdBy: string | null;
  agentId: string | null;
  cancelRequestedAt: Date | null;
  logBlobKey: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TestCounts {
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
}

function toConfigurationVersion({ registry_module_id, ...row }: Selectable<TestConfigurationVersionTable>): TestConfigurationVersion {
  return { ...camelized(row), moduleId: registry_module_id, status: row.status as TestConfigurationStatus };
}

function toTestRun({ registry_module_id, tests_passed, tests_failed, tests_errored, tests_skipped, ...row }: Selectable<TestRunTable>): TestRun {
  const counted = tests_passed !== null;
  return {
    ...camelized(row),
    moduleId: registry_module_id,
    status: row.status as TestRunStatus,
    counts: counted ? { passed: tests_passed ?? 0, failed: tests_failed ?? 0, errored: tests_errored ?? 0, skipped: tests_skipped ?? 0 } : null,
  };
}

export async function insertConfigurationVersion(db: Db, version: { id: string; moduleId: string; now: Date }): Promise<TestConfigurationVersion> {
  const row = await db
    .insertInto('test_configuration_versions')
    .values({ id: version.id, registry_module_id: version.moduleId, status: 'pending', created_at: version.now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toConfigurationVersion(row);
}

export async function findConfigurationVersion(db: Db, id: string): Promise<TestConfigurationVersion | undefined> {
  const row = await db.selectFrom('test_configuration_versions').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toConfigurationVersion(row);
}

/** pending → uploaded with its archive; false when it was no longer pending. */
export async function markConfigurationUploaded(db: Db, id: string, blob: { key: string; size: number }, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('test_configuration_versions')
    .set({ status: 'uploaded', blob_key: blob.key, size: blob.size, uploaded_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function markConfigurationErrored(db: Db, id: string, refusal: { error: string; message: string }): Promise<void> {
  await db
    .updateTable('test_configuration_versions')
    .set({ status: 'errored', error: refusal.error, error_message: refusal.message })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

export interface NewTestRun {
  id: string;
  moduleId: string;
  configurationVersionId: string;
  variables: TestVariable[];
  filters: string[];
  testDirectory: string;
  verbose: boolean;
  parallelism: number | null;
  source: string;
  message: string;
  createdBy: string | null;
  now: Date;
}

export async function insertTestRun(db: Db, run: NewTestRun): Promise<TestRun> {
  const row = await db
    .insertInto('test_runs')
    .values({
      id: run.id,
      registry_module_id: run.moduleId,
      configuration_version_id: run.configurationVersionId,
      status: 'queued',
      status_timestamps: JSON.stringify({ 'queued-at': run.now.toISOString() }),
      variables: JSON.stringify(run.variables),
      filters: JSON.stringify(run.filters),
      test_directory: run.testDirectory,
      verbose: run.verbose,
      parallelism: run.parallelism,
      source: run.source,
      message: run.message,
      created_by: run.createdBy,
      created_at: run.now,
      updated_at: run.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toTestRun(row);
}

export async function findTestRun(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<TestRun | undefined> {
  let query = db.selectFrom('test_runs').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toTestRun(row);
}

/** A module's test runs, newest first; `sources` filters by source. */
export async function pageOfModule(
  db: Db,
  moduleId: string,
  sources: readonly string[] | undefined,
  window: PageWindow,
): Promise<{ runs: TestRun[]; total: number }> {
  let query = db.selectFrom('test_runs').selectAll().where('registry_module_id', '=', moduleId);
  if (sources !== undefined) query = query.where('source', 'in', sources.length > 0 ? sources : ['']);
  const { rows, total } = await pageAndTotal(query.orderBy('created_at', 'desc').orderBy('id', 'desc'), window);
  return { runs: rows.map(toTestRun), total };
}

/** Moves a locked test run to `status`, stamping `<status>-at`; `extra` sets more columns. */
export async function setStatus(
  db: Db,
  id: string,
  status: TestRunStatus,
  now: Date,
  extra: { testStatus?: string; counts?: TestCounts; agentId?: string; leaseSeconds?: number; stamp?: string } = {},
): Promise<TestRun> {
  const stamp = extra.stamp ?? `${status}-at`;
  const row = await db
    .updateTable('test_runs')
    .set({
      status,
      status_timestamps: sql`status_timestamps || jsonb_build_object(${stamp}::text, ${now.toISOString()}::text)`,
      updated_at: now,
      ...(extra.testStatus === undefined ? {} : { test_status: extra.testStatus }),
      ...(extra.counts === undefined
        ? {}
        : { tests_passed: extra.counts.passed, tests_failed: extra.counts.failed, tests_errored: extra.counts.errored, tests_skipped: extra.counts.skipped }),
      ...(extra.agentId === undefined ? {} : { agent_id: extra.agentId }),
      ...(extra.leaseSeconds === undefined ? {} : { runner_lease_until: sql<Date>`now() + make_interval(secs => ${extra.leaseSeconds})` }),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toTestRun(row);
}

export async function requestCancel(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('test_runs').set({ cancel_requested_at: now, updated_at: now }).where('id', '=', id).execute();
}

/** The oldest queued test run, locked for the claim (another replica's claim skips it). */
export async function lockNextQueued(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('test_runs')
    .select('id')
    .where('status', '=', 'queued')
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return row?.id;
}

/** Extends a running test's lease; false when it is no longer running. */
export async function renewLease(db: Db, id: string, leaseSeconds: number): Promise<boolean> {
  const result = await db
    .updateTable('test_runs')
    .set({ runner_lease_until: sql<Date>`now() + make_interval(secs => ${leaseSeconds})` })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Running test runs (or the one `id`) whose agent stopped renewing the lease (on the database's clock). */
export async function expiredLeases(db: Db, id?: string): Promise<string[]> {
  let query = db.selectFrom('test_runs').select('id').where('status', '=', 'running').where('runner_lease_until', '<', sql<Date>`now()`);
  if (id !== undefined) query = query.where('id', '=', id);
  const rows = await query.execute();
  return rows.map((row) => row.id);
}

export async function setLogBlobKey(db: Db, id: string, key: string): Promise<void> {
  await db.updateTable('test_runs').set({ log_blob_key: key }).where('id', '=', id).execute();
}
