import { fork } from 'node:child_process';
import autocannon from 'autocannon';
import type { LoadClientJob, LoadClientReport } from './load-client.js';
import { type DatabaseKind, PG_URL_ENV, startTemplatePostgres } from '../test/harness.js';
import { builtFile } from '../src/package-files.js';

/** One HTTP request shape to fire at a server over HTTPS, with the server's CA and a bearer token or a web session's cookie. */
export interface LoadRequest {
  /** `https://host:port` */
  baseUrl: string;
  /** The CA certificate (PEM) of the server's self-signed chain. */
  ca: string;
  token: string;
  /** The web UI's `cookie` header: a page is asked for as a browser does, as HTML with its session. */
  cookie?: string;
  method: 'GET' | 'POST';
  path: string;
  /** A JSON:API body; each `[<id>]` in it becomes a unique id per request (autocannon's idReplacement). */
  body?: string;
}

export interface LoadSettings {
  /** Seconds of measurement, after a one-second warm-up. */
  duration: number;
  connections: number;
}

export interface Measurement {
  p50: number;
  p99: number;
  requestsPerSecond: number;
  /** Responses outside 2xx, and connection errors and timeouts: a run with any is not a valid measurement. */
  failures: number;
  statusCodes: string;
  /** When the last connection had its first response, in ms from the start of the warm-up. */
  allConnectedMs: number;
}

const WARM_UP_SECONDS = 1;

/** What autocannon sends: the request, trusting the server's CA. */
function target(request: LoadRequest): autocannon.Options {
  return {
    url: new URL(request.path, request.baseUrl).toString(),
    method: request.method,
    headers: {
      ...(request.cookie === undefined
        ? { accept: 'application/vnd.api+json', authorization: `Bearer ${request.token}` }
        : { accept: 'text/html', cookie: request.cookie }),
      ...(request.body === undefined ? {} : { 'content-type': 'application/vnd.api+json' }),
    },
    ...(request.body === undefined ? {} : { body: request.body, idReplacement: true }),
    tlsOptions: { ca: request.ca },
  };
}

/** The value below which `fraction` of the sorted `values` lie. */
function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/**
 * Warms the route up (JIT, caches, connections) for a second, then measures it for
 * `settings.duration` seconds on the same connections, from a process of its own (bench/load-client.ts).
 */
export async function measure(request: LoadRequest, settings: LoadSettings): Promise<Measurement> {
  const job: LoadClientJob = {
    options: { ...target(request), connections: settings.connections },
    warmUpSeconds: WARM_UP_SECONDS,
    duration: settings.duration,
  };
  const client = fork(builtFile('bench/load-client.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const report = await new Promise<LoadClientReport>((resolve, reject) => {
    client.once('message', (message) => resolve(message as LoadClientReport));
    client.once('exit', (code) => reject(new Error(`the load client exited with ${code} before reporting`)));
    client.send(job);
  });
  return {
    p50: percentile(report.latencies, 0.5),
    p99: percentile(report.latencies, 0.99),
    requestsPerSecond: report.requestsPerSecond,
    failures: report.failures,
    statusCodes: Object.entries(report.statusCodes)
      .map(([code, count]) => `${code}×${count}`)
      .join(' '),
    allConnectedMs: report.allConnectedMs,
  };
}

/** Makes `count` requests one at a time, failing on any that is not 2xx. */
export async function requestCount(request: LoadRequest, count: number): Promise<void> {
  const result = await autocannon({ ...target(request), connections: 1, amount: count, workers: 1 });
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0) throw new Error(`${request.method} ${request.path}: ${failures} of ${count} requests failed`);
}

/** A plain-text table with right-aligned numeric columns. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const isNumeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => /^[\d.]*$/.test(row[i] ?? '')));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (isNumeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The table rows of one benchmark, and whether every target held. */
export interface BenchRows {
  rows: string[][];
  passed: boolean;
}

/**
 * Runs `bench` once per database and gathers its rows. A throw-away PostgreSQL server is started when
 * PostgreSQL is asked for (its URL goes to the harness through PG_URL_ENV) and stopped at the end.
 */
export async function forEachBenchDatabase(
  databases: readonly DatabaseKind[],
  bench: (kind: DatabaseKind, postgresUrl: string | undefined) => Promise<BenchRows>,
): Promise<BenchRows> {
  const postgres = databases.includes('postgres') ? await startTemplatePostgres() : undefined;
  if (postgres) process.env[PG_URL_ENV] = postgres.url;
  const all: BenchRows = { rows: [], passed: true };
  try {
    for (const kind of databases) {
      const result = await bench(kind, postgres?.url);
      all.rows.push(...result.rows);
      all.passed &&= result.passed;
    }
  } finally {
    postgres?.stop();
  }
  return all;
}

/** Runs `bench` for every database × size of the options and gathers its rows. */
export function forEachDatabaseAndSize(
  options: { databases: readonly DatabaseKind[]; sizes: readonly number[] },
  bench: (kind: DatabaseKind, size: number) => Promise<BenchRows>,
): Promise<BenchRows> {
  return forEachBenchDatabase(options.databases, async (kind) => {
    const all: BenchRows = { rows: [], passed: true };
    for (const size of options.sizes) {
      const result = await bench(kind, size);
      all.rows.push(...result.rows);
      all.passed &&= result.passed;
    }
    return all;
  });
}
