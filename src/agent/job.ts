import { access, rm, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sweepLeftoverProcesses } from '../runner/run-uids.js';
import { satisfies } from '../runner/terraform-version.js';
import { createRunFile, createWorkdir, hclString, openRunFile, type RunWorkdir, sshFiles, writeSshKey } from '../runner/workdir.js';
import { countChanges, hasChanges, type ProviderSchemas, redactedPlan, type ShowPlan } from '../runs/plan-json.js';
import { ProtocolError } from './client.js';
import {
  diagnosticLine,
  fetchConfiguration,
  type JobEnvironment,
  jobPath,
  PhaseFailure,
  PhaseStopped,
  type PreparedJob,
  prepareJob,
  Tail,
  terraform,
  throwIfStopped,
} from './job-steps.js';
import { prepareTest, test } from './test-job.js';
import { JobLog } from './job-log.js';
import type { AnyJob, ArtifactName, FinishRequest, Job, ResourceCounts } from './protocol.js';

/**
 * One job on an agent: one phase of one run (concepts/run/remote-operations.mdx), in a private
 * directory with the configuration, the backend pointed back at Terrace with the job token, the
 * variables and the environment. The plan sends its plan file, JSON forms and provider lock file to
 * the server; the apply fetches them and applies the saved plan in a fresh directory.
 */

/** The file that points the configuration's backend at the run's workspace; an override replaces any `backend` or `cloud` block. */
export const BACKEND_OVERRIDE_FILE = 'zzz_terrace_override.tf';
const PLAN_FILE = 'plan.tfplan';
const LOCK_FILE = '.terraform.lock.hcl';
const ERRORED_STATE_FILE = 'errored.tfstate';

function backendOverride(job: Job): string {
  return `# Written by Terrace: this run keeps its state in workspace ${job.organizationName}/${job.workspaceName}.
terraform {
  cloud {
    hostname     = ${hclString(job.hostname)}
    organization = ${hclString(job.organizationName)}
    workspaces {
      name = ${hclString(job.workspaceName)}
    }
  }
}
`;
}

/** The first lines of a phase's log, as HCP Terraform's workers write them; the CLI drops 3 lines of every apply log (cli-protocol.md §6.4). */
export function banner(version: string): string {
  const machine = arch() === 'x64' ? 'amd64' : arch();
  return `Terraform v${version}\non ${platform()}_${machine}\nInitializing plugins and modules...\n`;
}

/** The directory terraform runs in: `working-directory` inside the configuration. */
function workingDirectory(configDir: string, workingDir: string): string {
  const normalized = posix.normalize(workingDir.replaceAll('\\', '/')).replace(/^\/+|\/+$/g, '');
  const dir = resolve(configDir, normalized === '.' ? '' : normalized);
  if (relative(configDir, dir).startsWith('..')) throw new PhaseFailure(`the working directory ${JSON.stringify(workingDir)} is outside the configuration`);
  return dir;
}

async function download(prepared: PreparedJob<Job>, rest: string, path: string, optional = false): Promise<boolean> {
  const { env, job, signal } = prepared;
  let content: Readable;
  try {
    content = await env.client.stream({ path: jobPath(job, rest), token: job.token, signal });
  } catch (err) {
    if (optional && err instanceof ProtocolError && err.status === 404) return false;
    throw err;
  }
  // After terraform ran there, the run's directory is the run's: never write through a link it left.
  await pipeline(content, await createRunFile(path, prepared.sandbox.uid));
  return true;
}

async function upload(prepared: PreparedJob<Job>, name: ArtifactName, body: Buffer | (() => Readable)): Promise<void> {
  const { env, job, signal } = prepared;
  const response = await env.client.send({ method: 'PUT', path: jobPath(job, `artifacts/${name}`), token: job.token, body, signal });
  await response.body.dump();
}

async function prepare(env: JobEnvironment, job: Job, log: JobLog, signal: AbortSignal, workdir: RunWorkdir): Promise<PreparedJob<Job>> {
  if (!satisfies(env.terraform.version, job.terraformVersion)) {
    throw new PhaseFailure(`this run needs Terraform ${job.terraformVersion}, and this agent has Terraform ${env.terraform.version}`);
  }
  const deadline = Date.now() + job.timeoutMs;
  await fetchConfiguration(env, job, signal, workdir.configDir);
  const dir = workingDirectory(workdir.configDir, job.workingDirectory);
  await writeFile(join(dir, BACKEND_OVERRIDE_FILE), backendOverride(job)).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new PhaseFailure(`the working directory ${JSON.stringify(job.workingDirectory)} is not in the configuration`) : err;
  });
  const sshKeyFile = job.sshKey === null ? undefined : await writeSshKey(workdir, job.sshKey);
  const run = { id: job.runId, workspaceName: job.workspaceName, organizationName: job.organizationName, projectName: job.projectName };
  const prepared = await prepareJob({ job, env, log, signal, deadline, workdir, dir }, { run, debugging: job.debugging, sshKeyFile });
  // Terraform runs the operation here with the state in Terrace (cli-protocol.md §4.4), instead of starting another remote run.
  prepared.processEnv.TF_FORCE_LOCAL_BACKEND = '1';
  return prepared;
}

/** `-json` for structured output (the CLI renders it, cli-protocol.md §6.5), else plain text without colours. */
function outputFlag(job: Job): string {
  return job.json ? '-json' : '-no-color';
}

async function init(prepared: PreparedJob<Job>): Promise<void> {
  try {
    // Its output only matters when it fails: HCP Terraform's logs show the banner instead.
    await terraform(prepared, ['init', '-input=false', '-no-color'], { output: 'quiet' });
  } finally {
    // The modules are cloned: the configuration's own code (plan and apply) never meets the SSH key.
    await rm(sshFiles(prepared.workdir).key, { force: true });
  }
}

/** The run's plan options (run.mdx "Create a Run") as `terraform plan` flags. */
function planFlags(job: Job): string[] {
  const { plan } = job;
  return [
    ...(plan.isDestroy ? ['-destroy'] : []),
    ...(plan.refreshOnly ? ['-refresh-only'] : []),
    ...(plan.refresh ? [] : ['-refresh=false']),
    ...plan.targetAddrs.map((address) => `-target=${address}`),
    ...plan.replaceAddrs.map((address) => `-replace=${address}`),
    // A run that does not hold the workspace (speculative, saved plan) must not take its lock.
    ...(job.holdsLock ? [] : ['-lock=false']),
  ];
}

function parseJson<T>(content: Buffer, what: string): T {
  try {
    return JSON.parse(content.toString('utf8')) as T;
  } catch (err) {
    throw new PhaseFailure(`terraform printed no valid ${what}: ${(err as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function plan(prepared: PreparedJob<Job>): Promise<FinishRequest> {
  const { job, log } = prepared;
  if (!job.json) log.write(banner(prepared.env.terraform.version));
  await init(prepared);
  const planFile = join(prepared.workdir.root, PLAN_FILE);
  await terraform(prepared, [
    'plan',
    '-input=false',
    outputFlag(job),
    `-out=${planFile}`,
    ...prepared.varsFiles.map((file) => `-var-file=${file}`),
    ...planFlags(job),
  ]);
  const shownJson = await terraform(prepared, ['show', '-json', planFile], { output: 'stdout' });
  const shown = parseJson<ShowPlan>(shownJson, 'JSON plan');
  const schemasJson = await terraform(prepared, ['providers', 'schema', '-json'], { output: 'stdout' });
  const schemas = parseJson<ProviderSchemas>(schemasJson, 'provider schemas');

  // Read back only what really is a file of the run's directory: the run may have left links there.
  const planFileContent = await openRunFile(prepared.workdir, planFile);
  await upload(prepared, 'plan-file', () => planFileContent);
  await upload(prepared, 'plan-json', shownJson);
  await upload(prepared, 'plan-redacted-json', Buffer.from(JSON.stringify(redactedPlan(shown, schemas))));
  await upload(prepared, 'provider-schemas', schemasJson);
  // The apply installs exactly the providers the plan used (the plan file records their checksums).
  const lockFile = join(prepared.dir, LOCK_FILE);
  if (await exists(lockFile)) {
    const lockFileContent = await openRunFile(prepared.workdir, lockFile);
    await upload(prepared, 'lock-file', () => lockFileContent);
  }
  return { outcome: 'planned', hasChanges: hasChanges(shown, job.plan.refreshOnly), counts: countChanges(shown) };
}

/** What the apply did: its `change_summary` line (JSON) or "Apply complete! Resources: …" (text). */
function applyCounts(tail: Tail, json: boolean): ResourceCounts {
  for (const line of tail.lines()) {
    if (json && line.includes('"change_summary"')) {
      try {
        const { changes } = JSON.parse(line) as { changes?: { add?: number; change?: number; remove?: number; import?: number } };
        if (changes) return { additions: changes.add ?? 0, changes: changes.change ?? 0, destructions: changes.remove ?? 0, imports: changes.import ?? 0 };
      } catch {
        // Not the summary after all: keep looking.
      }
    }
    if (!json && line.includes('Resources:')) {
      const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
      return { additions: count('added'), changes: count('changed'), destructions: count('destroyed'), imports: count('imported') };
    }
  }
  return { additions: 0, changes: 0, destructions: 0, imports: 0 };
}

async function apply(prepared: PreparedJob<Job>): Promise<FinishRequest> {
  const { job, log } = prepared;
  log.write(banner(prepared.env.terraform.version));
  await download(prepared, 'artifacts/lock-file', join(prepared.dir, LOCK_FILE), true);
  await init(prepared);
  const planFile = join(prepared.workdir.root, PLAN_FILE);
  if (!(await download(prepared, 'artifacts/plan-file', planFile, true))) throw new PhaseFailure('the saved plan of this run is missing');
  const tail = new Tail();
  try {
    // A saved plan carries its variables: no -var-file here.
    await terraform(prepared, ['apply', '-input=false', outputFlag(job), ...(job.holdsLock ? [] : ['-lock=false']), planFile], {
      tap: (chunk) => tail.add(chunk),
    });
  } catch (err) {
    await keepErroredState(prepared);
    throw err;
  }
  return { outcome: 'applied', counts: applyCounts(tail, job.json) };
}

/**
 * Terraform writes the state it could not upload to `errored.tfstate` in its directory, which goes when
 * the phase ends: the server keeps it for `GET /applies/:id/errored-state` (applies.mdx). A failed
 * upload is reported in the log, and the apply fails for its own reason.
 */
async function keepErroredState(prepared: PreparedJob<Job>): Promise<void> {
  const { job, log } = prepared;
  const path = join(prepared.dir, ERRORED_STATE_FILE);
  if (!(await exists(path))) return;
  const warn = (message: string) => log.line(job.json ? diagnosticLine('warning', message) : `Warning: ${message}`);
  try {
    const content = await openRunFile(prepared.workdir, path);
    await upload(prepared, 'errored-state', () => content);
    warn("The state terraform could not upload is kept as this apply's errored state (GET /api/v2/applies/:id/errored-state).");
  } catch (err) {
    warn(`The state terraform could not upload (${ERRORED_STATE_FILE}) could not be kept either: ${(err as Error).message}`);
  }
}

/** Why the agent stopped a job it was not asked to finish. */
export type StopReason = 'canceled' | 'lost' | 'shutdown';

/**
 * Runs the job to its end and reports it: the outcome of the phase, a failure with its reason, or a
 * cancel. The directory is gone afterwards, whatever happened. `stopReason` says why `signal` fired.
 */
export async function runJob(
  env: JobEnvironment,
  job: AnyJob,
  signal: AbortSignal,
  stopReason: () => StopReason | undefined,
  warn: (message: string) => void,
): Promise<void> {
  const log = new JobLog(env.client, jobPath(job, 'logs'), job.token);
  // Secrets are known to the redactor before terraform can print them (the SSH key's lines each, too: redact.ts).
  const sshKey = job.kind === 'run' ? job.sshKey : null;
  log.redactor.add([job.token, ...job.variables.filter((v) => v.sensitive).map((v) => v.value), ...(sshKey === null ? [] : [sshKey])]);
  // A test's output is always terraform's JSON (`terraform test -cloud-run` renders it).
  const json = job.kind === 'test' || job.json;
  let result: FinishRequest;
  const workdir = await createWorkdir(env.workDir, job.runId);
  try {
    throwIfStopped(signal);
    if (job.kind === 'test') result = await test(await prepareTest(env, job, log, signal, workdir));
    else {
      const prepared = await prepare(env, job, log, signal, workdir);
      result = job.phase === 'plan' ? await plan(prepared) : await apply(prepared);
    }
  } catch (err) {
    const why = stopReason();
    if (err instanceof PhaseStopped || (signal.aborted && why)) {
      result =
        why === 'canceled'
          ? { outcome: 'canceled' }
          : why === 'shutdown'
            ? { outcome: 'interrupted', reason: `the agent stopped during the ${job.phase}` }
            : { outcome: 'failed', reason: `the run was taken away from this agent during the ${job.phase}` };
    } else if (err instanceof PhaseFailure) result = { outcome: 'failed', reason: err.message };
    else {
      warn(`job ${job.runId}/${job.phase}: internal error: ${(err as Error).stack ?? String(err)}`);
      result = { outcome: 'failed', reason: `internal error: ${err instanceof Error ? err.message : String(err)}` };
    }
  } finally {
    await workdir.remove();
    // Under a bare uid, what left terraform's process group (setsid) would meet the uid's next phase;
    // in the bwrap modes it died with the namespace.
    if (env.isolation.mode === 'uid' && env.runUid !== undefined) await sweepLeftoverProcesses({ first: env.runUid, last: env.runUid });
  }
  // An interrupted plan's log goes (the plan runs again); an interrupted apply errors its run.
  if (result.outcome === 'failed' || (result.outcome === 'interrupted' && job.phase === 'apply')) {
    log.line(json ? diagnosticLine('error', result.reason) : `Error: ${result.reason}`);
  }
  if (result.outcome === 'canceled') log.line(json ? diagnosticLine('warning', 'The run was canceled') : 'The run was canceled.');
  try {
    // The log is complete before the phase ends: a reader that sees the phase done finds all of it.
    await log.close();
    await env.client.send({ method: 'POST', path: jobPath(job, 'finish'), token: job.token, json: result }).then((r) => r.body.dump());
  } catch (err) {
    if (err instanceof ProtocolError && err.gone) warn(`job ${job.runId}/${job.phase} had already ended on the server: ${err.message}`);
    else throw err;
  }
}
