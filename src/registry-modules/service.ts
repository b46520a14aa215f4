import type { Readable } from 'node:stream';
import { can } from '../auth/authorize.js';
import { deleteAfterCommit } from '../blobs/delete-job.js';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import { archiveLimits } from '../configuration-versions/upload-service.js';
import { validationSlots } from '../configuration-versions/validation-slots.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../errors.js';
import { newId, randomBase58 } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import { ArchiveError, readFiles } from '../runner/extract.js';
import { isInterfaceFile, type ModuleInterface, ModuleParseError, readModuleInterface } from './module-interface.js';
import * as moduleStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { ModuleAddress, ModuleVersion, RegistryModule, VersionStatus } from './store.js';

/**
 * The private module registry (modules.mdx): modules without VCS, published by who has "Manage
 * Modules" and read by every member of the organization, their versions uploaded as archives,
 * checked with the configuration versions' budget and read for their interface.
 */

/** A module as the API shows it: with what the caller may do to it. */
export interface ModuleView {
  module: moduleStore.RegistryModule;
  canManage: boolean;
}

/** A version with, in the create answer only, the URL its archive is uploaded to. */
export interface ModuleVersionView {
  version: moduleStore.ModuleVersion;
  module: moduleStore.RegistryModule;
  uploadUrl?: string | undefined;
}

const ATTRIBUTES = '/data/attributes';
/** modules.mdx "Create a Module": alphanumerics, `-` and `_` not at either end, 64 at most. */
const NAME_PATTERN = /^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$/;
/** "May contain lowercase alphanumeric characters. Maximum length is 64 characters." */
const PROVIDER_PATTERN = /^[0-9a-z]{1,64}$/;
/** A semantic version (semver.org), as the registry protocol needs it. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const UPLOAD_URL_TTL_SECONDS = 60 * 60;
/** The largest root file read for the interface. */
const MAX_INTERFACE_FILE_BYTES = 1024 * 1024;

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

/** Terrace has no public registry to curate: public module records are refused as the service refuses them when curation is off. */
function checkRegistryName(registryName: string): void {
  if (registryName === 'public') throw new ForbiddenError('public module curation is not available: Terrace has no public registry to proxy');
  if (registryName !== 'private') throw new NotFoundError(`registry ${registryName} not found`);
}

async function viewsOf(ctx: Ctx, modules: readonly moduleStore.RegistryModule[]): Promise<ModuleView[]> {
  const views: ModuleView[] = [];
  for (const module of modules) views.push({ module, canManage: await can(ctx, 'registry-module:manage', { organizationId: module.organizationId }) });
  return views;
}

export interface ListFilter {
  q?: string | undefined;
  registryName?: string | undefined;
  provider?: string | undefined;
  organizationName?: string | undefined;
}

export async function list(ctx: Ctx, organizationName: string, filter: ListFilter, page: Page): Promise<Paged<ModuleView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'registry:read');
  // Every module here belongs to this organization: another organization's name filters them all out.
  const window =
    filter.organizationName !== undefined && filter.organizationName !== org.name ? { limit: 0, offset: 0 } : { limit: page.size, offset: pageOffset(page) };
  const { modules, total } = await moduleStore.page(ctx.db, org.id, filter, window);
  return { items: await viewsOf(ctx, modules), total: window.limit === 0 ? 0 : total };
}

export interface CreateModuleInput {
  name?: string | undefined;
  provider?: string | undefined;
  namespace?: string | undefined;
  registryName?: string | undefined;
  noCode?: boolean | undefined;
}

/** Creates a private module with no VCS connection (modules.mdx "Create a Module"). */
export async function create(ctx: Ctx, organizationName: string, input: CreateModuleInput): Promise<ModuleView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'registry-module:manage');
  checkRegistryName(input.registryName ?? 'private');
  if (input.name === undefined || !NAME_PATTERN.test(input.name)) {
    throw invalid('name', 'name must be 1 to 64 letters, numbers, "-" and "_", starting and ending with a letter or number');
  }
  if (input.provider === undefined || !PROVIDER_PATTERN.test(input.provider))
    throw invalid('provider', 'provider must be 1 to 64 lowercase letters and numbers');
  if (input.namespace !== undefined && input.namespace !== org.name)
    throw invalid('namespace', 'the namespace of a private module is its organization: it cannot be set');
  const id = newId('mod');
  try {
    await moduleStore.insert(ctx.db, {
      id,
      organizationId: org.id,
      registryName: 'private',
      namespace: org.name,
      name: input.name,
      provider: input.provider,
      noCode: input.noCode ?? false,
      createdAt: ctx.now(),
    });
  } catch (err) {
    if (isUniqueViolation(err, moduleStore.ADDRESS_CONSTRAINT)) throw invalid('name', `module ${input.name} for provider ${input.provider} already exists`);
    throw err;
  }
  const module = await moduleStore.findById(ctx.db, id);
  if (!module) throw new NotFoundError(`module ${id} not found`);
  return (await viewsOf(ctx, [module]))[0] as ModuleView;
}

/** The modules at an address the caller may see with `action`; 404 when there are none. */
async function modulesAt(
  ctx: Ctx,
  organizationName: string,
  address: Omit<moduleStore.ModuleAddress, 'provider'> & { provider?: string | undefined },
  action: 'registry:read' | 'registry-module:manage',
) {
  const org = await organizationService.findAuthorized(ctx, organizationName, action);
  checkRegistryName(address.registryName);
  const modules = await moduleStore.findAt(ctx.db, org.id, address);
  if (modules.length === 0) throw new NotFoundError(`module ${address.namespace}/${address.name}${address.provider ? `/${address.provider}` : ''} not found`);
  return modules;
}

/** The one module at a full address that the caller may `action`; 404 otherwise (module tests use it). */
export async function authorizedModule(
  ctx: Ctx,
  organizationName: string,
  address: moduleStore.ModuleAddress,
  action: 'registry:read' | 'registry-module:manage',
): Promise<moduleStore.RegistryModule> {
  return (await modulesAt(ctx, organizationName, address, action))[0] as moduleStore.RegistryModule;
}

export async function show(ctx: Ctx, organizationName: string, address: moduleStore.ModuleAddress): Promise<ModuleView> {
  const [module] = await modulesAt(ctx, organizationName, address, 'registry:read');
  return (await viewsOf(ctx, [module as moduleStore.RegistryModule]))[0] as ModuleView;
}

export interface UpdateModuleInput {
  noCode?: boolean | undefined;
  /** `vcs-repo`: given at all, it is refused (Terrace has no VCS connections). */
  vcsRepo?: unknown;
  testConfig?: { testsEnabled?: boolean | undefined; agentExecutionMode?: string | undefined; agentPoolId?: string | null | undefined } | undefined;
}

/**
 * modules.mdx "Update a Private Registry Module": `test-config.tests-enabled` (and `no-code`). The
 * branch and tags of `vcs-repo` belong to VCS-backed modules, which Terrace does not have; tests run on
 * the built-in runner (`agent-execution-mode` `remote`), as the docs say agent execution needs a feature
 * HCP Terraform sells apart.
 */
export async function update(ctx: Ctx, organizationName: string, address: moduleStore.ModuleAddress, input: UpdateModuleInput): Promise<ModuleView> {
  const module = await authorizedModule(ctx, organizationName, address, 'registry-module:manage');
  if (input.vcsRepo !== undefined) throw invalid('vcs-repo', 'this module is not connected to a VCS repository: Terrace has no VCS connections');
  const config = input.testConfig;
  if (config?.agentExecutionMode !== undefined && config.agentExecutionMode !== 'remote') {
    throw invalid('test-config/agent-execution-mode', 'module tests run on the built-in runner: agent-execution-mode must be "remote"');
  }
  if (config?.agentPoolId !== undefined && config.agentPoolId !== null) {
    throw invalid('test-config/agent-pool-id', 'module tests run on the built-in runner: agent-pool-id must not be set');
  }
  await moduleStore.update(ctx.db, module.id, { testsEnabled: config?.testsEnabled, noCode: input.noCode }, ctx.now());
  const updated = await moduleStore.findById(ctx.db, module.id);
  if (!updated) throw new NotFoundError(`module ${module.id} not found`);
  return (await viewsOf(ctx, [updated]))[0] as ModuleView;
}

/**
 * Deletes a version, a provider's module with its versions, or every provider of a name
 * (modules.mdx "Delete a Module"); a module left without versions by a version's deletion goes too.
 * The archives are deleted after the commit.
 */
export async function destroy(
  ctx: Ctx,
  organizationName: string,
  address: Omit<moduleStore.ModuleAddress, 'provider'> & { provider?: string | undefined },
  version?: string,
): Promise<void> {
  const modules = await modulesAt(ctx, organizationName, address, 'registry-module:manage');
  const versions = await moduleStore.versionsOf(
    ctx.db,
    modules.map((m) => m.id),
  );
  const doomed = version === undefined ? versions : versions.filter((v) => v.version === version);
  if (version !== undefined && doomed.length === 0) throw new NotFoundError(`version ${version} not found`);
  await ctx.db.transaction().execute(async (trx) => {
    if (version === undefined) {
      await moduleStore.deleteModules(
        trx,
        modules.map((m) => m.id),
      );
    } else {
      await moduleStore.deleteVersions(
        trx,
        doomed.map((v) => v.id),
      );
      // "If a version deletion would leave a provider with no versions, the provider will be deleted."
      const emptied = modules.filter((m) => !versions.some((v) => v.moduleId === m.id && !doomed.includes(v)));
      await moduleStore.deleteModules(
        trx,
        emptied.map((m) => m.id),
      );
    }
    await deleteAfterCommit(
      trx,
      doomed.flatMap((v) => (v.blobKey ? [v.blobKey] : [])),
    );
  });
}

export function uploadPath(versionId: string): string {
  return `/_blobs/registry-module-versions/${encodeURIComponent(versionId)}/upload`;
}

/** Creates a pending version and its upload URL (modules.mdx "Create a Module Version"). */
export async function createVersion(
  ctx: Ctx,
  organizationName: string,
  address: moduleStore.ModuleAddress,
  input: { version?: string | undefined; commitSha?: string | null | undefined },
): Promise<ModuleVersionView> {
  const [module] = (await modulesAt(ctx, organizationName, address, 'registry-module:manage')) as [moduleStore.RegistryModule];
  if (input.version === undefined || !SEMVER.test(input.version)) throw invalid('version', 'version must be a semantic version, e.g. 1.2.3');
  const id = newId('modver');
  try {
    await moduleStore.insertVersion(ctx.db, { id, moduleId: module.id, version: input.version, commitSha: input.commitSha ?? null, createdAt: ctx.now() });
  } catch (err) {
    if (isUniqueViolation(err, moduleStore.VERSION_CONSTRAINT)) throw invalid('version', `version ${input.version} already exists`);
    throw err;
  }
  const version = await moduleStore.findVersion(ctx.db, id);
  if (!version) throw new NotFoundError(`module version ${id} not found`);
  return { version, module, uploadUrl: signedUrl(ctx, uploadPath(id), UPLOAD_URL_TTL_SECONDS) };
}

/** Checks the archive and reads the root module's interface; the refusal as text. */
async function readArchive(ctx: Ctx, key: string): Promise<{ interface: ModuleInterface } | { error: string }> {
  return validationSlots(ctx.config).run(async () => {
    const source = await ctx.blobs.get(key);
    if (!source) throw new Error(`blob ${key} vanished after its upload`);
    try {
      const files = await readFiles(source, archiveLimits(ctx.config), isInterfaceFile, MAX_INTERFACE_FILE_BYTES);
      return { interface: await readModuleInterface(files) };
    } catch (err) {
      if (err instanceof ArchiveError || err instanceof ModuleParseError) return { error: err.message };
      throw err;
    } finally {
      source.destroy();
    }
  });
}

/**
 * The upload to a version's URL (the signature is the authorization): stored, checked and read, then
 * the version is `ok`, or `errored` with the reason (a 422). Only a pending version takes an upload.
 */
export async function upload(ctx: Ctx, versionId: string, expiry: string, signature: string, body: Readable): Promise<moduleStore.ModuleVersion> {
  if (!verifySignature(ctx.config, uploadPath(versionId), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  const version = await moduleStore.findVersion(ctx.db, versionId);
  if (!version) throw new NotFoundError(`module version ${versionId} not found`);
  if (version.status !== 'pending') throw new ConflictError(`module version ${version.version} is ${version.status}: only a pending version takes an upload`);
  const key = `registry-module-versions/${versionId}/${randomBase58()}.tar.gz`;
  const stored = await ctx.blobs.put(key, body, { maxBytes: ctx.config.maxConfigurationBytes });
  let finished: moduleStore.ModuleVersion | undefined;
  try {
    const read = await readArchive(ctx, key);
    const now = ctx.now();
    if ('error' in read) {
      await moduleStore.finishVersion(ctx.db, versionId, { status: 'errored', error: read.error }, now);
      throw new InvalidError(`the module archive was refused: ${read.error}`);
    }
    finished = await moduleStore.finishVersion(ctx.db, versionId, { status: 'ok', blobKey: key, size: stored.size, interface: read.interface }, now);
  } finally {
    if (!finished) await ctx.blobs.delete(key);
  }
  if (!finished) throw new ConflictError(`module version ${version.version} is no longer pending`);
  return finished;
}

// ---- The module registry protocol (concepts/registry: "Module Registry Protocol"; cli-protocol.md §8) ----

/** How long the archive URL a download answers with stays valid: go-getter fetches it at once. */
const ARCHIVE_URL_TTL_SECONDS = 5 * 60;

function archivePath(versionId: string): string {
  return `/_blobs/registry-module-versions/${encodeURIComponent(versionId)}/archive`;
}

/** A private module of the caller's organization `namespace`, by the protocol's address; 404 as the API. */
async function protocolModule(ctx: Ctx, namespace: string, name: string, provider: string): Promise<moduleStore.RegistryModule> {
  const [module] = await modulesAt(ctx, namespace, { registryName: 'private', namespace, name, provider }, 'registry:read');
  return module as moduleStore.RegistryModule;
}

/** The versions `terraform init` may install: those whose archive was read (`ok`). */
export async function protocolVersions(
  ctx: Ctx,
  namespace: string,
  name: string,
  provider: string,
): Promise<{ module: moduleStore.RegistryModule; versions: moduleStore.ModuleVersion[] }> {
  const module = await protocolModule(ctx, namespace, name, provider);
  return { module, versions: await moduleStore.versionsOf(ctx.db, [module.id], 'ok') };
}

async function okVersion(
  ctx: Ctx,
  namespace: string,
  name: string,
  provider: string,
  version: string | undefined,
): Promise<{ module: moduleStore.RegistryModule; version: moduleStore.ModuleVersion }> {
  const { module, versions } = await protocolVersions(ctx, namespace, name, provider);
  const found = version === undefined ? latest(versions) : versions.find((v) => v.version === version);
  if (!found) throw new NotFoundError(`module ${namespace}/${name}/${provider} has no version ${version ?? 'yet'}`);
  return { module, version: found };
}

/** The highest release version (prereleases only when there is nothing else), by semver precedence. */
function latest(versions: readonly moduleStore.ModuleVersion[]): moduleStore.ModuleVersion | undefined {
  const key = (v: string) => v.split(/[-+]/)[0]?.split('.').map(Number) ?? [];
  const releases = versions.filter((v) => !v.version.includes('-'));
  return [...(releases.length > 0 ? releases : versions)].sort((a, b) => {
    const [x, y] = [key(a.version), key(b.version)];
    return (y[0] ?? 0) - (x[0] ?? 0) || (y[1] ?? 0) - (x[1] ?? 0) || (y[2] ?? 0) - (x[2] ?? 0);
  })[0];
}

/** The URL a version's download sends go-getter to: signed, short-lived, with the archive type for go-getter. */
export async function downloadUrl(ctx: Ctx, namespace: string, name: string, provider: string, version: string): Promise<string> {
  const found = await okVersion(ctx, namespace, name, provider, version);
  return `${signedUrl(ctx, archivePath(found.version.id), ARCHIVE_URL_TTL_SECONDS)}?archive=tar.gz`;
}

/** The version a "download the latest" request is sent on to. */
export async function latestVersion(ctx: Ctx, namespace: string, name: string, provider: string): Promise<string> {
  return (await okVersion(ctx, namespace, name, provider, undefined)).version.version;
}

/** The archive behind a download URL; the signature is the authorization (go-getter sends no token). */
export async function archive(ctx: Ctx, versionId: string, expiry: string, signature: string): Promise<Readable> {
  if (!verifySignature(ctx.config, archivePath(versionId), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  const version = await moduleStore.findVersion(ctx.db, versionId);
  const content = version?.status === 'ok' && version.blobKey ? await ctx.blobs.get(version.blobKey) : undefined;
  if (!content) throw new NotFoundError('not found');
  return content;
}

/** A version with its interface: "Get a specific module" (or the latest version without one). */
export async function details(
  ctx: Ctx,
  namespace: string,
  name: string,
  provider: string,
  version: string | undefined,
): Promise<{
  module: moduleStore.RegistryModule;
  version: moduleStore.ModuleVersion;
  versions: moduleStore.ModuleVersion[];
  interface: ModuleInterface | null;
}> {
  const found = await okVersion(ctx, namespace, name, provider, version);
  const [versions, moduleInterface] = await Promise.all([
    moduleStore.versionsOf(ctx.db, [found.module.id], 'ok'),
    moduleStore.interfaceOf(ctx.db, found.version.id),
  ]);
  return { ...found, versions, interface: moduleInterface as ModuleInterface | null };
}
