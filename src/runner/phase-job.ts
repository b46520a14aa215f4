import { arch, platform } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { join, posix, relative, resolve } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config.js';
import { extractLimits } from '../configuration-versions/upload-service.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import type { Log } from '../context.js';
import type { Db } from '../db/database.js';
import * as projectStore from '../projects/store.js';
import { variablesOf } from '../runs/service.js';
import type { Run } from '../runs/store.js';
import { effectiveVariables } from '../variable-sets/effective-service.js';
import * as workspaceStore from '../workspaces/store.js';
import { ArchiveError, extractConfiguration } from './extract.js';
import type { PhaseLog } from './phase-log.js';
import * as runToken from './run-token.js';
import { sweepLeftoverProcesses, type UidPool } from './run-uids.js';
import { type Isolation, usesRunUid } from './sandbox.js';
import { runTerraform, type TerraformSandbox } from './terraform-process.js';
import { satisfies } from './terraform-version.js';
import { copyCaCertificate, createWorkdir, handOver, hclString, type RunWorkdir, runEnvironment, writeCliConfig, writeTerraformVariables } from './workdir.js';

/**
 * One phase of one run, set up: its private directory with the configuration, the backend pointed
 * back at Terrace, the per-run token, the variables and the environment; and how to run terraform in
 * it. The plan and apply steps themselves are in phases.ts.
 */

export interface RunnerDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly config: Config;
  readonly log: Log;
  readonly now: () => Date;
  /** The CA of Terrace's generated certificate, for the run's terraform to trust; none with a configured certificate. */
  readonly caFile: string | undefined;
}

export interface TerraformInstall {
  binary: string;
  version: string;
}

/** A reason the phase failed, for the run's log and event. */
export class PhaseFailure extends Error {}

/** The phase stopped because it was asked to (cancel, shutdown, a lost claim). */
export class PhaseStopped extends Error {}

export interface PhaseJob {
  readonly deps: RunnerDeps;
  readonly terraform: TerraformInstall;
  readonly run: Run;
  readonly phase: 'plan' | 'apply';
  readonly planId: string;
  readonly log: PhaseLog;
  readonly signal: AbortSignal;
  /** When the phase's time limit is up (epoch ms). */
  readonly deadline: number;
  readonly workdir: RunWorkdir;
  /** Where terraform runs: the configuration's `working-directory`. */
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly varsFile: string;
  /** JSON log lines, which the CLI renders (cli-protocol.md §6.5); plain text otherwise. */
  readonly json: boolean;
  /** Whether the run holds its workspace's lock: speculative plans and saved plans do not, and must not lock. */
  readonly holdsLock: boolean;
  /** How its terraform is isolated, and under which uid. */
  readonly sandbox: TerraformSandbox;
}

/** The file that points the configuration's backend at the run's workspace; an override replaces any `backend` or `cloud` block. */
export const BACKEND_OVERRIDE_FILE = 'zzz_terrace_override.tf';

function backendOverride(hostname: string, organization: string, workspace: string): string {
  return `# Written by Terrace: this run keeps its state in workspace ${organization}/${workspace}.
terraform {
  cloud {
    hostname     = ${hclString(hostname)}
    organization = ${hclString(organization)}
    workspaces {
      name = ${hclString(workspace)}
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

export function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new PhaseStopped('stopped');
}

/** The directory terraform runs in: `working-directory` inside the configuration, which must exist there. */
function workingDirectory(configDir: string, workingDir: string): string {
  const normalized = posix.normalize(workingDir.replaceAll('\\', '/')).replace(/^\/+|\/+$/g, '');
  const dir = resolve(configDir, normalized === '.' ? '' : normalized);
  if (relative(configDir, dir).startsWith('..')) throw new PhaseFailure(`the working directory ${JSON.stringify(workingDir)} is outside the configuration`);
  return dir;
}

async function extract(deps: RunnerDeps, run: Run, destination: string): Promise<void> {
  const version = run.configurationVersionId ? await configurationVersionStore.findById(deps.db, run.configurationVersionId) : undefined;
  if (!version?.blobKey) throw new PhaseFailure('the run has no uploaded configuration version');
  const source = await deps.blobs.get(version.blobKey);
  if (!source) throw new PhaseFailure(`the files of configuration version ${version.id} are missing`);
  try {
    await extractConfiguration(source, destination, extractLimits(deps.config));
  } catch (err) {
    if (err instanceof ArchiveError) throw new PhaseFailure(`configuration version ${version.id} cannot be extracted: ${err.message}`);
    throw err;
  } finally {
    source.destroy();
  }
}

export interface PhaseSetup {
  deps: RunnerDeps;
  terraform: TerraformInstall;
  run: Run;
  phase: 'plan' | 'apply';
  planId: string;
  log: PhaseLog;
  signal: AbortSignal;
  isolation: Isolation;
  /** Where the phase's uid comes from, in the isolation modes with a run uid. */
  uids: UidPool;
}

/**
 * Sets the phase up and runs `work` in it; the token and the directory are gone afterwards, whatever
 * happens. Secrets are registered with the log's redactor before terraform can print them.
 */
export async function withPhaseJob<T>(setup: PhaseSetup, work: (job: PhaseJob) => Promise<T>): Promise<T> {
  const { deps, run, log } = setup;
  const timeoutMs = setup.phase === 'plan' ? deps.config.planTimeoutMs : deps.config.applyTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  const workspace = await workspaceStore.findById(deps.db, run.workspaceId);
  const project = workspace && (await projectStore.findById(deps.db, workspace.projectId));
  if (!workspace || !project) throw new PhaseFailure(`workspace ${run.workspaceId} no longer exists`);
  const wanted = run.terraformVersion ?? workspace.terraformVersion;
  if (!satisfies(setup.terraform.version, wanted)) {
    throw new PhaseFailure(`this run needs Terraform ${wanted}, and this server has Terraform ${setup.terraform.version} (TERRACE_TERRAFORM_BINARY)`);
  }

  const workdir = await createWorkdir(deps.config.runDir, run.id);
  const uid = usesRunUid(setup.isolation) ? setup.uids.acquire() : undefined;
  let token: runToken.RunToken | undefined;
  try {
    throwIfStopped(setup.signal);
    await extract(deps, run, workdir.configDir);
    const dir = workingDirectory(workdir.configDir, workspace.workingDirectory);
    await writeFile(join(dir, BACKEND_OVERRIDE_FILE), backendOverride(deps.config.hostname, workspace.organizationName, workspace.name)).catch(
      (err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? new PhaseFailure(`the working directory ${JSON.stringify(workspace.workingDirectory)} is not in the configuration`) : err;
      },
    );

    const variables = await effectiveVariables(deps, workspace.id, variablesOf(deps, run));
    token = await runToken.create(deps.db, run, new Date(deadline + 3600_000));
    log.redactor.add([token.secret, ...variables.filter((v) => v.sensitive).map((v) => v.value)]);
    const cliConfigFile = await writeCliConfig(workdir, deps.config.hostname, token.secret);
    const varsFile = await writeTerraformVariables(workdir, variables);
    const env = runEnvironment({
      workdir,
      variables,
      run: { id: run.id, workspaceName: workspace.name, organizationName: workspace.organizationName, projectName: project.name },
      hostname: deps.config.hostname,
      token: token.secret,
      cliConfigFile,
      caFile: deps.caFile && (await copyCaCertificate(workdir, deps.caFile)),
      debugging: run.debuggingMode,
    });
    // Terraform runs the operation here with the state in Terrace (cli-protocol.md §4.4), instead of starting another remote run.
    env.TF_FORCE_LOCAL_BACKEND = '1';
    if (uid !== undefined) await handOver(workdir, uid);
    throwIfStopped(setup.signal);
    return await work({
      ...setup,
      deadline,
      workdir,
      dir,
      env,
      varsFile,
      json: workspace.structuredRunOutputEnabled,
      holdsLock: workspace.lockedBy?.kind === 'runs' && workspace.lockedBy.id === run.id,
      sandbox: { isolation: setup.isolation, uid, runDir: workdir.root },
    });
  } finally {
    if (token) await runToken.revoke(deps.db, token);
    await workdir.remove();
    if (uid !== undefined) {
      // A process that left terraform's group (setsid) would otherwise see the uid's next phase; in the bwrap modes it died with the namespace.
      if (setup.isolation.mode === 'uid') await sweepLeftoverProcesses({ first: uid, last: uid });
      setup.uids.release(uid);
    }
  }
}

function duration(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}

export interface TerraformCommand {
  /** `log` (default): output to the log as it comes; `stdout`: return stdout (a document), stderr to the log; `quiet`: log the output only if the command fails. */
  output?: 'log' | 'stdout' | 'quiet';
  /** Sees every chunk of output as well. */
  tap?: (chunk: Buffer) => void;
}

/** Runs one terraform command of the phase; a failure, a stop or the time limit is thrown. */
export async function terraform(job: PhaseJob, args: readonly string[], command: TerraformCommand = {}): Promise<Buffer> {
  throwIfStopped(job.signal);
  const output = command.output ?? 'log';
  const captured: Buffer[] = [];
  const toLog = (chunk: Buffer) => {
    command.tap?.(chunk);
    job.log.write(chunk);
  };
  const exit = await runTerraform({
    binary: job.terraform.binary,
    args,
    cwd: job.dir,
    env: job.env,
    timeoutMs: Math.max(job.deadline - Date.now(), 1),
    signal: job.signal,
    onOutput: output === 'log' ? toLog : (chunk) => captured.push(chunk),
    ...(output === 'stdout' ? { onStderr: toLog } : {}),
    sandbox: job.sandbox,
  });
  if (exit.canceled) throw new PhaseStopped('stopped');
  const limit = job.phase === 'plan' ? job.deps.config.planTimeoutMs : job.deps.config.applyTimeoutMs;
  if (exit.timedOut) throw new PhaseFailure(`the ${job.phase} took longer than its time limit of ${duration(limit)}`);
  if (exit.exitCode !== 0) {
    if (output === 'quiet') job.log.write(Buffer.concat(captured));
    const how = exit.exitCode === null ? `was stopped by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    throw new PhaseFailure(`terraform ${args[0]} ${how}`);
  }
  return Buffer.concat(captured);
}
