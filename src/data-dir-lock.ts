import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process owns the data directory. */
export class DataDirInUseError extends Error {}

/** Whether a process with this pid exists (EPERM: it exists, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes this process the one owner of the data directory, whose embedded database and files two
 * processes would corrupt (a second PGlite on the same files aborts, or writes one loses): a lock file
 * holding the owner's pid and what it runs. A lock whose process is gone (killed, crashed) is taken
 * over. Returns the release, which removes the file if it is still this process's.
 */
export function lockDataDir(dataDir: string, what: string): () => void {
  const file = join(dataDir, 'terrace.lock');
  const content = `${process.pid} ${what}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, content);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const [pid, ...rest] = readFileSync(file, 'utf8').trim().split(' ');
      const owner = Number(pid);
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new DataDirInUseError(
          `data directory ${dataDir} is in use by terrace ${rest.join(' ') || '(unknown)'} (pid ${owner}); ` +
            `stop it first, or remove ${file} if that process is not Terrace`,
        );
      }
      unlinkSync(file);
    }
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8') === content) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
}
