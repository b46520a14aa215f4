import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createMessage, readKey, readSignature, verify } from 'openpgp';
import { can } from '../auth/authorize.js';
import { deleteAfterCommit } from '../blobs/delete-job.js';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import * as gpgKeyStore from '../gpg-keys/store.js';
import { newId, randomBase58 } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as providerStore from './store.js';

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

const ATTRIBUTES = '/data/attributes';
/** A provider type: lowercase letters, digits and dashes (the registry's provider address rules). */
const NAME_PATTERN = /^[0-9a-z](?:[0-9a-z-]{0,62}[0-9a-z])?$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const PROTOCOLS = ['4.0', '5.0', '6.0'];
const OS_ARCH = /^[a-z0-9_]{1,32}$/;
const SHASUM = /^[0-9a-f]{64}$/;
const FILENAME = /^[A-Za-z0-9._+-]{1,255}$/;
const UPLOAD_URL_TTL_SECONDS = 60 * 60;
const DOWNLOAD_URL_TTL_SECONDS = 5 * 60;
/** SHA256SUMS lists one line per file: a few kilobytes; its signature less. */
const MAX_SHASUMS_BYTES = 1024 * 1024;
const MAX_SIGNATURE_BYTES = 64 * 1024;
/** A provider's zip: larger than configuration archives. */
const MAX_BINARY_BYTES = 1024 * 1024 * 1024;

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
): Promise<{ views: ProviderView[]; total: number }> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'registry:read');
  const { providers, total } = await providerStore.page(ctx.db, org.id, filter, { limit: page.size, offset: pageOffset(page) });
  const manage = await canManage(ctx, org.id);
  return { views: providers.map((provider) => ({ provider, canManage: manage })), total };
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

async function findProvider(
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

function uploadPath(kind: 'shasums' | 'shasums-sig' | 'binary', id: string): string {
  return `/_blobs/registry-providers/${kind}/${encodeURIComponent(id)}`;
}

function downloadPath(kind: 'shasums' | 'shasums-sig' | 'binary', id: string): string {
  return `/_blobs/registry-providers/${kind}/${encodeURIComponent(id)}/download`;
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

export async function listVersions(ctx: Ctx, organizationName: string, address: ProviderAddress, page: Page): Promise<{ views: VersionView[]; total: number }> {
  const view = await findProvider(ctx, organizationName, address, 'registry:read');
  const { versions, total } = await providerStore.versionsOf(ctx.db, view.provider.id, { limit: page.size, offset: pageOffset(page) });
  return { views: versions.map((version) => ({ ...view, version, links: versionLinks(ctx, version) })), total };
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
  return showPlatform(ctx, organizationName, address, version, input.os, input.arch);
}

async function findPlatform(
  ctx: Ctx,
  organizationName: string,
  address: ProviderAddress,
  version: string,
  os: string,
  arch: string,
  action: 'registry:read' | 'registry-provider:manage',
): Promise<PlatformView> {
  const view = await findVersion(ctx, organizationName, address, version, action);
  const platform = (await providerStore.platformsOf(ctx.db, [view.version.id])).find((p) => p.os === os && p.arch === arch);
  if (!platform) throw new NotFoundError(`platform ${os}_${arch} of version ${version} not found`);
  return { ...view, platform, links: platformLinks(ctx, platform) };
}

export async function showPlatform(
  ctx: Ctx,
  organizationName: string,
  address: ProviderAddress,
  version: string,
  os: string,
  arch: string,
): Promise<PlatformView> {
  return findPlatform(ctx, organizationName, address, version, os, arch, 'registry:read');
}

export async function listPlatforms(ctx: Ctx, organizationName: string, address: ProviderAddress, version: string): Promise<PlatformView[]> {
  const view = await findVersion(ctx, organizationName, address, version, 'registry:read');
  return (await providerStore.platformsOf(ctx.db, [view.version.id])).map((platform) => ({ ...view, platform, links: platformLinks(ctx, platform) }));
}

export async function destroyPlatform(ctx: Ctx, organizationName: string, address: ProviderAddress, version: string, os: string, arch: string): Promise<void> {
  const view = await findPlatform(ctx, organizationName, address, version, os, arch, 'registry-provider:manage');
  await ctx.db.transaction().execute(async (trx) => {
    await deleteAfterCommit(trx, view.platform.blobKey ? [view.platform.blobKey] : []);
    await providerStore.deletePlatform(trx, view.platform.id);
  });
}

// ---- Uploads (their signed URLs are the authorization) ----

function checkUploadUrl(ctx: Ctx, kind: 'shasums' | 'shasums-sig' | 'binary', id: string, expiry: string, signature: string): void {
  if (!verifySignature(ctx.config, uploadPath(kind, id), expiry, signature, ctx.now())) throw new NotFoundError('not found');
}

async function readSmall(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  let size = 0;
  const limited = body.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(size > maxBytes ? new PayloadTooLargeError(`${what} is larger than ${maxBytes} bytes`) : null, chunk);
      },
    }),
  );
  return buffer(limited);
}

/** Whether the detached signature signs the SHA256SUMS with the version's key. */
async function signatureVerifies(ctx: Ctx, version: providerStore.ProviderVersion, organizationId: string, shasums: string, sig: Buffer): Promise<boolean> {
  const key = await gpgKeyStore.find(ctx.db, organizationId, version.keyId);
  if (!key) return false;
  try {
    const result = await verify({
      message: await createMessage({ binary: Buffer.from(shasums) }),
      signature: await readSignature({ binarySignature: sig }),
      verificationKeys: await readKey({ armoredKey: key.asciiArmor }),
    });
    await result.signatures[0]?.verified;
    return result.signatures.length > 0;
  } catch {
    return false;
  }
}

async function versionForUpload(ctx: Ctx, id: string): Promise<{ version: providerStore.ProviderVersion; organizationId: string }> {
  const [version, organizationId] = await Promise.all([providerStore.findVersion(ctx.db, id), providerStore.organizationOfVersion(ctx.db, id)]);
  if (!version || !organizationId) throw new NotFoundError('not found');
  return { version, organizationId };
}

/** The version's SHA256SUMS; a new one drops a signature made for the old one. */
export async function uploadShasums(ctx: Ctx, id: string, expiry: string, signature: string, body: Readable): Promise<void> {
  checkUploadUrl(ctx, 'shasums', id, expiry, signature);
  const { version } = await versionForUpload(ctx, id);
  const shasums = (await readSmall(body, MAX_SHASUMS_BYTES, 'SHA256SUMS')).toString('utf8');
  if (!/^([0-9a-f]{64} {2}\S+\n?)+$/.test(shasums)) throw new InvalidError('SHA256SUMS must list "<sha256>  <file name>" lines');
  await providerStore.setShasums(ctx.db, version.id, { shasums, shasumsSig: null }, ctx.now());
}

/** The detached signature of SHA256SUMS: kept only when it verifies against the version's GPG key (422 otherwise). */
export async function uploadShasumsSignature(ctx: Ctx, id: string, expiry: string, signature: string, body: Readable): Promise<void> {
  checkUploadUrl(ctx, 'shasums-sig', id, expiry, signature);
  const { version, organizationId } = await versionForUpload(ctx, id);
  const sig = await readSmall(body, MAX_SIGNATURE_BYTES, 'SHA256SUMS.sig');
  if (version.shasums === null) throw new ConflictError('upload SHA256SUMS before its signature');
  if (!(await signatureVerifies(ctx, version, organizationId, version.shasums, sig))) {
    throw new InvalidError(`SHA256SUMS.sig is not a valid signature of SHA256SUMS by key ${version.keyId}`);
  }
  await providerStore.setShasums(ctx.db, version.id, { shasumsSig: sig }, ctx.now());
}

/** A platform's zip: streamed to the blob store while hashed; kept only when its SHA-256 is the platform's shasum. */
export async function uploadBinary(ctx: Ctx, id: string, expiry: string, signature: string, body: Readable): Promise<void> {
  checkUploadUrl(ctx, 'binary', id, expiry, signature);
  const platform = await providerStore.findPlatform(ctx.db, id);
  if (!platform) throw new NotFoundError('not found');
  const hash = createHash('sha256');
  const hashed = body.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    }),
  );
  const key = `registry-providers/${platform.id}/${randomBase58()}.zip`;
  const stored = await ctx.blobs.put(key, hashed, { maxBytes: MAX_BINARY_BYTES });
  const digest = hash.digest('hex');
  if (digest !== platform.shasum) {
    await ctx.blobs.delete(key);
    throw new InvalidError(`the binary's SHA-256 is ${digest}, not the platform's shasum ${platform.shasum}`);
  }
  await ctx.db.transaction().execute(async (trx) => {
    await deleteAfterCommit(trx, platform.blobKey ? [platform.blobKey] : []);
    await providerStore.setPlatformBinary(trx, platform.id, { key, size: stored.size }, ctx.now());
  });
}

/** What the download URLs serve; their signature is the authorization (terraform fetches them without a token). */
export async function download(
  ctx: Ctx,
  kind: 'shasums' | 'shasums-sig' | 'binary',
  id: string,
  expiry: string,
  signature: string,
): Promise<Buffer | Readable> {
  if (!verifySignature(ctx.config, downloadPath(kind, id), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  if (kind === 'binary') {
    const platform = await providerStore.findPlatform(ctx.db, id);
    const content = platform?.blobKey ? await ctx.blobs.get(platform.blobKey) : undefined;
    if (!content) throw new NotFoundError('not found');
    return content;
  }
  const version = await providerStore.findVersion(ctx.db, id);
  const content = kind === 'shasums' ? version?.shasums && Buffer.from(version.shasums) : version?.shasumsSig;
  if (!content) throw new NotFoundError('not found');
  return content;
}

// ---- The provider registry protocol (concepts/registry: "Provider Registry Protocol") ----

/** A version terraform can install: signed SHA256SUMS, and the platforms whose binary it lists with their shasum. */
function installablePlatforms(version: providerStore.ProviderVersion, platforms: readonly providerStore.ProviderPlatform[]): providerStore.ProviderPlatform[] {
  if (version.shasums === null || version.shasumsSig === null) return [];
  const listed = new Set(
    version.shasums
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
  );
  return platforms.filter((p) => p.versionId === version.id && p.blobKey !== null && listed.has(`${p.shasum}  ${p.filename}`));
}

async function protocolProvider(ctx: Ctx, namespace: string, name: string): Promise<providerStore.RegistryProvider> {
  return (await findProvider(ctx, namespace, { registryName: 'private', namespace, name }, 'registry:read')).provider;
}

export async function protocolVersions(ctx: Ctx, namespace: string, name: string) {
  const provider = await protocolProvider(ctx, namespace, name);
  const { versions } = await providerStore.versionsOf(ctx.db, provider.id);
  const platforms = await providerStore.platformsOf(
    ctx.db,
    versions.map((v) => v.id),
  );
  return {
    id: `${namespace}/${name}`,
    versions: versions.flatMap((version) => {
      const installable = installablePlatforms(version, platforms);
      return installable.length === 0
        ? []
        : [{ version: version.version, protocols: version.protocols, platforms: installable.map((p) => ({ os: p.os, arch: p.arch })) }];
    }),
    warnings: null,
  };
}

export async function protocolDownload(ctx: Ctx, namespace: string, name: string, versionNumber: string, os: string, arch: string) {
  const provider = await protocolProvider(ctx, namespace, name);
  const version = await providerStore.findVersionByNumber(ctx.db, provider.id, versionNumber);
  const platform = version && installablePlatforms(version, await providerStore.platformsOf(ctx.db, [version.id])).find((p) => p.os === os && p.arch === arch);
  const key = version && (await gpgKeyStore.find(ctx.db, provider.organizationId, version.keyId));
  if (!version || !platform || !key) throw new NotFoundError(`provider ${namespace}/${name} ${versionNumber} has no ${os}_${arch} package`);
  return {
    protocols: version.protocols,
    os,
    arch,
    filename: platform.filename,
    download_url: signedUrl(ctx, downloadPath('binary', platform.id), DOWNLOAD_URL_TTL_SECONDS),
    shasums_url: signedUrl(ctx, downloadPath('shasums', version.id), DOWNLOAD_URL_TTL_SECONDS),
    shasums_signature_url: signedUrl(ctx, downloadPath('shasums-sig', version.id), DOWNLOAD_URL_TTL_SECONDS),
    shasum: platform.shasum,
    signing_keys: { gpg_public_keys: [{ key_id: key.keyId, ascii_armor: key.asciiArmor, trust_signature: '', source: '', source_url: null }] },
  };
}
