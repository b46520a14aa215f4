import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute } from 'node:path';

/**
 * How a run's terraform is kept away from the server (docs/design.md "Trust boundary"). A run is
 * untrusted code (`local-exec`, providers, external data), so it gets, by the strongest mode
 * available:
 * - `bwrap+uid` (server is root, bubblewrap present): its own unprivileged uid, and bubblewrap's mount,
 *   PID, IPC and UTS namespaces showing it only its run directory, the terraform binary, /usr and the
 *   system libraries, a few files of /etc, a private /tmp and a /proc without the server in it;
 * - `bwrap` (not root, bubblewrap works through user namespaces): the same namespaces, the server's uid;
 * - `uid` (root, no bubblewrap): its own uid only; the rest of the file system as that uid sees it;
 * - `none`: the server's uid, nothing hidden: the run can read what the server can.
 *
 * Nothing here touches server state, so the agent worker uses it as the built-in runner does.
 */

export type IsolationMode = 'bwrap+uid' | 'bwrap' | 'uid' | 'none';

/** `TERRACE_RUN_ISOLATION`: `auto` takes the strongest mode that works here; the others insist. */
export type IsolationSetting = 'auto' | 'bwrap' | 'uid' | 'none';

export const ISOLATION_SETTINGS: readonly IsolationSetting[] = ['auto', 'bwrap', 'uid', 'none'];

export interface UidRange {
  readonly first: number;
  readonly last: number;
}

export interface Isolation {
  readonly mode: IsolationMode;
  /** The bubblewrap executable, in the bwrap modes. */
  readonly bwrap?: string;
  /** Why a stronger mode is not in force, for the start-up line. */
  readonly reason?: string;
}

export const BWRAP_PATH = '/usr/bin/bwrap';

/** coreutils' env, which sets signal dispositions across exec (see `sandboxCommand`). */
const ENV_PATH = '/usr/bin/env';

/** Whether the mode runs each phase under a uid of its own, which the caller must give. */
export function usesRunUid(isolation: Isolation): boolean {
  return isolation.mode === 'bwrap+uid' || isolation.mode === 'uid';
}

/** Whether the mode puts the run in bubblewrap's namespaces. */
export function usesBwrap(isolation: Isolation): boolean {
  return isolation.mode === 'bwrap+uid' || isolation.mode === 'bwrap';
}

/** The start-up line saying what a run can reach; `none` is a warning the operator must not miss. */
export function describeIsolation(isolation: Isolation): string {
  const because = isolation.reason ? ` (${isolation.reason})` : '';
  switch (isolation.mode) {
    case 'bwrap+uid':
      return 'Run isolation: bwrap+uid (each phase under its own uid, in a bubblewrap sandbox that shows it only its own directory)';
    case 'bwrap':
      return `Run isolation: bwrap (a bubblewrap sandbox that shows each phase only its own directory, under the server's uid)${because}`;
    case 'uid':
      return `Run isolation: uid (each phase under its own uid; it sees the file system as that uid)${because}`;
    case 'none':
      return `WARNING: NO RUN ISOLATION${because}. Runs execute as the server's own user and can read everything it can: the data directory, the encryption key, the TLS key, the database and other runs. Run Terrace as root, or install bubblewrap (Debian: apt-get install bubblewrap).`;
  }
}

export interface DetectOptions {
  readonly setting: IsolationSetting;
  /** The run uids; the probe runs bubblewrap as the first one. */
  readonly uids: UidRange;
  /** Whether this process is root; `process.getuid() === 0` by default. */
  readonly isRoot?: boolean;
  readonly bwrapPath?: string;
}

export class IsolationError extends Error {}

/**
 * Picks the isolation mode at start. bubblewrap is tried for real (a trivial command in the same
 * namespaces a run gets, as a run's uid when root): a kernel or an AppArmor profile may forbid the
 * user namespaces it needs even where it is installed. An explicit setting that cannot be honoured
 * is an error, never a silent downgrade.
 */
export async function detectIsolation(options: DetectOptions): Promise<Isolation> {
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const bwrapPath = options.bwrapPath ?? BWRAP_PATH;
  const probeUid = isRoot ? options.uids.first : undefined;
  const bwrapProblem = async (): Promise<string | undefined> => {
    if (!(await isExecutable(bwrapPath))) return `${bwrapPath} is not installed`;
    return probeBwrap(bwrapPath, probeUid);
  };
  switch (options.setting) {
    case 'none':
      return { mode: 'none', reason: 'TERRACE_RUN_ISOLATION=none' };
    case 'uid':
      if (!isRoot) throw new IsolationError('TERRACE_RUN_ISOLATION=uid needs the server to run as root');
      return { mode: 'uid', reason: 'TERRACE_RUN_ISOLATION=uid' };
    case 'bwrap': {
      const problem = await bwrapProblem();
      if (problem) throw new IsolationError(`TERRACE_RUN_ISOLATION=bwrap, but bubblewrap cannot be used: ${problem}`);
      return { mode: isRoot ? 'bwrap+uid' : 'bwrap', bwrap: bwrapPath };
    }
    case 'auto': {
      const problem = await bwrapProblem();
      if (!problem) return { mode: isRoot ? 'bwrap+uid' : 'bwrap', bwrap: bwrapPath, ...(isRoot ? {} : { reason: 'the server is not root' }) };
      if (isRoot) return { mode: 'uid', reason: `no bubblewrap: ${problem}` };
      return { mode: 'none', reason: `the server is not root and bubblewrap cannot be used: ${problem}` };
    }
  }
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Runs `true` in the sandbox a run would get; the reason it failed, or undefined. */
async function probeBwrap(bwrapPath: string, uid: number | undefined): Promise<string | undefined> {
  const isolation: Isolation = { mode: uid === undefined ? 'bwrap' : 'bwrap+uid', bwrap: bwrapPath };
  const command = sandboxCommand(isolation, { uid, binary: '/bin/true', args: [], runDir: tmpdir() });
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(command.command, command.args, { ...command.spawnOptions, cwd: '/', env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', (err) => resolve(err.message));
    child.once('close', (code) => resolve(code === 0 ? undefined : stderr.trim().split('\n')[0] || `it exited with code ${code}`));
  });
}

export interface SandboxTarget {
  /** The phase's uid, in the modes that use one (`usesRunUid`); its gid is the same number. */
  readonly uid?: number | undefined;
  /** The executable, absolute (else looked up on the PATH inside). */
  readonly binary: string;
  readonly args: readonly string[];
  /** The run's directory: the only writable place the run sees, at the same path. */
  readonly runDir: string;
  /** The directory terraform starts in (inside `runDir`); `runDir` by default. */
  readonly cwd?: string;
  /** More paths the run may read (e.g. a provider mirror), at the same path. */
  readonly extraReadOnly?: readonly string[];
  /** In the bwrap modes, a file shown as /etc/passwd: the system's with an entry for the run's uid (ssh refuses a uid without one). */
  readonly passwdFile?: string | undefined;
}

export interface SandboxCommand {
  command: string;
  args: string[];
  /** For `child_process.spawn`, with the caller's cwd, env and stdio. */
  spawnOptions: { uid?: number; gid?: number };
}

/** The system paths a run sees, read-only: programs, libraries, and what TLS and name lookups read in /etc. */
const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_PATHS = [
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/group',
  '/etc/localtime',
  '/etc/alternatives',
];

/**
 * The command that runs `target` in the isolation mode, for `spawn` with `detached: true` (its own
 * process group). In the bwrap modes:
 * - bubblewrap's outer process is the group leader, and Ctrl-C semantics need the SIGINT sent to the
 *   group to reach terraform only: the outer bubblewrap would die of it and take the sandbox down
 *   with it (`--die-with-parent`) before terraform stopped gracefully. So it runs with SIGINT ignored
 *   (`env --ignore-signal`), and the command inside gets the default back (`env --default-signal`);
 *   the namespace's init ignores signals it has no handler for.
 * - When terraform exits, bubblewrap's init exits with its code and the kernel kills whatever is
 *   left in the PID namespace, even a process that left the group (setsid); when the server dies,
 *   `--die-with-parent` does the same.
 * - As root, bubblewrap itself starts under the run's uid and uses an unprivileged user namespace:
 *   bubblewrap started as root maps the run's uid to root outside, which would defeat the uid.
 * - The network is shared: terraform reaches the server over HTTPS, and providers their APIs.
 */
export function sandboxCommand(isolation: Isolation, target: SandboxTarget): SandboxCommand {
  const ids = usesRunUid(isolation) ? runIds(target.uid) : {};
  if (!usesBwrap(isolation)) return { command: target.binary, args: [...target.args], spawnOptions: ids };
  const bwrap = isolation.bwrap ?? BWRAP_PATH;
  const args = [
    '--ignore-signal=INT',
    bwrap,
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--as-pid-1',
    '--die-with-parent',
    '--hostname',
    'terrace-run',
    ...systemMounts(),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--bind',
    target.runDir,
    target.runDir,
  ];
  if (isAbsolute(target.binary) && !isUnder(target.binary, SYSTEM_PATHS)) args.push('--ro-bind', target.binary, target.binary);
  for (const path of target.extraReadOnly ?? []) args.push('--ro-bind-try', path, path);
  if (target.passwdFile !== undefined) args.push('--ro-bind', target.passwdFile, '/etc/passwd');
  args.push('--chdir', target.cwd ?? target.runDir, '--', ENV_PATH, '--default-signal=INT', target.binary, ...target.args);
  return { command: ENV_PATH, args, spawnOptions: ids };
}

function runIds(uid: number | undefined): { uid: number; gid: number } {
  if (uid === undefined || !Number.isInteger(uid) || uid <= 0) throw new Error(`a run in this isolation mode needs its own uid, not ${uid}`);
  return { uid, gid: uid };
}

function isUnder(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(`${root}/`));
}

/**
 * /usr and the system directories: merged-/usr systems have /bin, /lib… as links into /usr, which
 * stay links inside; on others they are directories, bound read-only. Missing ones are skipped.
 */
let mounts: string[] | undefined;
function systemMounts(): string[] {
  mounts ??= [...SYSTEM_PATHS, ...ETC_PATHS].flatMap((path) => systemMount(path));
  return mounts;
}

function systemMount(path: string): string[] {
  try {
    // Synchronous, once per process: a dozen lstat calls.
    const stat = lstatSync(path);
    if (stat.isSymbolicLink() && SYSTEM_PATHS.includes(path)) return ['--symlink', readlinkSync(path), path];
    return ['--ro-bind', path, path];
  } catch {
    return [];
  }
}
