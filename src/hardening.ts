import { readFileSync } from 'node:fs';
import { chmod, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `terrace serve` does to itself at start so that a run (another uid, see
 * src/runner/sandbox.ts) can reach nothing of the server: the data directory closed, the process's
 * memory and environment out of other users' reach.
 */

/**
 * The data directory (database, encryption key, TLS keys, blobs) becomes 0700, and what lies directly
 * in it loses every group and other permission: nothing below is reachable through the directory
 * anyway, and a copy moved elsewhere keeps private modes.
 */
export async function protectDataDir(dataDir: string): Promise<void> {
  await chmod(dataDir, 0o700);
  for (const entry of await readdir(dataDir)) {
    const path = join(dataDir, entry);
    const { mode } = await stat(path);
    if (mode & 0o077) await chmod(path, mode & 0o700);
  }
}

/**
 * Makes this process non-dumpable, as a setuid program is: /proc/<pid>/environ, mem and maps become
 * unreadable to anything without CAP_SYS_PTRACE, even under the same uid, and no core dump spills the
 * keys. Node has no prctl(PR_SET_DUMPABLE); the kernel clears the flag (to fs.suid_dumpable, 0 by
 * default) whenever the effective gid changes, so changing it and back does it. Root only; returns
 * whether it was done.
 */
export function makeNonDumpable(): boolean {
  if (process.getuid?.() !== 0 || !process.setegid || !process.getegid) return false;
  const gid = process.getegid();
  process.setegid(gid === 65534 ? 65533 : 65534);
  process.setegid(gid);
  return suidDumpable() === 0;
}

/** fs.suid_dumpable: 0 unless an operator changed it, in which case the flag stays set. */
function suidDumpable(): number {
  try {
    return Number(readFileSync('/proc/sys/fs/suid_dumpable', 'utf8').trim());
  } catch {
    return 0;
  }
}
