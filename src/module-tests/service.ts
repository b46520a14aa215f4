import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import * as tokenStore from '../auth/token-store.js';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import { validateArchive } from '../configuration-versions/upload-service.js';
import type { Ctx } from '../context.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId, randomBase58 } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as moduleService from '../registry-modules/service.js';
import * as moduleStore from '../registry-modules/store.js';
import { logReadUrl } from '../runs/log-service.js';
import { RUNS_CHANNEL } from '../runs/schedule.js';
import * as testStore from './store.js';
import type { Paged } from '../db/paging.js';

/**
 * Module tests (private-registry/tests.mdx): a module's configuration is uploaded as a test
 * configuration version, and a test run executes `terraform test` on it in an agent (job-service.ts),
 * its JSON output streamed through `log-read-url` as `terraform test -cloud-run` reads it. Managing
 * tests needs "Manage Modules" on the organization, as the docs' "owners" team has.
 */

export type { TestConfigurationVersion, TestRun } from './store.js';

const MANAGE = 'registry-module:manage';
const ATTRIBUTES = '/data/attributes';
const UPLOAD_URL_TTL_SECONDS = 60 * 60;
/** tests.mdx "Test Sources". */
export const TEST_SOURCES = ['terraform', 'tfe-api', 'tfe-configuration-version'] as const;
const MESSAGES: Record<string, string> = {
  terraform: 'Queued manually using Terraform',
  'tfe-api': 'Queued manually via the Terraform Enterprise API',
};
/** terraform's own upper bound on `-parallelism` is the machine; this one keeps a test from asking for absurd numbers. */
const MAX_PARALLELISM = 256;

export interface TestConfigurationView {
  version: testStore.TestConfigurationVersion;
  uploadUrl?: string | undefined;
}

export interface TestRunView {
  run: testStore.TestRun;
  module: moduleService.RegistryModule;
  logReadUrl: string;
}

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

export function uploadPath(id: string): string {
  return `/_blobs/test-configuration-versions/${encodeURIComponent(id)}/upload`;
}

/** tests.mdx "Create a Configuration Version for a Test": pending, with its upload URL. */
export async function createConfigurationVersion(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress): Promise<TestConfigurationView> {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  const version = await testStore.insertConfigurationVersion(ctx.db, { id: newId('cv'), moduleId: module.id, now: ctx.now() });
  return { version, uploadUrl: signedUrl(ctx, uploadPath(version.id), UPLOAD_URL_TTL_SECONDS) };
}

/**
 * The upload to the version's URL (the signature is the authorization): stored, then checked with
 * the configuration versions' budget; `uploaded`, or `errored` with the reason (a 422). An upload
 * queues no test: the CLI creates its test run itself once the upload is done.
 */
export async function upload(ctx: Ctx, id: string, expiry: string, signature: string, body: Readable): Promise<void> {
  if (!verifySignature(ctx.config, uploadPath(id), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  const version = await testStore.findConfigurationVersion(ctx.db, id);
  if (!version) throw new NotFoundError(`configuration version ${id} not found`);
  if (version.status !== 'pending') throw new ConflictError(`configuration version ${id} is ${version.status}: only a pending version takes an upload`);
  const key = `test-configuration-versions/${id}/${randomBase58()}.tar.gz`;
  const stored = await ctx.blobs.put(key, body, { maxBytes: ctx.config.maxConfigurationBytes });
  let uploaded = false;
  try {
    const refusal = await validateArchive(ctx, key);
    if (refusal) {
      await testStore.markConfigurationErrored(ctx.db, id, refusal);
      throw new InvalidError(`the configuration archive was refused: ${refusal.message}`);
    }
    uploaded = await testStore.markConfigurationUploaded(ctx.db, id, { key, size: stored.size }, ctx.now());
  } finally {
    if (!uploaded) await ctx.blobs.delete(key);
  }
  if (!uploaded) throw new ConflictError(`configuration version ${id} is no longer pending`);
}

export interface CreateTestRunInput {
  configurationVersionId?: string | undefined;
  testDirectory?: string | undefined;
  filters?: string[] | undefined;
  verbose?: boolean | undefined;
  parallelism?: number | undefined;
  variables?: { key: string; value: string | number | boolean }[] | undefined;
  source: 'terraform' | 'tfe-api';
}

/** A path inside the configuration, as terraform takes it: relative, without `..`. */
function relativePath(attribute: string, path: string): string {
  const parts = path.replaceAll('\\', '/').split('/');
  if (path === '' || path.startsWith('/') || parts.includes('..') || path.length > 1024) {
    throw invalid(attribute, `${attribute} must be a relative path inside the configuration`);
  }
  return path;
}

/** A terraform variable name (the value is an HCL literal, checked by terraform when the test runs). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function testVariables(input: CreateTestRunInput['variables']): testStore.TestVariable[] {
  const seen = new Set<string>();
  return (input ?? []).map((v, index) => {
    if (!VARIABLE_NAME.test(v.key)) throw invalid(`variables/${index}/key`, `variable key ${JSON.stringify(v.key)} is not a terraform variable name`);
    if (seen.has(v.key)) throw invalid(`variables/${index}/key`, `variable ${v.key} is given twice`);
    seen.add(v.key);
    return { key: v.key, value: String(v.value) };
  });
}

/** tests.mdx "Create a Test": queued at once, with the configuration version of any module of the organization. */
export async function createTestRun(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress, input: CreateTestRunInput): Promise<TestRunView> {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  const pointer = '/data/relationships/configuration-version/data/id';
  if (input.configurationVersionId === undefined) throw new InvalidError('a test run needs a configuration version', { pointer });
  const version = await testStore.findConfigurationVersion(ctx.db, input.configurationVersionId);
  const owner = version && (version.moduleId === module.id ? module : await moduleStore.findById(ctx.db, version.moduleId));
  if (!version || owner?.organizationId !== module.organizationId) {
    throw new InvalidError(`configuration version ${input.configurationVersionId} not found`, { pointer });
  }
  if (version.status !== 'uploaded')
    throw new InvalidError(`configuration version ${version.id} is ${version.status}: its files must be uploaded first`, { pointer });
  const parallelism = input.parallelism;
  if (parallelism !== undefined && (!Number.isSafeInteger(parallelism) || parallelism < 1 || parallelism > MAX_PARALLELISM)) {
    throw invalid('parallelism', `parallelism must be a whole number from 1 to ${MAX_PARALLELISM}`);
  }
  const run = await ctx.db.transaction().execute(async (trx) => {
    const created = await testStore.insertTestRun(trx, {
      id: newId('trun'),
      moduleId: module.id,
      configurationVersionId: version.id,
      variables: testVariables(input.variables),
      filters: (input.filters ?? []).map((filter, index) => relativePath(`filters/${index}`, filter)),
      testDirectory: relativePath('test-directory', input.testDirectory ?? 'tests'),
      verbose: input.verbose ?? false,
      parallelism: parallelism ?? null,
      source: input.source,
      message: MESSAGES[input.source] as string,
      createdBy: ctx.subject.kind === 'user' ? ctx.subject.userId : null,
      now: ctx.now(),
    });
    // Wakes the agents' long polls, as a queued run does.
    await sql`SELECT pg_notify(${RUNS_CHANNEL}, ${created.id})`.execute(trx);
    return created;
  });
  return viewOf(ctx, run, module);
}

function viewOf(ctx: Ctx, run: testStore.TestRun, module: moduleService.RegistryModule): TestRunView {
  return { run, module, logReadUrl: logReadUrl(ctx, 'test-runs', run.id) };
}

async function testRunOf(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress, id: string, forUpdate = false) {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  const run = await testStore.findTestRun(ctx.db, id, { forUpdate });
  if (!run || run.moduleId !== module.id) throw new NotFoundError(`test run ${id} not found`);
  return { module, run };
}

export async function show(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress, id: string): Promise<TestRunView> {
  const { module, run } = await testRunOf(ctx, organizationName, address, id);
  return viewOf(ctx, run, module);
}

/** tests.mdx "List Tests for a Module": newest first; `filter[source]` a comma-separated list. */
export async function list(
  ctx: Ctx,
  organizationName: string,
  address: moduleService.ModuleAddress,
  sources: string | undefined,
  page: Page,
): Promise<Paged<TestRunView>> {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  const wanted = sources?.split(',').map((s) => s.trim());
  const { runs, total } = await testStore.pageOfModule(ctx.db, module.id, wanted, { limit: page.size, offset: pageOffset(page) });
  return { items: runs.map((run) => viewOf(ctx, run, module)), total };
}

/**
 * tests.mdx "Cancel a Test": a queued test ends canceled at once; a running one is interrupted (the
 * agent's next heartbeat sends terraform SIGINT, and terraform tears down what the tests created).
 */
export async function cancel(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress, id: string): Promise<void> {
  await testRunOf(ctx, organizationName, address, id);
  await ctx.db.transaction().execute(async (trx) => {
    const run = await testStore.findTestRun(trx, id, { forUpdate: true });
    if (run?.status === 'queued') await testStore.setStatus(trx, id, 'canceled', ctx.now());
    else if (run?.status === 'running') await testStore.requestCancel(trx, id, ctx.now());
    else throw new ConflictError(`test run ${id} is ${run?.status ?? 'gone'}: only a queued or running test can be canceled`);
  });
}

/** tests.mdx "Forcefully cancel a Test": a running test that was canceled ends now; its agent loses the job and kills terraform. */
export async function forceCancel(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress, id: string): Promise<void> {
  await testRunOf(ctx, organizationName, address, id);
  await ctx.db.transaction().execute(async (trx) => {
    const run = await testStore.findTestRun(trx, id, { forUpdate: true });
    if (run?.status !== 'running' || run.cancelRequestedAt === null) {
      throw new ConflictError(`test run ${id} is ${run?.status ?? 'gone'}: only a running test that was canceled can be force-canceled`);
    }
    await testStore.setStatus(trx, id, 'canceled', ctx.now(), { stamp: 'force-canceled-at' });
    await tokenStore.deleteTestRunTokens(trx, id);
  });
}
