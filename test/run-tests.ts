import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseKind, PG_URL_ENV, PGLITE_TEMPLATE_ENV, startTemplatePostgres, TEST_DATABASE_ENV, writePgliteTemplate } from './harness.js';
import { TEST_NODE_FLAGS } from './terrace-process.js';

/**
 * `npm test`: starts a PostgreSQL 15 server, migrates a template database there and a PGlite one
 * in a file, then runs every compiled `*.test.js` with node's test runner against PGlite and
 * PostgreSQL, several files (and a file's two databases) at once. Prints node's closing counts and
 * `N passed, N failed`; fails (never skips) when PostgreSQL cannot start.
 */
const distRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

/**
 * One test process (test/run-batch.ts): a slow file on its own (against one database when it runs
 * its suites per database), or a batch of quick files run one after the other.
 */
interface Job {
  files: string[];
  database?: DatabaseKind;
}

interface JobResult {
  job: Job;
  code: number;
  output: string;
  counts: Record<'tests' | 'pass' | 'fail' | 'cancelled', number>;
  seconds: number;
  /** CPU time of the job's processes (user and system), from `sh`'s `times`. */
  cpuSeconds: number;
}

/** A test file with this line runs as one job per database, as end-to-end files do: it is as slow as they are. */
const PER_DATABASE_MARK = '// run-tests: one job per database';

/** How many quick files share a process. */
const BATCH_FILES = 8;

/**
 * The jobs, slowest first so the long files do not start last. An end-to-end file (under test/) or a
 * marked one is a job of its own, one per database when its suites run per database (forEachDatabase,
 * or a loop over testDatabases()): those are the longest. The many quick files go in batches balanced
 * by size, each running its files' suites on every database (a file's database-independent tests
 * once, not once per database).
 */
function jobsOf(files: readonly string[], databases: readonly DatabaseKind[]): Job[] {
  const weighed = files.map((file) => {
    // The TypeScript source: the build drops comments and renames what it bundles.
    const source = readFileSync(join(distRoot, '..', relative(distRoot, file).replace(/\.js$/, '.ts')), 'utf8');
    const slow = file.startsWith(join(distRoot, 'test')) || source.includes(PER_DATABASE_MARK);
    const perDatabase = source.includes('forEachDatabase(') || source.includes('of testDatabases()');
    return { file, slow, perDatabase, weight: source.length };
  });
  const byWeight = (a: { weight: number }, b: { weight: number }) => b.weight - a.weight;
  const slowJobs = weighed
    .filter((w) => w.slow)
    .sort(byWeight)
    .flatMap((w) => (w.perDatabase ? databases.map((database) => ({ files: [w.file], database })) : [{ files: [w.file] }]));
  const quick = weighed.filter((w) => !w.slow).sort(byWeight);
  // Both databases in one process: a process costs a second and a half of CPU to load the server and
  // warm up, more than most quick files' suites on one database.
  const batches = Array.from({ length: Math.max(1, Math.ceil(quick.length / BATCH_FILES)) }, () => ({ job: { files: [] as string[] } as Job, weight: 0 }));
  for (const w of quick) {
    const lightest = batches.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.job.files.push(w.file);
    lightest.weight += w.perDatabase ? w.weight * databases.length : w.weight;
  }
  const filled = batches.filter((b) => b.job.files.length > 0);
  return [...slowJobs, ...filled.sort(byWeight).map((b) => b.job)];
}

/** Jobs that may run beyond the usual number while the cores are idle. */
const EXTRA_JOBS_WHILE_IDLE = 3;
/** How idle the cores must have been since the last look for one more job to start, and how often to look. */
const IDLE_SHARE_TO_ADD_JOB = 0.15;
const IDLE_LOOK_MS = 500;

/** A function that returns the share of the cores' time spent idle since its previous call. */
function idleShareSince(): () => number {
  const sample = () => {
    const times = cpus().map((cpu) => cpu.times);
    const idle = times.reduce((sum, t) => sum + t.idle, 0);
    const total = times.reduce((sum, t) => sum + t.idle + t.user + t.nice + t.sys + t.irq, 0);
    return { idle, total };
  };
  let last = sample();
  return () => {
    const now = sample();
    const share = now.total > last.total ? (now.idle - last.idle) / (now.total - last.total) : 0;
    last = now;
    return share;
  };
}

function jobFailed(result: JobResult): boolean {
  return result.code !== 0 || result.counts.fail > 0 || result.counts.tests === 0;
}

/** Printed before `times`, whose second line is the user and system CPU of the shell's children. */
const CPU_MARK = '# run-tests: cpu';

function childrenCpuSeconds(output: string): number {
  const markAt = output.lastIndexOf(CPU_MARK);
  if (markAt < 0) return 0;
  const [, , user, system] = [...output.slice(markAt).matchAll(/(\d+)m([\d.]+)s/g)].map(([, minutes, seconds]) => Number(minutes) * 60 + Number(seconds));
  return (user ?? 0) + (system ?? 0);
}

function runJob(job: Job, env: NodeJS.ProcessEnv): Promise<JobResult> {
  const started = performance.now();
  const files = job.files.map((file) => relative(process.cwd(), file));
  // In this process, not under `node --test`, which starts a second node for the file.
  const args = [join(distRoot, 'test', 'run-batch.js'), ...files];
  // Through sh, whose `times` prints the CPU of the job's whole process tree (terraform, agents) after it.
  const script = `"$@"; status=$?; echo '${CPU_MARK}'; times; exit $status`;
  const child = spawn('/bin/sh', ['-c', script, 'sh', process.execPath, ...TEST_NODE_FLAGS, '--test-reporter=tap', ...args], {
    env: { ...env, ...(job.database ? { [TEST_DATABASE_ENV]: job.database } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
      const counts = { tests: count('tests'), pass: count('pass'), fail: count('fail'), cancelled: count('cancelled') };
      resolve({ job, code: code ?? (signal ? 1 : 0), output, counts, seconds: (performance.now() - started) / 1000, cpuSeconds: childrenCpuSeconds(output) });
    });
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
    const env = { ...process.env, [PG_URL_ENV]: server.socketUrl, [PGLITE_TEMPLATE_ENV]: pgliteTemplate };
    const jobs = jobsOf(files, ['pglite', 'postgres']);
    // One job more than cores: the end-to-end files spend most of their time waiting (on the
    // terraform CLI's polls of 1–3 s, on runs), so with one job per core the cores were idle for a
    // third of the run (jobs' wall time 1,189 s for 657 s of CPU). More at all times would load the
    // machine past what the timing-sensitive steps (terraform's provisioner output, a restart under an
    // apply) see in use; so up to three more start only while the cores are idle (docs/design.md "Tests").
    const fixed = process.env.TERRACE_TEST_CONCURRENCY;
    const concurrency = Number(fixed ?? Math.max(2, cpus().length) + 1);
    const mostJobs = fixed ? concurrency : concurrency + EXTRA_JOBS_WHILE_IDLE;
    process.stdout.write(
      `PostgreSQL test server at ${server.socketUrl}; ${files.length} test files as ${jobs.length} jobs, ${concurrency} at a time (up to ${mostJobs} while the cores are idle)\n`,
    );
    const results: JobResult[] = [];
    const started = performance.now();
    const report = (result: JobResult) => {
      results.push(result);
      const { job } = result;
      const name = `${job.files.map((file) => relative(distRoot, file)).join(', ')}${job.database ? ` [${job.database}]` : ''}`;
      const failed = jobFailed(result);
      // A failing job's whole report; a passing one in a line.
      if (failed) process.stdout.write(`${result.output}\n`);
      process.stdout.write(
        `${failed ? 'FAILED' : 'ok'} ${name}: ${result.counts.pass}/${result.counts.tests} passed in ${result.seconds.toFixed(1)} s (CPU ${result.cpuSeconds.toFixed(1)} s)\n`,
      );
    };
    const queue = [...jobs];
    const running = new Set<Promise<void>>();
    const start = (job: Job) => {
      const done: Promise<void> = runJob(job, env).then((result) => {
        running.delete(done);
        report(result);
      });
      running.add(done);
    };
    const idleShare = idleShareSince();
    while (queue.length > 0 || running.size > 0) {
      while (queue.length > 0 && running.size < concurrency) start(queue.shift() as Job);
      // One job more per look, so that the next look sees what it uses.
      if (queue.length > 0 && running.size < mostJobs && idleShare() > IDLE_SHARE_TO_ADD_JOB) start(queue.shift() as Job);
      await Promise.race([...running, new Promise((resolve) => setTimeout(resolve, IDLE_LOOK_MS))]);
    }
    const total = (key: keyof JobResult['counts']) => results.reduce((sum, r) => sum + r.counts[key], 0);
    const failedJobs = results.filter(jobFailed);
    // A job that failed with no failing test (it crashed, ran none, or its runner reported an error
    // outside any test: test/test-runner-hook.ts) counts as one failed test, so that the counts say so too.
    const failedOutsideTests = failedJobs.filter((r) => r.counts.fail + r.counts.cancelled === 0).length;
    const cpu = results.reduce((sum, r) => sum + r.cpuSeconds, 0);
    const postgresCpu = server.cpuSeconds();
    const seconds = (performance.now() - started) / 1000;
    // Where the time goes, against the cores' time while the jobs ran.
    const share = (used: number) => `${((used / (seconds * cpus().length)) * 100).toFixed(0)}%`;
    process.stdout.write(
      `CPU: jobs ${cpu.toFixed(0)} s (${share(cpu)}), PostgreSQL ${postgresCpu.toFixed(0)} s (${share(postgresCpu)}) of ${cpus().length} cores for ${seconds.toFixed(0)} s\n`,
    );
    process.stdout.write(
      `# tests ${total('tests')}\n# pass ${total('pass')}\n# fail ${total('fail') + failedOutsideTests}\n# cancelled ${total('cancelled')}\n`,
    );
    process.stdout.write(`${total('pass')} passed, ${total('fail') + total('cancelled') + failedOutsideTests} failed\n`);
    return failedJobs.length === 0 ? 0 : 1;
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
