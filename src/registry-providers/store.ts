import type { Db } from '../db/database.js';
import type { Selectable } from 'kysely';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized, type RowOf, selectWithOrganizationName } from '../db/rows.js';
import type { DB } from '../db/schema.js';

/** Private providers, their versions and platforms (providers.mdx, provider-versions-platforms.mdx). */

export const ADDRESS_CONSTRAINT = 'registry_providers_address_key';
export const VERSION_CONSTRAINT = 'registry_provider_versions_provider_version_key';
export const PLATFORM_CONSTRAINT = 'registry_provider_platforms_version_os_arch_key';

export interface RegistryProvider {
  id: string;
  organizationId: string;
  organizationName: string;
  registryName: string;
  namespace: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProviderVersion {
  id: string;
  providerId: string;
  version: string;
  keyId: string;
  protocols: string[];
  shasums: string | null;
  /** Stored only once it verified against the key. */
  shasumsSig: Buffer | null;
  platformIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ProviderPlatform {
  id: string;
  versionId: string;
  os: string;
  arch: string;
  filename: string;
  shasum: string;
  blobKey: string | null;
  createdAt: Date;
  updatedAt: Date;
}

function selectProviders(db: Db) {
  return selectWithOrganizationName(db, 'registry_providers');
}

function toProvider(row: RowOf<typeof selectProviders>): RegistryProvider {
  return camelized(row);
}

export async function insert(db: Db, provider: Omit<RegistryProvider, 'organizationName' | 'updatedAt'>): Promise<void> {
  await db
    .insertInto('registry_providers')
    .values({
      id: provider.id,
      organization_id: provider.organizationId,
      registry_name: provider.registryName,
      namespace: provider.namespace,
      name: provider.name,
      created_at: provider.createdAt,
      updated_at: provider.createdAt,
    })
    .execute();
}

export async function findAt(
  db: Db,
  organizationId: string,
  address: { registryName: string; namespace: string; name: string },
): Promise<RegistryProvider | undefined> {
  const row = await selectProviders(db)
    .where('registry_providers.organization_id', '=', organizationId)
    .where('registry_providers.registry_name', '=', address.registryName)
    .where('registry_providers.namespace', '=', address.namespace)
    .where('registry_providers.name', '=', address.name)
    .executeTakeFirst();
  return row && toProvider(row);
}

export async function page(
  db: Db,
  organizationId: string,
  filter: { q?: string | undefined; registryName?: string | undefined },
  window: PageWindow,
): Promise<{ providers: RegistryProvider[]; total: number }> {
  let query = selectProviders(db).where('registry_providers.organization_id', '=', organizationId);
  if (filter.registryName !== undefined) query = query.where('registry_providers.registry_name', '=', filter.registryName);
  if (filter.q) query = query.where('registry_providers.name', 'ilike', `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const { rows, total } = await pageAndTotal(query.orderBy('registry_providers.name').orderBy('registry_providers.id'), window);
  return { providers: rows.map(toProvider), total };
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('registry_providers').where('id', '=', id).execute();
}

function selectVersions(db: Db) {
  return db
    .selectFrom('registry_provider_versions')
    .selectAll('registry_provider_versions')
    .select((eb) =>
      eb.fn
        .coalesce(
          eb
            .selectFrom('registry_provider_platforms')
            .select((inner) => inner.fn.agg<string[]>('array_agg', ['registry_provider_platforms.id']).as('ids'))
            .whereRef('registry_provider_platforms.version_id', '=', 'registry_provider_versions.id'),
          eb.val<string[]>([]),
        )
        .as('platform_ids'),
    );
}

function toVersion(row: RowOf<typeof selectVersions>): ProviderVersion {
  return { ...camelized(row), platformIds: row.platform_ids ?? [] };
}

export async function insertVersion(
  db: Db,
  version: { id: string; providerId: string; version: string; keyId: string; protocols: string[]; createdAt: Date },
): Promise<void> {
  await db
    .insertInto('registry_provider_versions')
    .values({
      id: version.id,
      provider_id: version.providerId,
      version: version.version,
      key_id: version.keyId,
      protocols: version.protocols,
      created_at: version.createdAt,
      updated_at: version.createdAt,
    })
    .execute();
}

export async function findVersion(db: Db, id: string): Promise<ProviderVersion | undefined> {
  const row = await selectVersions(db).where('registry_provider_versions.id', '=', id).executeTakeFirst();
  return row && toVersion(row);
}

export async function findVersionByNumber(db: Db, providerId: string, version: string): Promise<ProviderVersion | undefined> {
  const row = await selectVersions(db)
    .where('registry_provider_versions.provider_id', '=', providerId)
    .where('registry_provider_versions.version', '=', version)
    .executeTakeFirst();
  return row && toVersion(row);
}

export async function versionsOf(db: Db, providerId: string, window?: PageWindow): Promise<{ versions: ProviderVersion[]; total: number }> {
  const query = selectVersions(db)
    .where('registry_provider_versions.provider_id', '=', providerId)
    .orderBy('registry_provider_versions.created_at')
    .orderBy('registry_provider_versions.id');
  if (!window) {
    const versions = (await query.execute()).map(toVersion);
    return { versions, total: versions.length };
  }
  const { rows, total } = await pageAndTotal(query, window);
  return { versions: rows.map(toVersion), total };
}

/** The version's SHA256SUMS and signature; a null signature drops it. */
export async function setShasums(db: Db, id: string, changes: { shasums?: string; shasumsSig?: Buffer | null }, now: Date): Promise<void> {
  await db
    .updateTable('registry_provider_versions')
    .set({
      ...(changes.shasums !== undefined ? { shasums: changes.shasums } : {}),
      ...(changes.shasumsSig !== undefined ? { shasums_sig: changes.shasumsSig } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

/** The organization of a version's provider (whose GPG keys sign it). */
export async function organizationOfVersion(db: Db, versionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('registry_provider_versions')
    .innerJoin('registry_providers', 'registry_providers.id', 'registry_provider_versions.provider_id')
    .select('registry_providers.organization_id')
    .where('registry_provider_versions.id', '=', versionId)
    .executeTakeFirst();
  return row?.organization_id;
}

export async function deleteVersion(db: Db, id: string): Promise<void> {
  await db.deleteFrom('registry_provider_versions').where('id', '=', id).execute();
}

const PLATFORM_COLUMNS = ['id', 'version_id', 'os', 'arch', 'filename', 'shasum', 'blob_key', 'created_at', 'updated_at'] as const;

function toPlatform(row: Pick<Selectable<DB['registry_provider_platforms']>, (typeof PLATFORM_COLUMNS)[number]>): ProviderPlatform {
  return camelized(row);
}

export async function insertPlatform(db: Db, platform: Omit<ProviderPlatform, 'blobKey' | 'updatedAt'>): Promise<void> {
  await db
    .insertInto('registry_provider_platforms')
    .values({
      id: platform.id,
      version_id: platform.versionId,
      os: platform.os,
      arch: platform.arch,
      filename: platform.filename,
      shasum: platform.shasum,
      created_at: platform.createdAt,
      updated_at: platform.createdAt,
    })
    .execute();
}

export async function findPlatform(db: Db, id: string): Promise<ProviderPlatform | undefined> {
  const row = await db.selectFrom('registry_provider_platforms').select(PLATFORM_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toPlatform(row);
}

export async function platformsOf(db: Db, versionIds: readonly string[]): Promise<ProviderPlatform[]> {
  if (versionIds.length === 0) return [];
  return (
    await db.selectFrom('registry_provider_platforms').select(PLATFORM_COLUMNS).where('version_id', 'in', versionIds).orderBy('os').orderBy('arch').execute()
  ).map(toPlatform);
}

/** The binary uploaded and matching its shasum: the platform is complete. Returns the key it replaced, if any. */
export async function setPlatformBinary(db: Db, id: string, blob: { key: string; size: number }, now: Date): Promise<void> {
  await db.updateTable('registry_provider_platforms').set({ blob_key: blob.key, size: blob.size, updated_at: now }).where('id', '=', id).execute();
}

export async function deletePlatform(db: Db, id: string): Promise<void> {
  await db.deleteFrom('registry_provider_platforms').where('id', '=', id).execute();
}

/** The binaries of the given versions' platforms, or of the organization's (deleted with them). */
export async function binaryKeys(db: Db, scope: { versionIds: readonly string[] } | { providerId: string } | { organizationId: string }): Promise<string[]> {
  let query = db
    .selectFrom('registry_provider_platforms')
    .innerJoin('registry_provider_versions', 'registry_provider_versions.id', 'registry_provider_platforms.version_id')
    .innerJoin('registry_providers', 'registry_providers.id', 'registry_provider_versions.provider_id')
    .select('registry_provider_platforms.blob_key')
    .where('registry_provider_platforms.blob_key', 'is not', null);
  if ('versionIds' in scope) {
    if (scope.versionIds.length === 0) return [];
    query = query.where('registry_provider_versions.id', 'in', scope.versionIds);
  } else if ('providerId' in scope) query = query.where('registry_providers.id', '=', scope.providerId);
  else query = query.where('registry_providers.organization_id', '=', scope.organizationId);
  return (await query.execute()).flatMap((row) => (row.blob_key ? [row.blob_key] : []));
}
