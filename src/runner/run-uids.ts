import { readdir, readFile } from 'node:fs/promises';
import type { UidRange } from './sandbox.js';

/**
 * The uids phases run under (`TERRACE_RUN_UIDS`), one per phase running at once: two runs under one
 * uid could read each other's directory. They need no /etc/passwd entry (HOME and TMPDIR point into
 * the run's directory), and must belong to nobody else on the host, other Terrace servers included:
 * at start a server kills every process left under its uids (`sweepLeftoverProcesses`).
 */

export const DEFAULT_RUN_UIDS = '64000-64099';

/** `first-last`, or a single uid; from 1000 up, clear of the system's own users. */
export function parseUidRange(raw: string): UidRange | undefined {
  const match = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(raw.trim());
  if (!match) return undefined;
  const first = Number(match[1]);
  const last = Number(match[2] ?? match[1]);
  if (first < 1000 || last < first || last > 4_294_967_294) return undefined;
  return { first, last };
}

export function rangeSize(range: UidRange): number {
  return range.last - range.first + 1;
}

/**
 * Kills every process whose real uid is in the range: what a server that died (kill -9) left running
 * in the `uid` mode (in the bwrap modes the kernel already killed it with the sandbox). Returns how
 * many were killed.
 */
export async function sweepLeftoverProcesses(range: UidRange): Promise<number> {
  let killed = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    if (uid < range.first || uid > range.last) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed++;
    } catch {
      // Gone meanwhile.
    }
  }
  return killed;
}
