import type { JobLog } from './job-log.js';
import type { Isolation } from '../runner/sandbox.js';
import type { AgentClient } from './client.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ArchiveError, extractConfiguration } from '../runner/extract.js';
import { usesBwrap, usesRunUid } from '../runner/sandbox.js';
import type { AnyJob } from './protocol.js';
import { runTerraform, type TerraformSandbox } from '../runner/terraform-process.js';
import {
  handOver,
  type RunEnvironmentInput,
  type RunWorkdir,
  runEnvironment,
  writeCliConfig,
  writeRunPasswd,
  writeTerraformVariables,
} from '../runner/workdir.js';

/**
 * What every kind of job does with terraform in its directory (a run's phase, agent/job.ts; a module
 * test, agent/test-job.ts): one command at a time, within the job's time limit, stopped on request.
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

export function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new PhaseStopped('stopped');
}

/** A job set up in its directory. */
export interface PreparedJob<J extends AnyJob = AnyJob> {
  job: J;
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

export interface TerraformCommand {
  /** `log` (default): output to the log as it comes; `stdout`: return stdout (a document), stderr to the log; `quiet`: log the output only if the command fails. */
  output?: 'log' | 'stdout' | 'quiet';
  /** Sees every chunk of output as well. */
  tap?: (chunk: Buffer) => void;
}

function duration(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}

/** Runs one terraform command of the phase; a failure, a stop or the time limit is thrown. */
export async function terraform(prepared: PreparedJob, args: readonly string[], command: TerraformCommand = {}): Promise<Buffer> {
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

/** A diagnostic in terraform's `-json` form, which the CLI renders like its own. */
export function diagnosticLine(severity: 'error' | 'warning', summary: string): string {
  return JSON.stringify({
    '@level': severity,
    '@message': `${severity === 'error' ? 'Error' : 'Warning'}: ${summary}`,
    '@module': 'terrace',
    '@timestamp': new Date().toISOString(),
    diagnostic: { severity, summary, detail: '' },
    type: 'diagnostic',
  });
}

/** Where everything about the job is, below the agent protocol's prefix. */
export function jobPath(job: AnyJob, rest: string): string {
  return `/jobs/${job.runId}/${job.phase}/${rest}`;
}

/** Downloads the job's configuration with the job token and extracts it within the job's archive limits. */
export async function fetchConfiguration(env: JobEnvironment, job: AnyJob, signal: AbortSignal, configDir: string): Promise<void> {
  const source: Readable = await env.client.stream({ path: jobPath(job, 'configuration'), token: job.token, signal });
  try {
    await extractConfiguration(source, configDir, job.archiveLimits);
  } catch (err) {
    if (err instanceof ArchiveError) throw new PhaseFailure(`the configuration version cannot be extracted: ${err.message}`);
    throw err;
  } finally {
    source.destroy();
  }
}

/** The CA that verifies the server's generated certificate, as a file in the run's directory; none with a configured certificate. */
async function writeCaFile(workdir: RunWorkdir, caCertificate: string | null): Promise<string | undefined> {
  if (!caCertificate) return undefined;
  const file = join(workdir.root, 'ca.pem');
  await writeFile(file, caCertificate, { mode: 0o644 });
  return file;
}

/** The uid terraform runs under, in the isolation modes that use one. */
function runUidOf(env: JobEnvironment): number | undefined {
  if (!usesRunUid(env.isolation)) return undefined;
  if (env.runUid === undefined) throw new Error(`isolation ${env.isolation.mode} needs a run uid`);
  return env.runUid;
}

/**
 * The sandbox terraform runs the job in, once the job's files are written: the run's directory is
 * handed over to the run's uid. With `sshKeyFile`, ssh (which needs a passwd entry for the uid it runs
 * as) is shown one where it can be: only the bwrap modes can.
 */
async function sandboxOf(env: JobEnvironment, workdir: RunWorkdir, sshKeyFile?: string): Promise<TerraformSandbox> {
  const uid = runUidOf(env);
  const passwdFile = sshKeyFile !== undefined && uid !== undefined && usesBwrap(env.isolation) ? await writeRunPasswd(workdir, uid) : undefined;
  if (uid !== undefined) await handOver(workdir, uid);
  return { isolation: env.isolation, uid, runDir: workdir.root, passwdFile };
}

/**
 * Finishes a job's set-up once its configuration is in place: writes the CLI configuration (the job
 * token), the variables and the CA file, then builds terraform's environment and sandbox. `phase` holds
 * what only a run's phase has (a module test has none of it).
 */
export async function prepareJob<J extends AnyJob>(
  base: Omit<PreparedJob<J>, 'processEnv' | 'varsFiles' | 'sandbox'>,
  phase: Pick<RunEnvironmentInput, 'run' | 'debugging' | 'sshKeyFile'> = {},
): Promise<PreparedJob<J>> {
  const { job, env, workdir } = base;
  const cliConfigFile = await writeCliConfig(workdir, job.hostname, job.token);
  const varsFiles = await writeTerraformVariables(workdir, job.variables);
  const caFile = await writeCaFile(workdir, job.caCertificate);
  const processEnv = runEnvironment({ workdir, variables: job.variables, hostname: job.hostname, token: job.token, cliConfigFile, caFile, ...phase });
  const sandbox = await sandboxOf(env, workdir, phase.sshKeyFile);
  return { ...base, processEnv, varsFiles, sandbox };
}

/** The last complete lines of output, where the apply's summary is. */
export class Tail {
  private text = '';
  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-16_384);
  }
  lines(): string[] {
    return this.text.split('\n').reverse();
  }
}
