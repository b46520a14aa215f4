// Compiles src/, test/ and bench/ into dist/ unless nothing changed since the last build, so that
// `npm start` and `npm test` start at once on an unchanged tree (a full build takes 10–40 s).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const BUILD_INFO = 'dist/.tsbuildinfo';

/** The newest modification time under `path` (a file or a directory), 0 when absent. */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const built = statSync(BUILD_INFO, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const sources = Math.max(...['src', 'test', 'bench', 'tsconfig.json', 'package-lock.json'].map(newest));
if (sources >= built || process.argv.includes('--force')) {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    // An install without the development dependencies runs what was built before, if anything was.
    if (statSync('dist/src/cli.js', { throwIfNoEntry: false })) process.exit(0);
    throw new Error('dist/ is missing and typescript is not installed: run npm install with the development dependencies');
  }
  // Stamped with the time the build started: a source saved while tsc ran is newer, and is built next time.
  const started = new Date();
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO], { stdio: 'inherit' });
  // tsc leaves the file alone when it had nothing to write; the check above compares against it.
  utimesSync(BUILD_INFO, started, started);
}
