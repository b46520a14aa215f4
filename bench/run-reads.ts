import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as logStore from '../src/runs/log-store.js';
import { RunWorld } from '../src/runs/testing.js';
import { type DatabaseKind, TestServer } from '../test/harness.js';
import { type BenchRows, forEachBenchDatabase, formatTable, type LoadRequest, measure, requestCount } from './load.js';
import { databases, positive } from './options.js';
import { progress } from './state-measure.js';
import { procCpuSeconds } from '../test/proc-stat.js';

/**
 * `npm run bench -- run-reads`: the reads of running runs (issue 14). Four runs are planning and
 * stream their logs (a 2 KiB chunk every 100 ms each, as a runner appends them, while four readers
 * follow them as the CLI does); meanwhile `GET /runs/:id` is loaded with 8 clients (target p99
 * ≤ 10 ms). Then, with the streams stopped, the CLI's polling of a running plan is replayed one
 * request at a time, and the server's CPU per request is read from its thread's counters
 * (target ≤ 1 ms): `GET /runs/:id`, a log read at the end of the log, `GET /plans/:id`.
 */

const STREAMS = 4;
const CHUNK = Buffer.from(`${'\u001b[32m+\u001b[0m resource "terraform_data" "x" { id = (known after apply) }\n'.repeat(30)}`);
const CHUNK_INTERVAL_MS = 100;
const READ_INTERVAL_MS = 500;
const SHOW_P99_TARGET_MS = 10;
const POLL_CPU_TARGET_MS = 1;
/** Requests per polling case: enough that the CPU counters' 10 ms ticks are a small error. */
const POLLS = 2000;

interface RunReadsOptions {
  databases: DatabaseKind[];
  duration: number;
}

function parseOptions(args: string[]): RunReadsOptions {
  const { values } = parseArgs({
    args,
    options: {
      databases: { type: 'string', default: process.env.BENCH_DATABASES ?? 'postgres,pglite' },
      duration: { type: 'string', default: '5' },
    },
  });
  return { databases: databases(values.databases), duration: positive(values.duration, 'duration') };
}

/** CPU time (user + system) of this process's main thread, in ms: the server's event loop, not the load generator's worker. */
function mainThreadCpuMs(): number {
  return procCpuSeconds(`/proc/self/task/${process.pid}/stat`).own * 1000;
}

interface StreamingRun {
  runId: string;
  planId: string;
  logUrl: string;
}

/** Four planning runs whose logs grow while readers follow them; `stop` ends both. */
async function streamLogs(world: RunWorld, server: TestServer): Promise<{ runs: StreamingRun[]; stop: () => Promise<void> }> {
  const runs: StreamingRun[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    await world.claim(run.id);
    const planId = run.relationships.plan.data.id;
    const plan = (await world.api('GET', `/plans/${planId}`, world.ownerToken)).body.data;
    runs.push({ runId: run.id, planId, logUrl: plan.attributes['log-read-url'] });
  }
  let streaming = true;
  const writer = async (run: StreamingRun) => {
    for (let seq = 0, offset = 0; streaming; seq++, offset += CHUNK.length) {
      await logStore.appendChunk(server.database.db, { id: run.planId, runId: run.runId }, seq, { offset, data: CHUNK });
      await new Promise((resolve) => setTimeout(resolve, CHUNK_INTERVAL_MS));
    }
  };
  const reader = async (run: StreamingRun) => {
    for (let offset = 0; streaming; ) {
      const res = await server.api('GET', `${run.logUrl}?offset=${offset}&limit=65536`);
      offset += Buffer.byteLength(res.text);
      await new Promise((resolve) => setTimeout(resolve, READ_INTERVAL_MS));
    }
  };
  const work = runs.flatMap((run) => [writer(run), reader(run)]);
  return {
    runs,
    stop: async () => {
      streaming = false;
      await Promise.all(work);
    },
  };
}

/** The server's main-thread CPU per request over POLLS requests made one at a time. */
async function cpuPerRequest(request: LoadRequest): Promise<number> {
  await requestCount(request, POLLS / 10);
  const before = mainThreadCpuMs();
  await requestCount(request, POLLS);
  return (mainThreadCpuMs() - before) / POLLS;
}

async function benchmarkDatabase(kind: DatabaseKind, options: RunReadsOptions): Promise<BenchRows> {
  const server = new TestServer(kind, { env: { TERRACE_RATE_LIMIT: '1000000' } });
  await server.start();
  try {
    const world = new RunWorld(server);
    await world.setUp();
    const ca = readFileSync(server.caFile, 'utf8');
    const streams = await streamLogs(world, server);
    const [first] = streams.runs as [StreamingRun];
    const show: LoadRequest = { baseUrl: server.url, ca, token: world.ownerToken, method: 'GET', path: `/api/v2/runs/${first.runId}` };
    // The loops stop before the server does, whether the measurement ends or fails.
    const m = await measure(show, { duration: options.duration, connections: 8 }).finally(streams.stop);
    const rows: string[][] = [];
    let passed = m.failures === 0 && m.p99 <= SHOW_P99_TARGET_MS;
    const showResult = m.failures > 0 ? `FAIL (${m.statusCodes})` : m.p99 <= SHOW_P99_TARGET_MS ? 'pass' : 'FAIL';
    rows.push([
      kind,
      `GET /runs/:id, ${STREAMS} runs streaming, 8 clients`,
      m.p50.toFixed(1),
      m.p99.toFixed(0),
      m.requestsPerSecond.toFixed(0),
      `p99 ≤ ${SHOW_P99_TARGET_MS} ms`,
      showResult,
    ]);
    progress(rows.at(-1)?.join('  ') ?? '');
    const logPath = new URL(first.logUrl).pathname;
    const polls: [string, LoadRequest][] = [
      ['CPU per poll: GET /runs/:id', show],
      ['CPU per poll: log read at its end', { ...show, token: 'none', path: `${logPath}?offset=${CHUNK.length * 1000}&limit=65536` }],
      ['CPU per poll: GET /plans/:id', { ...show, path: `/api/v2/plans/${first.planId}` }],
    ];
    for (const [name, request] of polls) {
      const cpu = await cpuPerRequest(request);
      const ok = cpu <= POLL_CPU_TARGET_MS;
      passed &&= ok;
      rows.push([kind, name, '', '', '', `≤ ${POLL_CPU_TARGET_MS} ms CPU`, `${cpu.toFixed(2)} ms ${ok ? 'pass' : 'FAIL'}`]);
      progress(rows.at(-1)?.join('  ') ?? '');
    }
    return { rows, passed };
  } finally {
    await server.stop();
  }
}

export async function run(args: string[]): Promise<boolean> {
  const options = parseOptions(args);
  const { rows, passed } = await forEachBenchDatabase(options.databases, (kind) => benchmarkDatabase(kind, options));
  process.stdout.write(
    `\nRun reads: ${STREAMS} runs streaming logs; CPU is the server's main thread per request, one request at a time\n` +
      `${formatTable(['database', 'case', 'p50 ms', 'p99 ms', 'req/s', 'target', 'result'], rows)}\n`,
  );
  return passed;
}
