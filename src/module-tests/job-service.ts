import type { Readable } from 'node:stream';
import type { FinishRequest, HeartbeatResponse, TestJob } from '../agent/protocol.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { archiveLimits } from '../configuration-versions/upload-service.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import * as moduleStore from '../registry-modules/store.js';
import * as logStore from '../runs/log-store.js';
import { storePhaseLog } from '../runs/log-service.js';
import * as testStore from './store.js';
import { variablesForTest } from './variable-service.js';

/**
 * The agents' side of module tests (docs/design.md "Module tests"): the built-in runner claims a
 * queued test run as it claims a run's phase, with a job token of kind `test-run` that may only read
 * the organization's private registry; the job routes are a run's, with the phase `test`.
 */

export type JobContext = Pick<Ctx, 'db' | 'config' | 'blobs' | 'now' | 'subject'>;

/** Claims the oldest queued test run for an agent of the built-in runner, with its job token. */
export async function claim(ctx: JobContext, agentId: string): Promise<{ run: testStore.TestRun; token: string } | undefined> {
  // A test runs for at most the plan time limit; the expiry only bounds a token whose revocation was lost.
  const validUntil = new Date(ctx.now().getTime() + ctx.config.planTimeoutMs + 3_600_000);
  return ctx.db.transaction().execute(async (trx) => {
    const id = await testStore.lockNextQueued(trx);
    if (!id) return undefined;
    const run = await testStore.setStatus(trx, id, 'running', ctx.now(), { agentId, leaseSeconds: ctx.config.runLeaseSeconds, stamp: 'started-at' });
    const { secret, hash } = generateToken();
    await tokenStore.insert(trx, {
      id: newId('at'),
      kind: 'test-run',
      hash,
      testRunId: id,
      description: `test run ${id} on agent ${agentId}`,
      expiredAt: validUntil,
    });
    return { run, token: secret };
  });
}

/** Everything the agent needs to run the test; the test errors when it cannot be described. */
export async function describe(ctx: JobContext, run: testStore.TestRun, token: string, caCertificate: string | null): Promise<TestJob> {
  const module = await moduleStore.findById(ctx.db, run.moduleId);
  if (!module) throw new ConflictError(`the module of test run ${run.id} no longer exists`);
  const environment = await variablesForTest(ctx, module.id);
  return {
    kind: 'test',
    runId: run.id,
    phase: 'test',
    token,
    hostname: ctx.config.hostname,
    caCertificate,
    organizationName: module.organizationName,
    moduleName: `${module.namespace}/${module.name}/${module.provider}`,
    testDirectory: run.testDirectory,
    filters: run.filters,
    verbose: run.verbose,
    variables: [
      ...environment.map((v) => ({ key: v.key, value: v.value, category: 'env' as const, hcl: false, sensitive: v.sensitive })),
      // tests.mdx: "All values must be expressed as an HCL literal".
      ...run.variables.map((v) => ({ key: v.key, value: v.value, category: 'terraform' as const, hcl: true, sensitive: false })),
    ],
    timeoutMs: ctx.config.planTimeoutMs,
    archiveLimits: archiveLimits(ctx.config),
  };
}

/** Ends a running test (finished, errored or canceled) and revokes its job token; false when it had ended already. */
async function end(
  trx: Db,
  id: string,
  now: Date,
  status: 'finished' | 'errored' | 'canceled',
  result: { testStatus?: string; counts?: testStore.TestCounts } = {},
): Promise<boolean> {
  const run = await testStore.findTestRun(trx, id, { forUpdate: true });
  await tokenStore.deleteTestRunTokens(trx, id);
  if (run?.status !== 'running') return false;
  await testStore.setStatus(trx, id, status, now, result);
  return true;
}

/** Errors a test that the agent could not start (its description failed). */
export async function failClaimed(ctx: JobContext, id: string): Promise<void> {
  await ctx.db.transaction().execute((trx) => end(trx, id, ctx.now(), 'errored'));
}

/** The test run the caller's job token is for; any other is not found. */
export async function ownJob(ctx: JobContext, id: string): Promise<testStore.TestRun> {
  const { subject } = ctx;
  const run = subject.kind === 'test-run' && subject.testRunId === id ? await testStore.findTestRun(ctx.db, id) : undefined;
  if (!run) throw new NotFoundError(`job ${id}/test not found`);
  return run;
}

export async function heartbeat(ctx: JobContext, run: testStore.TestRun): Promise<HeartbeatResponse> {
  const held = await testStore.renewLease(ctx.db, run.id, ctx.config.runLeaseSeconds);
  const current = held ? await testStore.findTestRun(ctx.db, run.id) : undefined;
  return { cancel: !current || current.cancelRequestedAt !== null };
}

/** Appends output at `offset`, by the runs' rule (logStore.appendAt). */
export async function appendLog(ctx: JobContext, run: testStore.TestRun, offset: number, data: Buffer): Promise<void> {
  if (data.length === 0) return;
  await ctx.db.transaction().execute(async (trx) => {
    const locked = await testStore.findTestRun(trx, run.id, { forUpdate: true });
    if (locked?.status !== 'running') throw new ConflictError(`test run ${run.id} is ${locked?.status ?? 'gone'}`);
    const gap = await logStore.appendAt(trx, { id: run.id, testRunId: run.id }, offset, data);
    if (gap) throw new ConflictError(`the log of this test has ${gap.gapAt} bytes, not ${offset}`);
  });
}

/** The test's configuration version, as uploaded. */
export async function configuration(ctx: JobContext, run: testStore.TestRun): Promise<Readable> {
  const version = run.configurationVersionId ? await testStore.findConfigurationVersion(ctx.db, run.configurationVersionId) : undefined;
  const content = version?.blobKey ? await ctx.blobs.get(version.blobKey) : undefined;
  if (!content) throw new NotFoundError('the test run has no uploaded configuration version');
  return content;
}

/** The test ended: its log becomes a blob, then the test run its outcome. */
export async function finish(ctx: JobContext, run: testStore.TestRun, result: FinishRequest): Promise<void> {
  await storePhaseLog(ctx, 'test-runs', run.id);
  const now = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    switch (result.outcome) {
      case 'tested':
        await end(trx, run.id, now, 'finished', { testStatus: result.testStatus, counts: result.counts });
        return;
      case 'canceled':
        await end(trx, run.id, now, 'canceled');
        return;
      case 'failed':
      case 'interrupted':
        await end(trx, run.id, now, 'errored');
        return;
      default:
        throw new ConflictError(`a test cannot end ${result.outcome}`);
    }
  });
}

/** Errors every test whose agent stopped renewing its lease; returns how many. */
export async function reapExpiredLeases(ctx: Pick<Ctx, 'db' | 'now'>): Promise<number> {
  let reaped = 0;
  for (const id of await testStore.expiredLeases(ctx.db)) {
    const done = await ctx.db.transaction().execute(async (trx) => {
      // Checked again under the lock: the agent may have renewed or finished meanwhile.
      await testStore.findTestRun(trx, id, { forUpdate: true });
      return (await testStore.expiredLeases(trx, id)).length > 0 && end(trx, id, ctx.now(), 'errored');
    });
    if (done) reaped++;
  }
  return reaped;
}
