import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, fetch } from 'undici';
import { createPostgresDatabase, type DatabaseKind, freePort } from '../test/harness.js';
import { type BenchRows, forEachBenchDatabase, formatTable } from './load.js';
import { median } from './state-measure.js';
import { builtFile } from '../src/package-files.js';

/**
 * The start benchmark (issue 15, "Start and stop"): `terrace serve` as an operator runs it, from the
 * process start to the first successful ping, on a new data directory (TLS material, database
 * creation, migrations, the site admin) and on a later start of the same one; then the server
 * process's resident memory after a few idle seconds (its built-in agents are processes of their own,
 * shown apart). Baseline: the same program printing its version (node starting the command line).
 * Targets: first start ≤ 10 s, later start ≤ 3 s, idle RSS ≤ 350 MB embedded and ≤ 120 MB on PostgreSQL.
 */

const CLI = builtFile('src/cli.js');
const FIRST_START_TARGET_S = 10;
const LATER_START_TARGET_S = 3;
const RSS_TARGET_MB: Record<DatabaseKind, number> = { pglite: 350, postgres: 120 };
const IDLE_MS = 5000;
const START_TIMEOUT_MS = 120_000;

function clean(env: Record<string, string>): NodeJS.ProcessEnv {
  // Nothing from the benchmark's own environment (a DATABASE_URL, TERRACE_* settings) leaks in.
  return { PATH: process.env.PATH ?? '', TERRACE_LOG_LEVEL: 'warn', ...env };
}

/** Resident memory of a process in MB, from /proc. */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? 0) / 1024;
}

/** The resident memory of `pid`'s child processes, in MB. */
function childrenRssMb(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.reduce((sum, child) => sum + rssMb(Number(child)), 0);
}

async function timeCommand(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: clean({}), stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return (performance.now() - started) / 1000;
}

/** Starts `terrace serve` and waits for its first successful ping; returns the process and the seconds it took. */
async function startServer(env: Record<string, string>, port: number): Promise<{ child: ChildProcess; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve'], { env: clean(env), stdio: 'ignore' });
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    while (performance.now() - started < START_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`terrace serve exited with ${child.exitCode}`);
      const status = await fetch(`https://localhost:${port}/api/v2/ping`, { dispatcher: agent }).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 204) return { child, seconds: (performance.now() - started) / 1000 };
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('terrace serve did not answer a ping in time');
  } finally {
    await agent.close();
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function measureStarts(kind: DatabaseKind, repeat: number): Promise<BenchRows> {
  const firsts: number[] = [];
  const laters: number[] = [];
  const rss: number[] = [];
  const agentsRss: number[] = [];
  for (let round = 0; round < repeat; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'terrace-bench-start-'));
    const postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
    await postgres?.database.close();
    const port = await freePort();
    const env = { TERRACE_DATA_DIR: dataDir, TERRACE_PORT: String(port), ...(postgres ? { DATABASE_URL: postgres.url } : {}) };
    try {
      const first = await startServer(env, port);
      firsts.push(first.seconds);
      await stopServer(first.child);
      const later = await startServer(env, port);
      laters.push(later.seconds);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      rss.push(rssMb(later.child.pid as number));
      agentsRss.push(childrenRssMb(later.child.pid as number));
      await stopServer(later.child);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await postgres?.drop();
    }
  }
  const row = (what: string, value: number, target: number, unit: string) => [
    kind,
    what,
    value.toFixed(1),
    `≤ ${target} ${unit}`,
    value <= target ? 'pass' : 'FAIL',
  ];
  const rows = [
    row('first start to first ping', median(firsts), FIRST_START_TARGET_S, 's'),
    row('later start to first ping', median(laters), LATER_START_TARGET_S, 's'),
    row('idle RSS of the server', median(rss), RSS_TARGET_MB[kind], 'MB'),
    [kind, 'idle RSS of its built-in agents (all)', median(agentsRss).toFixed(1), '', ''],
  ];
  return { rows, passed: rows.every((r) => r[4] !== 'FAIL') };
}

export async function run(args: string[]): Promise<boolean> {
  const { values } = parseArgs({
    args,
    options: {
      databases: { type: 'string', default: process.env.BENCH_DATABASES ?? 'pglite,postgres' },
      repeat: { type: 'string', default: '3' },
    },
  });
  const databases = values.databases.split(',').map((d) => {
    if (d !== 'postgres' && d !== 'pglite') throw new Error(`--databases: ${JSON.stringify(d)} is not postgres or pglite`);
    return d;
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  const baseline = median(await Promise.all(Array.from({ length: 3 }, () => timeCommand(['--version']))));
  const result = await forEachBenchDatabase(databases, (kind) => measureStarts(kind, repeat));
  const rows = [['baseline', 'terrace --version (node starting the command)', baseline.toFixed(2), '', ''], ...result.rows];
  process.stdout.write(`\nStart (median of ${repeat})\n${formatTable(['database', 'case', 'seconds / MB', 'target', 'result'], rows)}\n`);
  return result.passed;
}
