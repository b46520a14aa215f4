import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { loadTlsMaterial } from '../src/tls.js';
import { type DatabaseKind, freePort, TestServer } from '../test/harness.js';
import { OrganizationWorld } from '../test/fixtures.js';
import { COMMON_TAG, expectedMatches, NAME_SEARCH, RARE_TAG, seedWorkspaces } from './api-seed.js';
import { forEachDatabaseAndSize, formatTable, type LoadSettings, measure } from './load.js';
import { parseSizedLoadOptions, type SizedLoadOptions } from './options.js';

/**
 * The workspaces API benchmark (issues 4 and 14): a real Terrace over HTTPS per database and size,
 * seeded in bulk, then list (first and deep pages, with and without filters), show by id and by
 * name, show under 200 concurrent clients, and create, with the owner's user token. A bare Fastify
 * HTTPS route answering a small JSON:API document is measured in the same run as the baseline.
 * Targets: list p99 ≤ 25 ms at 100,000 workspaces on PostgreSQL; show p99 ≤ 10 ms and ≥ 3,000 req/s
 * on PostgreSQL, ≥ 1,500 req/s on PGlite; 200 clients: no error, p99 ≤ 250 ms.
 */

const LIST_TARGET_MS = 25;
/** Lists are measured for latency alone (one client): a page of 100 is ~270 KB, and eight clients would measure their queue. */
const LIST_CONNECTIONS = 1;
const SHOW_TARGET_MS = 10;
const SHOW_TARGET_RPS = { postgres: 3000, pglite: 1500 } as const;
const CROWD_CONNECTIONS = 200;
const CROWD_TARGET_MS = 250;
/** The list target is set for this many workspaces (and more). */
const LIST_TARGET_SIZE = 100_000;

type ApiOptions = SizedLoadOptions;

function parseOptions(args: string[]): ApiOptions {
  return parseSizedLoadOptions(args, { sizes: '10000,100000', connections: '8' });
}

interface ApiCase {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** The `meta.pagination.total-count` a list must report, checked once before the load. */
  total?: number;
  /** p99 target in ms, when one applies to this database and size. */
  target?: number | undefined;
  /** Throughput target in requests per second. */
  minRps?: number | undefined;
  /** Concurrent connections, when not the run's setting. */
  connections?: number;
}

function apiCases(kind: DatabaseKind, size: number, org: string, show: { name: string; id: string }): ApiCase[] {
  const expected = expectedMatches(size);
  const list = `/api/v2/organizations/${org}/workspaces?page%5Bsize%5D=100`;
  const listTarget = kind === 'postgres' && size >= LIST_TARGET_SIZE ? LIST_TARGET_MS : undefined;
  const percent = (n: number) => `${Math.round((100 * n) / size)}%`;
  return [
    { name: 'list', method: 'GET', path: list, total: expected.all, target: listTarget, connections: LIST_CONNECTIONS },
    {
      name: `list search[tags]=${COMMON_TAG} (${percent(expected.common)})`,
      method: 'GET',
      path: `${list}&search%5Btags%5D=${COMMON_TAG}`,
      total: expected.common,
      target: listTarget,
      connections: LIST_CONNECTIONS,
    },
    {
      name: `list search[tags]=${RARE_TAG} (${expected.rare})`,
      method: 'GET',
      path: `${list}&search%5Btags%5D=${RARE_TAG}`,
      total: expected.rare,
      target: listTarget,
      connections: LIST_CONNECTIONS,
    },
    {
      name: `list search[name]=${NAME_SEARCH} (${percent(expected.name)})`,
      method: 'GET',
      path: `${list}&search%5Bname%5D=${NAME_SEARCH}`,
      total: expected.name,
      target: listTarget,
      connections: LIST_CONNECTIONS,
    },
    {
      name: `list page ${Math.ceil(size / 200)} of ${Math.ceil(size / 100)}`,
      method: 'GET',
      path: `${list}&page%5Bnumber%5D=${Math.ceil(size / 200)}`,
      total: expected.all,
      target: listTarget,
      connections: LIST_CONNECTIONS,
    },
    {
      name: 'show by name',
      method: 'GET',
      path: `/api/v2/organizations/${org}/workspaces/${show.name}`,
      target: kind === 'postgres' ? SHOW_TARGET_MS : undefined,
      minRps: SHOW_TARGET_RPS[kind],
    },
    {
      name: 'show by id',
      method: 'GET',
      path: `/api/v2/workspaces/${show.id}`,
      target: kind === 'postgres' ? SHOW_TARGET_MS : undefined,
      minRps: SHOW_TARGET_RPS[kind],
    },
    {
      name: `show by id, ${CROWD_CONNECTIONS} clients`,
      method: 'GET',
      path: `/api/v2/workspaces/${show.id}`,
      target: CROWD_TARGET_MS,
      connections: CROWD_CONNECTIONS,
    },
    // Last: every request adds a workspace.
    {
      name: 'create',
      method: 'POST',
      path: `/api/v2/organizations/${org}/workspaces`,
      body: JSON.stringify({ data: { type: 'workspaces', attributes: { name: 'bench-[<id>]' } } }),
    },
  ];
}

/** One request before the load: a benchmark of 404s or of a filter that matches the wrong rows measures nothing. */
async function verify(server: TestServer, token: string, c: ApiCase): Promise<void> {
  const body = c.body?.replaceAll('[<id>]', 'check');
  const res = await server.api(c.method, c.path, { token, body });
  const status = c.method === 'POST' ? 201 : 200;
  const total = res.body?.meta?.pagination?.['total-count'];
  if (res.status !== status || (c.total !== undefined && total !== c.total)) {
    throw new Error(`${c.name}: expected ${status}${c.total === undefined ? '' : ` with total-count ${c.total}`}, got ${res.status} ${res.text.slice(0, 300)}`);
  }
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function benchmarkDatabase(kind: DatabaseKind, size: number, options: ApiOptions): Promise<{ rows: string[][]; passed: boolean }> {
  // The default of 30 requests per second per token would turn the load into 429s.
  const server = new TestServer(kind, { env: { TERRACE_RATE_LIMIT: '1000000' } });
  await server.start();
  try {
    const world = new OrganizationWorld(server);
    await world.setUp();
    const db = server.database.db;
    const started = performance.now();
    await seedWorkspaces(db, world.orgId, world.defaultProjectId, size);
    progress(`${kind}: seeded ${size} workspaces in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const middle = await db
      .selectFrom('workspaces')
      .select(['name', 'id'])
      .where('organization_id', '=', world.orgId)
      .orderBy('id')
      .offset(Math.floor(size / 2))
      .limit(1)
      .executeTakeFirstOrThrow();

    const ca = readFileSync(server.caFile, 'utf8');
    const rows: string[][] = [];
    let passed = true;
    for (const c of apiCases(kind, size, world.org, middle)) {
      await verify(server, world.ownerToken, c);
      const settings = { ...options, connections: c.connections ?? options.connections };
      const m = await measure({ baseUrl: server.url, ca, token: world.ownerToken, method: c.method, path: c.path, body: c.body }, settings);
      const ok = m.failures === 0 && (c.target === undefined || m.p99 <= c.target) && (c.minRps === undefined || m.requestsPerSecond >= c.minRps);
      passed &&= ok;
      const hasTarget = c.target !== undefined || c.minRps !== undefined;
      const result = m.failures > 0 ? `FAIL (${m.statusCodes}, ${m.failures} failed)` : !hasTarget ? '' : ok ? 'pass' : 'FAIL';
      const target = [c.target ? `p99 ≤ ${c.target}` : '', c.minRps ? `≥ ${c.minRps}/s` : ''].filter(Boolean).join(', ');
      // The clients' TLS handshakes are outside the measurement (bench/load-client.ts): how long they took is said here.
      const name = c.connections === CROWD_CONNECTIONS ? `${c.name} (all answered ${(m.allConnectedMs / 1000).toFixed(1)} s after connecting)` : c.name;
      const row = [kind, String(size), name, m.p50.toFixed(1), m.p99.toFixed(0), m.requestsPerSecond.toFixed(0), target, result];
      progress(row.join('  '));
      rows.push(row);
    }
    return { rows, passed };
  } finally {
    await server.stop();
  }
}

/** What the baseline route answers: a small JSON:API document for the API, a small page for the web UI. */
export interface BaselineResponse {
  label: string;
  contentType: string;
  body: string;
}

const JSON_API_BASELINE: BaselineResponse = {
  label: 'bare Fastify HTTPS route',
  contentType: 'application/vnd.api+json',
  body: JSON.stringify({ data: { type: 'workspaces', id: 'ws-baseline', attributes: { name: 'baseline' } } }),
};

/**
 * The transport's cost alone: a bare Fastify HTTPS route answering a small JSON:API document (or
 * `response`), with the same client and certificate chain as the cases.
 */
export async function measureBaseline(options: LoadSettings, response = JSON_API_BASELINE): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'terrace-bench-baseline-'));
  const config = loadConfig({ TERRACE_DATA_DIR: dataDir, TERRACE_PORT: String(await freePort()) });
  const tls = loadTlsMaterial(config);
  const app = Fastify({ https: { key: tls.key, cert: tls.cert } });
  app.get('/baseline', async (_request, reply) => reply.type(response.contentType).send(response.body));
  await app.listen({ host: '127.0.0.1', port: config.port });
  try {
    const ca = readFileSync(tls.caFile as string, 'utf8');
    const m = await measure({ baseUrl: `https://${config.hostname}`, ca, token: 'none', method: 'GET', path: '/baseline' }, options);
    return ['baseline', '', response.label, m.p50.toFixed(1), m.p99.toFixed(0), m.requestsPerSecond.toFixed(0), '', ''];
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs every database × size and prints the table; false when a target was missed or a request failed. */
export async function run(args: string[]): Promise<boolean> {
  const options = parseOptions(args);
  const baseline = await measureBaseline(options);
  progress(baseline.join('  '));
  const { rows, passed } = await forEachDatabaseAndSize(options, (kind, size) => benchmarkDatabase(kind, size, options));
  process.stdout.write(
    `\nAPI benchmark: ${options.connections} connections, ${options.duration} s per case over HTTPS loopback\n` +
      `${formatTable(['database', 'workspaces', 'case', 'p50 ms', 'p99 ms', 'req/s', 'target', 'result'], [baseline, ...rows])}\n`,
  );
  return passed;
}
