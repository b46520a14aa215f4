import { type Expression, type Selectable, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized, type RowOf, selectWithOrganizationName } from '../db/rows.js';
import type { DB } from '../db/schema.js';

/** The private module registry's modules and versions (modules.mdx). */

export const ADDRESS_CONSTRAINT = 'registry_modules_address_key';
export const VERSION_CONSTRAINT = 'registry_module_versions_module_version_key';

export type VersionStatus = 'pending' | 'ok' | 'errored';

export interface ModuleAddress {
  registryName: string;
  namespace: string;
  name: string;
  provider: string;
}

export interface RegistryModule extends ModuleAddress {
  id: string;
  organizationId: string;
  organizationName: string;
  noCode: boolean;
  /** `test-config.tests-enabled` (modules.mdx "Update a Private Registry Module"). */
  testsEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Its versions' statuses, newest first. */
  versionStatuses: { version: string; status: VersionStatus }[];
}

export interface ModuleVersion {
  id: string;
  moduleId: string;
  version: string;
  status: VersionStatus;
  error: string | null;
  commitSha: string | null;
  blobKey: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const VERSION_STATUSES = sql<
  { version: string; status: VersionStatus }[]
>`coalesce((select jsonb_agg(jsonb_build_object('version', v.version, 'status', v.status) order by v.created_at desc, v.id desc) from registry_module_versions v where v.module_id = registry_modules.id), '[]'::jsonb)`;

function selectModules(db: Db) {
  return selectWithOrganizationName(db, 'registry_modules').select(VERSION_STATUSES.as('version_statuses'));
}

function toModule(row: RowOf<typeof selectModules>): RegistryModule {
  return camelized(row);
}

export async function insert(db: Db, module: Omit<RegistryModule, 'organizationName' | 'versionStatuses' | 'updatedAt' | 'testsEnabled'>): Promise<void> {
  await db
    .insertInto('registry_modules')
    .values({
      id: module.id,
      organization_id: module.organizationId,
      registry_name: module.registryName,
      namespace: module.namespace,
      name: module.name,
      provider: module.provider,
      no_code: module.noCode,
      created_at: module.createdAt,
      updated_at: module.createdAt,
    })
    .execute();
}

export async function findById(db: Db, id: string): Promise<RegistryModule | undefined> {
  const row = await selectModules(db).where('registry_modules.id', '=', id).executeTakeFirst();
  return row && toModule(row);
}

/** The organization's modules at an address; `provider` undefined: every provider of the name. */
export async function findAt(
  db: Db,
  organizationId: string,
  address: Omit<ModuleAddress, 'provider'> & { provider?: string | undefined },
): Promise<RegistryModule[]> {
  let query = selectModules(db)
    .where('registry_modules.organization_id', '=', organizationId)
    .where('registry_modules.registry_name', '=', address.registryName)
    .where('registry_modules.namespace', '=', address.namespace)
    .where('registry_modules.name', '=', address.name);
  if (address.provider !== undefined) query = query.where('registry_modules.provider', '=', address.provider);
  return (await query.orderBy('registry_modules.provider').execute()).map(toModule);
}

export interface ModuleFilter {
  q?: string | undefined;
  registryName?: string | undefined;
  provider?: string | undefined;
}

export async function page(db: Db, organizationId: string, filter: ModuleFilter, window: PageWindow): Promise<{ modules: RegistryModule[]; total: number }> {
  let query = selectModules(db).where('registry_modules.organization_id', '=', organizationId);
  if (filter.registryName !== undefined) query = query.where('registry_modules.registry_name', '=', filter.registryName);
  if (filter.provider !== undefined) query = query.where('registry_modules.provider', '=', filter.provider);
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or(
        (['registry_modules.name', 'registry_modules.namespace', 'registry_modules.provider'] as const).map(
          (column) => sql<SqlBool>`${eb.ref(column)} ilike ${pattern}` as Expression<SqlBool>,
        ),
      ),
    );
  }
  const { rows, total } = await pageAndTotal(
    query.orderBy('registry_modules.name').orderBy('registry_modules.provider').orderBy('registry_modules.id'),
    window,
  );
  return { modules: rows.map(toModule), total };
}

export async function update(db: Db, id: string, changes: { testsEnabled?: boolean | undefined; noCode?: boolean | undefined }, now: Date): Promise<void> {
  await db
    .updateTable('registry_modules')
    .set({
      updated_at: now,
      ...(changes.testsEnabled === undefined ? {} : { tests_enabled: changes.testsEnabled }),
      ...(changes.noCode === undefined ? {} : { no_code: changes.noCode }),
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteModules(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('registry_modules').where('id', 'in', ids).execute();
}

function toVersion(row: Pick<Selectable<DB['registry_module_versions']>, (typeof VERSION_COLUMNS)[number]>): ModuleVersion {
  return { ...camelized(row), status: row.status as VersionStatus };
}

const VERSION_COLUMNS = ['id', 'module_id', 'version', 'status', 'error', 'commit_sha', 'blob_key', 'created_at', 'updated_at'] as const;

export async function insertVersion(
  db: Db,
  version: { id: string; moduleId: string; version: string; commitSha: string | null; createdAt: Date },
): Promise<void> {
  await db
    .insertInto('registry_module_versions')
    .values({
      id: version.id,
      module_id: version.moduleId,
      version: version.version,
      commit_sha: version.commitSha,
      created_at: version.createdAt,
      updated_at: version.createdAt,
    })
    .execute();
}

export async function findVersion(db: Db, id: string): Promise<ModuleVersion | undefined> {
  const row = await db.selectFrom('registry_module_versions').select(VERSION_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toVersion(row);
}

/** The module's versions; `status` restricts them (the protocol offers only `ok` ones). */
export async function versionsOf(db: Db, moduleIds: readonly string[], status?: VersionStatus): Promise<ModuleVersion[]> {
  if (moduleIds.length === 0) return [];
  let query = db.selectFrom('registry_module_versions').select(VERSION_COLUMNS).where('module_id', 'in', moduleIds);
  if (status) query = query.where('status', '=', status);
  return (await query.orderBy('created_at').orderBy('id').execute()).map(toVersion);
}

export async function findVersionByNumber(db: Db, moduleId: string, version: string): Promise<ModuleVersion | undefined> {
  const row = await db
    .selectFrom('registry_module_versions')
    .select(VERSION_COLUMNS)
    .where('module_id', '=', moduleId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && toVersion(row);
}

/** A pending version's archive, read: `ok` with its interface, or `errored` with the reason. Undefined when it was no longer pending. */
export async function finishVersion(
  db: Db,
  id: string,
  outcome: { status: 'ok'; blobKey: string; size: number; interface: unknown } | { status: 'errored'; error: string },
  now: Date,
): Promise<ModuleVersion | undefined> {
  const row = await db
    .updateTable('registry_module_versions')
    .set(
      outcome.status === 'ok'
        ? { status: 'ok', blob_key: outcome.blobKey, size: outcome.size, interface: JSON.stringify(outcome.interface), error: null, updated_at: now }
        : { status: 'errored', error: outcome.error, updated_at: now },
    )
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning(VERSION_COLUMNS)
    .executeTakeFirst();
  return row && toVersion(row);
}

export async function interfaceOf(db: Db, versionId: string): Promise<unknown> {
  const row = await db.selectFrom('registry_module_versions').select('interface').where('id', '=', versionId).executeTakeFirst();
  return row?.interface ?? null;
}

export async function deleteVersions(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('registry_module_versions').where('id', 'in', ids).execute();
}

/** The archives of the organization's module versions (deleted with the organization). */
export async function blobKeysOfOrganization(db: Db, organizationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('registry_module_versions')
    .innerJoin('registry_modules', 'registry_modules.id', 'registry_module_versions.module_id')
    .select('registry_module_versions.blob_key')
    .where('registry_modules.organization_id', '=', organizationId)
    .where('registry_module_versions.blob_key', 'is not', null)
    .execute();
  return rows.flatMap((row) => (row.blob_key ? [row.blob_key] : []));
}
