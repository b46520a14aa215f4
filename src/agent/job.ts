import { access, rm, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveError, extractConfiguration } from '../runner/extract.js';
import { sweepLeftoverProcesses } from '../runner/run-uids.js';
import { type Isolation, usesBwrap, usesRunUid } from '../runner/sandbox.js';
import { runTerraform, type TerraformSandbox } from '../runner/terraform-process.js';
import { satisfies } from '../runner/terraform-version.js';
import {
  createRunFile,
  createWorkdir,
  handOver,
  hclString,
  openRunFile,
  type RunWorkdir,
  runEnvironment,
  sshFiles,
  writeCliConfig,
  writeRunPasswd,
  writeSshKey,
  writeTerraformVariables,
} from '../runner/workdir.js';
import { countChanges, hasChanges, type ProviderSchemas, redactedPlan, type ShowPlan } from '../runs/plan-json.js';
import { type AgentClient, ProtocolError } from './client.js';
import { JobLog } from './job-log.js';
import type { ArtifactName, FinishRequest, Job, ResourceCounts } from './protocol.js';

/**
 * One job on an agent: one phase of one run (concepts/run/remote-operations.mdx), in a private
 * directory with the configuration, the backend pointed back at Terrace with the job token, the
 * variables and the environment. The plan sends its plan file, JSON forms and provider lock file to
 * the server; the apply fetches them and applies the saved plan in a fresh directory.
 */

export interface TerraformInstall {
  binary: string;
  version: string;
}

/** Where and how the agent runs terraform. */
export interface JobEnvironment {
  client: AgentClient;
  terraform: TerraformInstall;
  /** The directory run directories are created in. */
  workDir: string;
  isolation: Isolation;
  /** The uid terraform runs under, in the isolation modes that use one. */
  runUid?: number | undefined;
}

/** A reason the phase failed, for the run's log and event. */
export class PhaseFailure extends Error {}

/** The phase stopped because it was asked to (cancel, shutdown, the job taken away). */
export class PhaseStopped extends Error {}

/** The file that points the configuration's backend at the run's workspace; an override replaces any `backend` or `cloud` block. */
export const BACKEND_OVERRIDE_FILE = 'zzz_terrace_override.tf';
const PLAN_FILE = 'plan.tfplan';
const LOCK_FILE = '.terraform.lock.hcl';
const ERRORED_STATE_FILE = 'errored.tfstate';
const CA_FILE = 'ca.pem';

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

function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new PhaseStopped('stopped');
}

/** The directory terraform runs in: `working-directory` inside the configuration. */
function workingDirectory(configDir: string, workingDir: string): string {
  const normalized = posix.normalize(workingDir.replaceAll('\\', '/')).replace(/^\/+|\/+$/g, '');
  const dir = resolve(configDir, normalized === '.' ? '' : normalized);
  if (relative(configDir, dir).startsWith('..')) throw new PhaseFailure(`the working directory ${JSON.stringify(workingDir)} is outside the configuration`);
  return dir;
}

/** A job set up in its directory. */
interface PreparedJob {
  job: Job;
  env: JobEnvironment;
  log: JobLog;
  signal: AbortSignal;
  deadline: number;
  workdir: RunWorkdir;
  dir: string;
  processEnv: Record<string, string>;
  varsFiles: string[];
  sandbox: TerraformSandbox;
}

function jobPath(job: Job, rest: string): string {
  return `/jobs/${job.runId}/${job.phase}/${rest}`;
}

async function download(prepared: PreparedJob, rest: string, path: string, optional = false): Promise<boolean> {
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

async function upload(prepared: PreparedJob, name: ArtifactName, body: Buffer | (() => Readable)): Promise<void> {
  const { env, job, signal } = prepared;
  const response = await env.client.send({ method: 'PUT', path: jobPath(job, `artifacts/${name}`), token: job.token, body, signal });
  await response.body.dump();
}

async function prepare(env: JobEnvironment, job: Job, log: JobLog, signal: AbortSignal, workdir: RunWorkdir): Promise<PreparedJob> {
  if (!satisfies(env.terraform.version, job.terraformVersion)) {
    throw new PhaseFailure(`this run needs Terraform ${job.terraformVersion}, and this agent has Terraform ${env.terraform.version}`);
  }
  const deadline = Date.now() + job.timeoutMs;
  const source = await env.client.stream({ path: jobPath(job, 'configuration'), token: job.token, signal });
  try {
    await extractConfiguration(source, workdir.configDir, job.archiveLimits);
  } catch (err) {
    if (err instanceof ArchiveError) throw new PhaseFailure(`the configuration version cannot be extracted: ${err.message}`);
    throw err;
  } finally {
    source.destroy();
  }
  const dir = workingDirectory(workdir.configDir, job.workingDirectory);
  await writeFile(join(dir, BACKEND_OVERRIDE_FILE), backendOverride(job)).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new PhaseFailure(`the working directory ${JSON.stringify(job.workingDirectory)} is not in the configuration`) : err;
  });
  const cliConfigFile = await writeCliConfig(workdir, job.hostname, job.token);
  const varsFiles = await writeTerraformVariables(workdir, job.variables);
  let caFile: string | undefined;
  if (job.caCertificate) {
    caFile = join(workdir.root, CA_FILE);
    await writeFile(caFile, job.caCertificate, { mode: 0o644 });
  }
  const sshKeyFile = job.sshKey === null ? undefined : await writeSshKey(workdir, job.sshKey);
  const processEnv = runEnvironment({
    workdir,
    variables: job.variables,
    run: { id: job.runId, workspaceName: job.workspaceName, organizationName: job.organizationName, projectName: job.projectName },
    hostname: job.hostname,
    token: job.token,
    cliConfigFile,
    caFile,
    debugging: job.debugging,
    sshKeyFile,
  });
  // Terraform runs the operation here with the state in Terrace (cli-protocol.md §4.4), instead of starting another remote run.
  processEnv.TF_FORCE_LOCAL_BACKEND = '1';
  const uid = usesRunUid(env.isolation) ? env.runUid : undefined;
  if (usesRunUid(env.isolation) && uid === undefined) throw new Error(`isolation ${env.isolation.mode} needs a run uid`);
  // ssh needs a passwd entry for the uid it runs as; only the bwrap modes can show it one.
  const passwdFile = sshKeyFile !== undefined && uid !== undefined && usesBwrap(env.isolation) ? await writeRunPasswd(workdir, uid) : undefined;
  if (uid !== undefined) await handOver(workdir, uid);
  return {
    job,
    env,
    log,
    signal,
    deadline,
    workdir,
    dir,
    processEnv,
    varsFiles,
    sandbox: { isolation: env.isolation, uid, runDir: workdir.root, passwdFile },
  };
}

interface TerraformCommand {
  /** `log` (default): output to the log as it comes; `stdout`: return stdout (a document), stderr to the log; `quiet`: log the output only if the command fails. */
  output?: 'log' | 'stdout' | 'quiet';
  /** Sees every chunk of output as well. */
  tap?: (chunk: Buffer) => void;
}

function duration(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}

/** Runs one terraform command of the phase; a failure, a stop or the time limit is thrown. */
async function terraform(prepared: PreparedJob, args: readonly string[], command: TerraformCommand = {}): Promise<Buffer> {
  const { job, log, signal } = prepared;
  throwIfStopped(signal);
  const output = command.output ?? 'log';
  const captured: Buffer[] = [];
  const toLog = (chunk: Buffer) => {
    command.tap?.(chunk);
    log.write(chunk);
  };
  const exit = await runTerraform({
    binary: prepared.env.terraform.binary,
    args,
    cwd: prepared.dir,
    env: prepared.processEnv,
    timeoutMs: Math.max(prepared.deadline - Date.now(), 1),
    signal,
    onOutput: output === 'log' ? toLog : (chunk) => captured.push(chunk),
    ...(output === 'stdout' ? { onStderr: toLog } : {}),
    sandbox: prepared.sandbox,
  });
  if (exit.canceled) throw new PhaseStopped('stopped');
  if (exit.timedOut) throw new PhaseFailure(`the ${job.phase} took longer than its time limit of ${duration(job.timeoutMs)}`);
  if (exit.exitCode !== 0) {
    if (output === 'quiet') log.write(Buffer.concat(captured));
    const how = exit.exitCode === null ? `was stopped by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    throw new PhaseFailure(`terraform ${args[0]} ${how}`);
  }
  return Buffer.concat(captured);
}

/** `-json` for structured output (the CLI renders it, cli-protocol.md §6.5), else plain text without colours. */
function outputFlag(job: Job): string {
  return job.json ? '-json' : '-no-color';
}

async function init(prepared: PreparedJob): Promise<void> {
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

async function plan(prepared: PreparedJob): Promise<FinishRequest> {
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

/** The last complete lines of output, where the apply's summary is. */
class Tail {
  private text = '';
  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-16_384);
  }
  lines(): string[] {
    return this.text.split('\n').reverse();
  }
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

async function apply(prepared: PreparedJob): Promise<FinishRequest> {
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
async function keepErroredState(prepared: PreparedJob): Promise<void> {
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

/** A diagnostic in terraform's `-json` form, which the CLI renders like its own. */
function diagnosticLine(severity: 'error' | 'warning', summary: string): string {
  return JSON.stringify({
    '@level': severity,
    '@message': `${severity === 'error' ? 'Error' : 'Warning'}: ${summary}`,
    '@module': 'terrace',
    '@timestamp': new Date().toISOString(),
    diagnostic: { severity, summary, detail: '' },
    type: 'diagnostic',
  });
}

/**
 * Runs the job to its end and reports it: the outcome of the phase, a failure with its reason, or a
 * cancel. The directory is gone afterwards, whatever happened. `stopReason` says why `signal` fired.
 */
export async function runJob(
  env: JobEnvironment,
  job: Job,
  signal: AbortSignal,
  stopReason: () => StopReason | undefined,
  warn: (message: string) => void,
): Promise<void> {
  const log = new JobLog(env.client, jobPath(job, 'logs'), job.token);
  // Secrets are known to the redactor before terraform can print them (the SSH key's lines each, too: redact.ts).
  log.redactor.add([job.token, ...job.variables.filter((v) => v.sensitive).map((v) => v.value), ...(job.sshKey === null ? [] : [job.sshKey])]);
  let result: FinishRequest;
  const workdir = await createWorkdir(env.workDir, job.runId);
  try {
    throwIfStopped(signal);
    const prepared = await prepare(env, job, log, signal, workdir);
    result = job.phase === 'plan' ? await plan(prepared) : await apply(prepared);
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
    log.line(job.json ? diagnosticLine('error', result.reason) : `Error: ${result.reason}`);
  }
  if (result.outcome === 'canceled') log.line(job.json ? diagnosticLine('warning', 'The run was canceled') : 'The run was canceled.');
  try {
    // The log is complete before the phase ends: a reader that sees the phase done finds all of it.
    await log.close();
    await env.client.send({ method: 'POST', path: jobPath(job, 'finish'), token: job.token, json: result }).then((r) => r.body.dump());
  } catch (err) {
    if (err instanceof ProtocolError && err.gone) warn(`job ${job.runId}/${job.phase} had already ended on the server: ${err.message}`);
    else throw err;
  }
}
