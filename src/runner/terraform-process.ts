import { spawn } from 'node:child_process';
import { type Isolation, sandboxCommand } from './sandbox.js';

/**
 * Runs one terraform command (one phase of a run) as its own process group, with exactly the
 * environment it is given: never the server's (database URL, encryption key, admin token). Output
 * is streamed as it arrives; cancellation and the time limit interrupt the way Ctrl-C does (SIGINT,
 * which terraform turns into a graceful stop), then SIGKILL after a grace period
 * (api-docs/run.mdx "Cancel a Run"). Signals go to the whole group, so provider plugins and
 * provisioner commands stop with terraform. With a `sandbox`, terraform runs isolated from the server
 * (src/runner/sandbox.ts), with the same signals and the same guarantee that nothing outlives it.
 */

export interface TerraformSandbox {
  readonly isolation: Isolation;
  /** The phase's own uid, in the modes that use one. */
  readonly uid?: number | undefined;
  /** The run's directory, the only one the run may write (and, in the bwrap modes, see). */
  readonly runDir: string;
  readonly extraReadOnly?: readonly string[];
  readonly passwdFile?: string | undefined;
}

export interface RunTerraformOptions {
  /** The terraform executable; `terraform` is looked up on `env.PATH`. */
  binary?: string;
  args: readonly string[];
  cwd: string;
  /** The whole environment of the process; nothing is inherited. */
  env: Readonly<Record<string, string>>;
  /** After this long the command is interrupted as if canceled, and the result says `timedOut`. */
  timeoutMs?: number;
  /** Aborting interrupts the command; the result says `canceled`. */
  signal?: AbortSignal;
  /** Between SIGINT and SIGKILL. */
  killGraceMs?: number;
  /** Each chunk of stdout or stderr, in the order they arrive. */
  onOutput?: (chunk: Buffer) => void;
  /** Each chunk of stderr, which then does not go to `onOutput`: for commands whose stdout is a document (`show -json`). */
  onStderr?: (chunk: Buffer) => void;
  sandbox?: TerraformSandbox;
}

export interface TerraformExit {
  /** Null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  canceled: boolean;
}

export const DEFAULT_KILL_GRACE_MS = 10_000;

/**
 * Once terraform has exited, how long to wait for its output pipes to close. A process that left
 * the group (setsid) can hold them open forever; the output it would still write is lost.
 */
const PIPE_CLOSE_GRACE_MS = 2_000;

/** The process groups of the commands running in this process. */
const runningGroups = new Set<number>();

/**
 * Kills every command this process started that still runs, with its whole group, at once: for a
 * worker that must exit now (its server died), so that no terraform outlives it.
 */
export function killAllTerraform(): void {
  for (const pid of runningGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Resolves when the command has exited, whatever its exit code; rejects only when it cannot be
 * started (e.g. the binary does not exist).
 * @example const exit = await runTerraform({ args: ['plan', '-input=false'], cwd, env, signal, onOutput: (c) => log.write(c) })
 */
export function runTerraform(options: RunTerraformOptions): Promise<TerraformExit> {
  const { signal } = options;
  if (signal?.aborted) return Promise.resolve({ exitCode: null, signal: null, timedOut: false, canceled: true });
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;

  return new Promise((resolve, reject) => {
    const binary = options.binary ?? 'terraform';
    const { sandbox } = options;
    const command = sandbox
      ? sandboxCommand(sandbox.isolation, { ...sandbox, binary, args: options.args, cwd: options.cwd })
      : { command: binary, args: [...options.args], spawnOptions: {} };
    const child = spawn(command.command, command.args, {
      cwd: options.cwd,
      env: options.env,
      // Its own process group (and session), so a signal to -pid reaches every process it starts.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...command.spawnOptions,
    });
    if (child.pid !== undefined) runningGroups.add(child.pid);
    let timedOut = false;
    let canceled = false;
    let exited = false;
    let killTimer: NodeJS.Timeout | undefined;

    const signalGroup = (name: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, name);
      } catch (error) {
        // ESRCH: the group is already gone.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    };
    const interrupt = () => {
      if (exited || killTimer) return;
      signalGroup('SIGINT');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    };
    const onAbort = () => {
      canceled = true;
      interrupt();
    };
    const timeoutTimer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            interrupt();
          }, options.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanUp = () => {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
    };

    const { onOutput, onStderr } = options;
    if (onOutput) child.stdout.on('data', onOutput);
    else child.stdout.resume();
    const stderrTo = onStderr ?? onOutput;
    if (stderrTo) child.stderr.on('data', stderrTo);
    else child.stderr.resume();

    child.once('error', (error) => {
      // A spawn failure: no process, no exit event.
      if (child.pid !== undefined) return;
      cleanUp();
      reject(error);
    });
    child.once('exit', (exitCode, exitSignal) => {
      exited = true;
      cleanUp();
      if (child.pid !== undefined) runningGroups.delete(child.pid);
      // Whatever terraform left behind in its group (a provider that did not stop, a background
      // provisioner command) ends with it.
      signalGroup('SIGKILL');
      const result = { exitCode, signal: exitSignal, timedOut, canceled };
      const pipesTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve(result);
      }, PIPE_CLOSE_GRACE_MS);
      child.once('close', () => {
        clearTimeout(pipesTimer);
        resolve(result);
      });
    });
  });
}
