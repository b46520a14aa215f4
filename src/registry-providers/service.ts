import { can } from '../auth/authorize.js';
import { deleteAfterCommit } from '../blobs/delete-job.js';
import { signedUrl } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../errors.js';
import * as gpgKeyStore from '../gpg-keys/store.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as providerStore from './store.js';
import { DOWNLOAD_URL_TTL_SECONDS, downloadPath, UPLOAD_URL_TTL_SECONDS, uploadPath } from './transfers.js';
import type { Paged } from '../db/paging.js';

export type { ProviderPlatform, ProviderVersion, RegistryProvider } from './store.js';

/**
 * Private providers (providers.mdx, provider-versions-platforms.mdx, publish-providers.mdx): a
 * provider, its versions (a GPG key of the namespace, protocols, SHA256SUMS and its detached
 * signature) and platforms (one binary zip each). An upload that does not match is refused at once:
 * a signature that does not verify against the version's key, a binary whose SHA-256 is not the
 * platform's shasum. Terraform installs a version only when all of it is there and consistent.
 */

export interface ProviderView {
  provider: providerStore.RegistryProvider;
  canManage: boolean;
}

export interface VersionView {
  provider: providerStore.RegistryProvider;
  version: providerStore.ProviderVersion;
  canManage: boolean;
  /** Upload links while the file is missing, download links once it is there (provider-versions-platforms.mdx). */
  links: Record<string, string>;
}

export interface PlatformView {
  provider: providerStore.RegistryProvider;
  version: providerStore.ProviderVersion;
  platform: providerStore.ProviderPlatform;
  canManage: boolean;
  links: Record<string, string>;
}

export interface ProviderAddress {
  registryName: string;
  namespace: string;
  name: string;
}

/** Which platform of a provider: its version, OS and architecture. */
export interface PlatformKey {
  version: string;
  os: string;
  arch: string;
}

const ATTRIBUTES = '/data/attributes';
/** A provider type: lowercase letters, digits and dashes (the registry's provider address rules). */
const NAME_PATTERN = /^[0-9a-z](?:[0-9a-z-]{0,62}[0-9a-z])?$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const PROTOCOLS = ['4.0', '5.0', '6.0'];
const OS_ARCH = /^[a-z0-9_]{1,32}$/;
const SHASUM = /^[0-9a-f]{64}$/;
const FILENAME = /^[A-Za-z0-9._+-]{1,255}$/;

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

/** Terrace proxies no public registry: public provider records are refused as the service refuses them when curation is off. */
function checkRegistryName(registryName: string): void {
  if (registryName === 'public') throw new ForbiddenError('public provider curation is not available: Terrace has no public registry to proxy');
  if (registryName !== 'private') throw new NotFoundError(`registry ${registryName} not found`);
}

async function canManage(ctx: Ctx, organizationId: string): Promise<boolean> {
  return can(ctx, 'registry-provider:manage', { organizationId });
}

export async function list(
  ctx: Ctx,
  organizationName: string,
  filter: { q?: string | undefined; registryName?: string | undefined },
  page: Page,
): Promise<Paged<ProviderView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'registry:read');
  const { providers, total } = await providerStore.page(ctx.db, org.id, filter, { limit: page.size, offset: pageOffset(page) });
  const manage = await canManage(ctx, org.id);
  return { items: providers.map((provider) => ({ provider, canManage: manage })), total };
}

export async function create(
  ctx: Ctx,
  organizationName: string,
  input: { name?: string | undefined; namespace?: string | undefined; registryName?: string | undefined },
): Promise<ProviderView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'registry-provider:manage');
  checkRegistryName(input.registryName ?? 'private');
  if (input.name === undefined || !NAME_PATTERN.test(input.name)) throw invalid('name', 'name must be 1 to 64 lowercase letters, numbers and "-"');
  if (input.namespace !== undefined && input.namespace !== org.name)
    throw invalid('namespace', `the namespace of a private provider is its organization, ${org.name}`);
  try {
    await providerStore.insert(ctx.db, {
      id: newId('prov'),
      organizationId: org.id,
      registryName: 'private',
      namespace: org.name,
      name: input.name,
      createdAt: ctx.now(),
    });
  } catch (err) {
    if (isUniqueViolation(err, providerStore.ADDRESS_CONSTRAINT)) throw invalid('name', `provider ${input.name} already exists`);
    throw err;
  }
  return show(ctx, organizationName, { registryName: 'private', namespace: org.name, name: input.name });
}

export async function findProvider(
  ctx: Ctx,
  organizationName: string,
  address: ProviderAddress,
  action: 'registry:read' | 'registry-provider:manage',
): Promise<ProviderView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, action);
  checkRegistryName(address.registryName);
  const provider = await providerStore.findAt(ctx.db, org.id, address);
  if (!provider) throw new NotFoundError(`provider ${address.namespace}/${address.name} not found`);
  return { provider, canManage: action === 'registry-provider:manage' || (await canManage(ctx, org.id)) };
}

export async function show(ctx: Ctx, organizationName: string, address: ProviderAddress): Promise<ProviderView> {
  return findProvider(ctx, organizationName, address, 'registry:read');
}

/** Deletes a provider with its versions and platforms; the binaries go after the commit. */
export async function destroy(ctx: Ctx, organizationName: string, address: ProviderAddress): Promise<void> {
  const { provider } = await findProvider(ctx, organizationName, address, 'registry-provider:manage');
  await ctx.db.transaction().execute(async (trx) => {
    await deleteAfterCommit(trx, await providerStore.binaryKeys(trx, { providerId: provider.id }));
    await providerStore.deleteById(trx, provider.id);
  });
}

function versionLinks(ctx: Ctx, version: providerStore.ProviderVersion): Record<string, string> {
  return {
    ...(version.shasums === null
      ? { 'shasums-upload': signedUrl(ctx, uploadPath('shasums', version.id), UPLOAD_URL_TTL_SECONDS) }
      : { 'shasums-download': signedUrl(ctx, downloadPath('shasums', version.id), DOWNLOAD_URL_TTL_SECONDS) }),
    ...(version.shasumsSig === null
      ? { 'shasums-sig-upload': signedUrl(ctx, uploadPath('shasums-sig', version.id), UPLOAD_URL_TTL_SECONDS) }
      : { 'shasums-sig-download': signedUrl(ctx, downloadPath('shasums-sig', version.id), DOWNLOAD_URL_TTL_SECONDS) }),
  };
}

function platformLinks(ctx: Ctx, platform: providerStore.ProviderPlatform): Record<string, string> {
  return platform.blobKey === null
    ? { 'provider-binary-upload': signedUrl(ctx, uploadPath('binary', platform.id), UPLOAD_URL_TTL_SECONDS) }
    : { 'provider-binary-download': signedUrl(ctx, downloadPath('binary', platform.id), DOWNLOAD_URL_TTL_SECONDS) };
}

export async function createVersion(
  ctx: Ctx,
  organizationName: string,
  address: ProviderAddress,
  input: { version?: string | undefined; keyId?: string | undefined; protocols?: string[] | undefined },
): Promise<VersionView> {
  const view = await findProvider(ctx, organizationName, address, 'registry-provider:manage');
  if (input.version === undefined || !SEMVER.test(input.version)) throw invalid('version', 'version must be a semantic version, e.g. 1.2.3');
  const keyId = input.keyId?.toUpperCase();
  if (keyId === undefined || !(await gpgKeyStore.find(ctx.db, view.provider.organizationId, keyId))) {
    throw invalid('key-id', `key-id must name a GPG key of namespace ${view.provider.namespace}: add it first`);
  }
  const protocols = input.protocols ?? [];
  if (protocols.length === 0 || protocols.some((p) => !PROTOCOLS.includes(p)))
    throw invalid('protocols', `protocols must be one or more of ${PROTOCOLS.join(', ')}`);
  const id = newId('provver');
  try {
    await providerStore.insertVersion(ctx.db, { id, providerId: view.provider.id, version: input.version, keyId, protocols, createdAt: ctx.now() });
  } catch (err) {
    if (isUniqueViolation(err, providerStore.VERSION_CONSTRAINT)) throw invalid('version', `version ${input.version} already exists`);
    throw err;
  }
  return showVersion(ctx, organizationName, address, input.version);
}

async function findVersion(
  ctx: Ctx,
  organizationName: string,
  address: ProviderAddress,
  version: string,
  action: 'registry:read' | 'registry-provider:manage',
): Promise<VersionView> {
  const view = await findProvider(ctx, organizationName, address, action);
  const found = await providerStore.findVersionByNumber(ctx.db, view.provider.id, version);
  if (!found) throw new NotFoundError(`version ${version} of provider ${address.name} not found`);
  return { ...view, version: found, links: versionLinks(ctx, found) };
}

export async function showVersion(ctx: Ctx, organizationName: string, address: ProviderAddress, version: string): Promise<VersionView> {
  return findVersion(ctx, organizationName, address, version, 'registry:read');
}

export async function listVersions(ctx: Ctx, organizationName: string, address: ProviderAddress, page: Page): Promise<Paged<VersionView>> {
  const view = await findProvider(ctx, organizationName, address, 'registry:read');
  const { versions, total } = await providerStore.versionsOf(ctx.db, view.provider.id, { limit: page.size, offset: pageOffset(page) });
  return { items: versions.map((version) => ({ ...view, version, links: versionLinks(ctx, version) })), total };
}

export async function destroyVersion(ctx: Ctx, organizationName: string, address: ProviderAddress, version: string): Promise<void> {
  const view = await findVersion(ctx, organizationName, address, version, 'registry-provider:manage');
  await ctx.db.transaction().execute(async (trx) => {
    await deleteAfterCommit(trx, await providerStore.binaryKeys(trx, { versionIds: [view.version.id] }));
    await providerStore.deleteVersion(trx, view.version.id);
  });
}

export async function createPlatform(
  ctx: Ctx,
  organizationName: string,
  address: ProviderAddress,
  version: string,
  input: { os?: string | undefined; arch?: string | undefined; shasum?: string | undefined; filename?: string | undefined },
): Promise<PlatformView> {
  const view = await findVersion(ctx, organizationName, address, version, 'registry-provider:manage');
  if (input.os === undefined || !OS_ARCH.test(input.os)) throw invalid('os', 'os must be an operating system name such as linux');
  if (input.arch === undefined || !OS_ARCH.test(input.arch)) throw invalid('arch', 'arch must be an architecture name such as amd64');
  if (input.shasum === undefined || !SHASUM.test(input.shasum)) throw invalid('shasum', 'shasum must be the SHA-256 of the binary, 64 lowercase hex digits');
  if (input.filename === undefined || !FILENAME.test(input.filename)) throw invalid('filename', 'filename must be the zip file name, without directories');
  const id = newId('provpltfrm');
  try {
    await providerStore.insertPlatform(ctx.db, {
      id,
      versionId: view.version.id,
      os: input.os,
      arch: input.arch,
      shasum: input.shasum,
      filename: input.filename,
      createdAt: ctx.now(),
    });
  } catch (err) {
    if (isUniqueViolation(err, providerStore.PLATFORM_CONSTRAINT)) throw invalid('os', `version ${version} has a ${input.os}_${input.arch} platform already`);
    throw err;
  }
  return showPlatform(ctx, organizationName, address, { version, os: input.os, arch: input.arch });
}

async function findPlatform(
  ctx: Ctx,
  organizationName: string,
  address: ProviderAddress,
  { version, os, arch }: PlatformKey,
  action: 'registry:read' | 'registry-provider:manage',
): Promise<PlatformView> {
  const view = await findVersion(ctx, organizationName, address, version, action);
  const platform = (await providerStore.platformsOf(ctx.db, [view.version.id])).find((p) => p.os === os && p.arch === arch);
  if (!platform) throw new NotFoundError(`platform ${os}_${arch} of version ${version} not found`);
  return { ...view, platform, links: platformLinks(ctx, platform) };
}

export async function showPlatform(ctx: Ctx, organizationName: string, address: ProviderAddress, key: PlatformKey): Promise<PlatformView> {
  return findPlatform(ctx, organizationName, address, key, 'registry:read');
}

export async function listPlatforms(ctx: Ctx, organizationName: string, address: ProviderAddress, version: string): Promise<PlatformView[]> {
  const view = await findVersion(ctx, organizationName, address, version, 'registry:read');
  return (await providerStore.platformsOf(ctx.db, [view.version.id])).map((platform) => ({ ...view, platform, links: platformLinks(ctx, platform) }));
}

export async function destroyPlatform(ctx: Ctx, organizationName: string, address: ProviderAddress, key: PlatformKey): Promise<void> {
  const view = await findPlatform(ctx, organizationName, address, key, 'registry-provider:manage');
  await ctx.db.transaction().execute(async (trx) => {
    await deleteAfterCommit(trx, view.platform.blobKey ? [view.platform.blobKey] : []);
    await providerStore.deletePlatform(trx, view.platform.id);
  });
}
