import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PG_URL_ENV, PGLITE_TEMPLATE_ENV, startTemplatePostgres, writePgliteTemplate } from './harness.js';

/**
 * `npm test`: starts a PostgreSQL 15 server, migrates a template database there and a PGlite one
 * in a file, then runs every compiled
 * `*.test.js` with node's test runner against PGlite and PostgreSQL. Fails (never skips) when
 * PostgreSQL cannot start.
 */
const distRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files = [...testFiles(join(distRoot, 'src')), ...testFiles(join(distRoot, 'test'))]
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  const server = await startTemplatePostgres();
  const scratch = mkdtempSync(join(tmpdir(), 'terrace-tests-'));
  try {
    const pgliteTemplate = join(scratch, 'pglite-template.tar');
    await writePgliteTemplate(pgliteTemplate);
    process.stdout.write(`PostgreSQL test server at ${server.url}; ${files.length} test files\n`);
    const child = spawn(process.execPath, ['--test', `--test-concurrency=${Math.max(2, cpus().length)}`, ...files.map((f) => relative(process.cwd(), f))], {
      stdio: 'inherit',
      env: { ...process.env, [PG_URL_ENV]: server.url, [PGLITE_TEMPLATE_ENV]: pgliteTemplate },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test run failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
