import type { Readable } from 'node:stream';
import {
  type AnyJob,
  ARTIFACT_PHASES,
  type ArtifactName,
  type FinishRequest,
  type HeartbeatResponse,
  type Job,
  type RegisterResponse,
} from '../agent/protocol.js';
import type { Subject } from '../auth/subject.js';
import { getBlob, putSealed } from '../blobs/sealed-blobs.js';
import * as tokenStore from '../auth/token-store.js';
import { archiveLimits } from '../configuration-versions/upload-service.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import type { Ctx } from '../context.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import * as testJobService from '../module-tests/job-service.js';
import * as projectStore from '../projects/store.js';
import * as runToken from '../runner/run-token.js';
import * as sshKeyService from '../ssh-keys/service.js';
import * as logStore from '../runs/log-store.js';
import { storePhaseLog } from '../runs/log-service.js';
import * as phaseStore from '../runs/phase-store.js';
import * as planOutputStore from '../runs/plan-output-store.js';
import * as runnerService from '../runs/runner-service.js';
import * as runStore from '../runs/store.js';
import { variablesOf } from '../runs/service.js';
import { effectiveVariables } from '../variable-sets/effective-service.js';
import * as workspaceStore from '../workspaces/store.js';
import * as agentStore from './store.js';

/**
 * The server's side of the agent protocol (src/agent/protocol.ts, docs/design.md "Agents"). Agents
 * hold an agent token; a claim hands out one job (a run's plan or apply) with a job token that
 * authenticates everything about that job, and which the run's terraform also uses. The job token
 * is revoked the moment the phase ends, however it ends (runs/schedule.ts changeStatus).
 */

/** How often a busy agent heartbeats its job: also how soon it notices a cancel. */
export const AGENT_HEARTBEAT_MS = 1_000;

export type ProtocolContext = Pick<Ctx, 'db' | 'config' | 'blobs' | 'log' | 'now' | 'subject'>;

type AgentSubject = Extract<Subject, { kind: 'agent' }>;

function agentSubject(subject: Subject): AgentSubject {
  if (subject.kind !== 'agent') throw new NotFoundError('not found');
  return subject;
}

export async function register(ctx: ProtocolContext, input: { name?: string | undefined; ipAddress: string }): Promise<RegisterResponse> {
  const subject = agentSubject(ctx.subject);
  const agentId = newId('agent');
  await agentStore.insertAgent(ctx.db, { id: agentId, agentPoolId: subject.agentPoolId, name: input.name ?? null, ipAddress: input.ipAddress });
  return { agentId, heartbeatMs: AGENT_HEARTBEAT_MS };
}

/** The caller's own agent, registered with a token of the same pool, that has not exited. */
async function ownAgent(ctx: ProtocolContext, agentId: string): Promise<agentStore.AgentRecord> {
  const subject = agentSubject(ctx.subject);
  const agent = await agentStore.findAgent(ctx.db, agentId);
  if (!agent || agent.agentPoolId !== subject.agentPoolId || agent.status === 'exited') throw new NotFoundError(`agent ${agentId} not found`);
  return agent;
}

/** The reason a run whose agent exited without finishing its phase ends errored with. */
export const EXITED_AGENT_REASON = 'The agent running this run exited before the run finished';

/**
 * An exiting agent has finished (reported) the job it worked on; a run it still holds is one whose
 * handover it never accepted (queued again at once, rather than when its lease lapses) or one it
 * failed to report (errored).
 */
export async function reportStatus(ctx: ProtocolContext, agentId: string, status: 'idle' | 'busy' | 'exited' | 'errored'): Promise<void> {
  await ownAgent(ctx, agentId);
  await agentStore.ping(ctx.db, agentId, status);
  if (status !== 'exited') return;
  for (const runId of await agentStore.runningRunsOfAgents(ctx.db, [agentId])) await runnerService.abandon(ctx, runId, EXITED_AGENT_REASON);
}

interface Claimed {
  run: runStore.Run;
  phase: 'plan' | 'apply';
  token: string;
}

/** Takes the next run the agent's pool serves (runner-service.claimNext's rules), with a job token for it. */
async function claim(ctx: ProtocolContext, agent: agentStore.AgentRecord): Promise<Claimed | undefined> {
  const deadline = ctx.now().getTime() + (ctx.config.planTimeoutMs > ctx.config.applyTimeoutMs ? ctx.config.planTimeoutMs : ctx.config.applyTimeoutMs);
  let token = '';
  const claimed = await runnerService.claimNext(ctx, ctx.config.runConcurrency, agent.agentPoolId, async (trx, { run, phase }) => {
    await agentStore.setRunAgent(trx, run.id, agent.id);
    await agentStore.ping(trx, agent.id, 'busy');
    // Revoked when the phase ends; the expiry only bounds a token whose revocation was lost.
    token = (await runToken.create(trx, run, phase, new Date(deadline + 3_600_000), `${phase} of run ${run.id} on agent ${agent.id}`)).secret;
  });
  return claimed && { run: { ...claimed.run, agentId: agent.id }, phase: claimed.phase, token };
}

/** Everything the agent needs to run the phase; the run errors when it cannot be described. */
async function describe(ctx: ProtocolContext, claimed: Claimed, caCertificate: string | null): Promise<Job> {
  const { run, phase } = claimed;
  const workspace = await workspaceStore.findById(ctx.db, run.workspaceId);
  const project = workspace && (await projectStore.findById(ctx.db, workspace.projectId));
  if (!workspace || !project) throw new ConflictError(`workspace ${run.workspaceId} no longer exists`);
  const variables = await effectiveVariables(ctx, workspace.id, variablesOf(ctx, run));
  return {
    kind: 'run',
    runId: run.id,
    phase,
    token: claimed.token,
    hostname: ctx.config.hostname,
    caCertificate,
    organizationName: workspace.organizationName,
    workspaceName: workspace.name,
    projectName: project.name,
    terraformVersion: run.terraformVersion ?? workspace.terraformVersion,
    workingDirectory: workspace.workingDirectory,
    json: workspace.structuredRunOutputEnabled,
    debugging: run.debuggingMode,
    holdsLock: workspace.lockedBy?.kind === 'runs' && workspace.lockedBy.id === run.id,
    plan: {
      isDestroy: run.isDestroy,
      refreshOnly: run.refreshOnly,
      refresh: run.refresh,
      targetAddrs: run.targetAddrs ?? [],
      replaceAddrs: run.replaceAddrs ?? [],
    },
    variables: variables.map((v) => ({ key: v.key, value: v.value, category: v.category, hcl: v.hcl, sensitive: v.sensitive })),
    // Only to the agent that claimed this run's phase, inside its job (docs/design.md "SSH keys").
    sshKey: (await sshKeyService.privateKeyForRun(ctx, workspace.id)) ?? null,
    timeoutMs: phase === 'plan' ? ctx.config.planTimeoutMs : ctx.config.applyTimeoutMs,
    archiveLimits: archiveLimits(ctx.config),
  };
}

/** A queued module test, for an agent of the built-in runner (tests run remotely there only). */
async function nextTestJob(ctx: ProtocolContext, agent: agentStore.AgentRecord, caCertificate: string | null): Promise<AnyJob | undefined> {
  if (agent.agentPoolId !== null) return undefined;
  const claimed = await testJobService.claim(ctx, agent.id);
  if (!claimed) return undefined;
  await agentStore.ping(ctx.db, agent.id, 'busy');
  try {
    return await testJobService.describe(ctx, claimed.run, claimed.token, caCertificate);
  } catch (err) {
    await testJobService.failClaimed(ctx, claimed.run.id);
    throw err;
  }
}

/** Claims a job for the agent (a run's phase first, then a module test), or undefined when none waits. The agent is idle until then. */
export async function nextJob(ctx: ProtocolContext, agentId: string, caCertificate: string | null): Promise<AnyJob | undefined> {
  const agent = await ownAgent(ctx, agentId);
  await agentStore.ping(ctx.db, agent.id, 'idle');
  const claimed = await claim(ctx, agent);
  if (!claimed) return nextTestJob(ctx, agent, caCertificate);
  try {
    return await describe(ctx, claimed, caCertificate);
  } catch (err) {
    await runnerService.failPhase(ctx, claimed.run.id, err instanceof Error ? err.message : String(err));
    throw err;
  }
}

export interface JobRef {
  run: runStore.Run;
  phase: 'plan' | 'apply';
  phaseId: string;
}

/** The job the caller's job token is for; any other run or phase is not found. */
export async function ownJob(ctx: ProtocolContext, runId: string, phase: string): Promise<JobRef> {
  const { subject } = ctx;
  const notFound = new NotFoundError(`job ${runId}/${phase} not found`);
  if (subject.kind !== 'run' || subject.runId !== runId || (phase !== 'plan' && phase !== 'apply')) throw notFound;
  const token = await tokenStore.findById(ctx.db, subject.tokenId);
  const run = await runStore.findById(ctx.db, runId);
  const record = phase === 'plan' ? await phaseStore.findPlan(ctx.db, { runId }) : await phaseStore.findApply(ctx.db, { runId });
  if (token?.phase !== phase || !run || !record) throw notFound;
  return { run, phase, phaseId: record.id };
}

/** Extends the job's lease; says whether the agent should stop (canceled, or no longer the run's). */
export async function heartbeat(ctx: ProtocolContext, job: JobRef): Promise<HeartbeatResponse> {
  const held = await runnerService.renewLease(ctx, job.run.id);
  if (job.run.agentId) await agentStore.ping(ctx.db, job.run.agentId, 'busy');
  return { cancel: !held || (await runnerService.cancelRequested(ctx.db, job.run.id)) };
}

/** Appends output at `offset`; a repeated chunk (a retry) is accepted once, a gap is a conflict. */
export async function appendLog(ctx: ProtocolContext, job: JobRef, offset: number, data: Buffer): Promise<void> {
  if (data.length === 0) return;
  await ctx.db.transaction().execute(async (trx) => {
    await runnerService.lockRunning(trx, job.run.id);
    const gap = await logStore.appendAt(trx, { id: job.phaseId, runId: job.run.id }, offset, data);
    if (gap) throw new ConflictError(`the log of this ${job.phase} has ${gap.gapAt} bytes, not ${offset}`);
  });
}

/** Where a run's artifacts live: sealed blobs, since they hold the run's variables (and state), sensitive ones included. */
function artifactKey(planId: string, name: ArtifactName): string {
  const keys = planOutputStore.artifactKeys(planId);
  const byName: Record<ArtifactName, string> = {
    'plan-file': keys.planFile,
    'plan-json': keys.json,
    'plan-redacted-json': keys.redacted,
    'lock-file': keys.lockFile,
    'provider-schemas': keys.providerSchemas,
    'errored-state': keys.erroredState,
  };
  return byName[name];
}

/** The plan stores what its apply and the API need; an apply, the state terraform failed to upload. */
export async function putArtifact(ctx: ProtocolContext, job: JobRef, name: ArtifactName, content: Readable): Promise<void> {
  if (ARTIFACT_PHASES[name] !== job.phase) throw new ConflictError(`only ${ARTIFACT_PHASES[name] === 'plan' ? 'a plan' : 'an apply'} stores ${name}`);
  const planId = job.phase === 'plan' ? job.phaseId : (await phaseStore.findPlan(ctx.db, { runId: job.run.id }))?.id;
  if (!planId) throw new NotFoundError(`the plan of run ${job.run.id} is missing`);
  const key = artifactKey(planId, name);
  await putSealed(ctx.blobs, ctx.config, key, content);
  // Recorded once stored: the API offers it only then.
  if (name === 'errored-state') await phaseStore.setErroredState(ctx.db, job.phaseId, key);
}

/** The run's configuration version, as uploaded. */
export async function configuration(ctx: ProtocolContext, job: JobRef): Promise<Readable> {
  const version = job.run.configurationVersionId ? await configurationVersionStore.findById(ctx.db, job.run.configurationVersionId) : undefined;
  const content = version?.blobKey ? await ctx.blobs.get(version.blobKey) : undefined;
  if (!content) throw new NotFoundError('the run has no uploaded configuration version');
  return content;
}

/** What the plan left for the apply: the saved plan and the provider lock file. */
export async function artifact(ctx: ProtocolContext, job: JobRef, name: ArtifactName): Promise<Readable> {
  const plan = await phaseStore.findPlan(ctx.db, { runId: job.run.id });
  // The plan file's key as the plan recorded it: one saved before plans were sealed is a plain blob.
  const key = plan && (name === 'plan-file' ? plan.planFileBlobKey : name === 'lock-file' ? artifactKey(plan.id, name) : null);
  const content = key ? await getBlob(ctx.blobs, ctx.config, key) : undefined;
  if (!content) throw new NotFoundError(`the ${name} of this run is missing`);
  return content;
}

/** The phase ended: its log becomes a blob, then the run moves on (and the job token dies with the phase). */
export async function finish(ctx: ProtocolContext, job: JobRef, result: FinishRequest): Promise<void> {
  if (result.outcome === 'tested') throw new ConflictError(`a ${job.phase} cannot end tested`);
  // A plan its agent gave up at shutdown is planned again by the next agent, with a log of its own.
  const replanned = result.outcome === 'interrupted' && job.phase === 'plan';
  if (!replanned) await storePhaseLog(ctx, job.phase === 'plan' ? 'plans' : 'applies', job.phaseId);
  switch (result.outcome) {
    case 'planned': {
      if (job.phase !== 'plan') throw new ConflictError('an apply cannot end planned');
      await planOutputStore.setArtifacts(ctx.db, job.phaseId, {
        planFileBlobKey: artifactKey(job.phaseId, 'plan-file'),
        jsonBlobKey: artifactKey(job.phaseId, 'plan-json'),
        redactedJsonBlobKey: artifactKey(job.phaseId, 'plan-redacted-json'),
        providerSchemasBlobKey: artifactKey(job.phaseId, 'provider-schemas'),
      });
      await runnerService.finishPlan(ctx, job.run.id, { hasChanges: result.hasChanges, counts: result.counts });
      break;
    }
    case 'applied':
      if (job.phase !== 'apply') throw new ConflictError('a plan cannot end applied');
      await runnerService.finishApply(ctx, job.run.id, { counts: result.counts });
      break;
    case 'failed':
      await runnerService.failPhase(ctx, job.run.id, result.reason);
      break;
    case 'interrupted':
      if (replanned) await runnerService.requeuePlan(ctx, job.run.id, result.reason);
      else await runnerService.failPhase(ctx, job.run.id, result.reason);
      break;
    case 'canceled':
      await runnerService.finishCanceled(ctx, job.run.id);
      break;
  }
  if (job.run.agentId) await agentStore.ping(ctx.db, job.run.agentId, 'idle');
}
