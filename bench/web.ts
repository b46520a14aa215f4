import { readFileSync } from 'node:fs';
import type { RunId } from '../src/ids.js';
import { Readable } from 'node:stream';
import { RunWorld } from '../src/runs/testing.js';
import { SESSION_COOKIE } from '../src/web/session-hook.js';
import { WebClient } from '../src/web/testing.js';
import { type DatabaseKind, TestServer } from '../test/harness.js';
import { measureBaseline } from './api.js';
import { COMMON_TAG, seedWorkspaces } from './api-seed.js';
import { type BenchRows, forEachDatabaseAndSize, formatTable, measure } from './load.js';
import { parseSizedLoadOptions, type SizedLoadOptions } from './options.js';

/**
 * The web UI's page budget (issue 21): a real Terrace over HTTPS per database, seeded with 10,000
 * workspaces (as the API benchmark), plus 20 workspaces listed first whose latest runs are planned, one
 * with a redacted plan of 200 resource changes. A signed-in session (its cookie, as a browser sends it)
 * asks for the workspaces list (first page, a tag filter, a middle page), a workspace page and a run
 * page, one request at a time so the latency is the server's time plus the transport's. A bare Fastify
 * HTTPS route answering a small page is measured in the same run as the baseline.
 * Target: p99 ≤ 50 ms for every page on both databases.
 */

const PAGE_TARGET_MS = 50;
/** One client: the page's own time, not a queue of them on two cores. */
const CONNECTIONS = 1;
/** As many as a list page shows: every row of the first page has a latest run. */
const WORKSPACES_WITH_RUNS = 20;
const PLANNED_RESOURCES = 200;

type WebOptions = SizedLoadOptions;

function parseOptions(args: string[]): WebOptions {
  // Pages are measured with one client whatever --connections says (above).
  return { ...parseSizedLoadOptions(args, { sizes: '10000', connections: String(CONNECTIONS) }), connections: CONNECTIONS };
}

interface PageCase {
  name: string;
  path: string;
  /** What the page must show, checked once before the load: a page that shows the wrong thing measures nothing. */
  shows: RegExp;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** The redacted JSON plan of `count` new resources, as an agent uploads it. */
function redactedPlan(count: number): string {
  const resource_changes = Array.from({ length: count }, (_, i) => ({
    address: `terraform_data.item[${i}]`,
    mode: 'managed',
    type: 'terraform_data',
    name: 'item',
    index: i,
    change: { actions: ['create'], before: null, after: { input: `value-${i}` }, after_unknown: { id: true, output: true } },
  }));
  return JSON.stringify({
    plan_format_version: '1.2',
    resource_changes,
    resource_drift: [],
    output_changes: {},
    relevant_attributes: [],
    provider_schemas: {},
  });
}

/** Workspaces named to sort first, each with a planned run; the first run's plan lists PLANNED_RESOURCES changes. */
async function seedRuns(server: TestServer, world: RunWorld): Promise<{ workspace: string; runId: string }> {
  let first: { workspace: string; runId: RunId } | undefined;
  for (let n = 0; n < WORKSPACES_WITH_RUNS; n++) {
    const ws = await world.workspaceWithConfiguration({ name: `aaa-web-${String(n).padStart(2, '0')}` });
    const run = await world.createRun(ws.id);
    await world.plan(run.id);
    first ??= { workspace: ws.attributes.name, runId: run.id };
  }
  if (!first) throw new Error('no run seeded');
  const db = server.database.db;
  const plan = await db.selectFrom('plans').select('id').where('run_id', '=', first.runId).executeTakeFirstOrThrow();
  const key = `plans/${plan.id}/plan-redacted.json`;
  await server.blobs.put(key, Readable.from([redactedPlan(PLANNED_RESOURCES)]));
  await db.updateTable('plans').set({ redacted_json_blob_key: key }).where('id', '=', plan.id).execute();
  return first;
}

function pageCases(org: string, size: number, shown: { workspace: string; runId: string }): PageCase[] {
  const list = `/app/${org}/workspaces`;
  const total = size + WORKSPACES_WITH_RUNS;
  const pages = Math.ceil(total / 20);
  return [
    {
      name: `workspaces list, page 1 of ${pages} (${WORKSPACES_WITH_RUNS} latest runs)`,
      path: list,
      shows: new RegExp(`(class="latest-run"><a [^>]+><span class="badge[^>]+>planned<.*){${WORKSPACES_WITH_RUNS}}`, 's'),
    },
    { name: `workspaces list ?tag=${COMMON_TAG} (10%)`, path: `${list}?tag=${COMMON_TAG}`, shows: /Page 1 of \d+/ },
    { name: `workspaces list, page ${Math.ceil(pages / 2)} of ${pages}`, path: `${list}?page=${Math.ceil(pages / 2)}`, shows: /<tbody><tr>/ },
    { name: 'workspace page', path: `${list}/${shown.workspace}`, shows: /Latest run.*planned/s },
    {
      name: `run page (${PLANNED_RESOURCES} resource changes)`,
      path: `${list}/${shown.workspace}/runs/${shown.runId}`,
      shows: new RegExp(`To create \\(${PLANNED_RESOURCES}\\)`),
    },
  ];
}

async function benchmarkDatabase(kind: DatabaseKind, size: number, options: WebOptions): Promise<BenchRows> {
  const server = new TestServer(kind, { env: { TERRACE_RATE_LIMIT: '1000000' } });
  await server.start();
  try {
    const world = new RunWorld(server);
    await world.setUp();
    const started = performance.now();
    await seedWorkspaces(server.database.db, world.orgId, world.defaultProjectId, size);
    const shown = await seedRuns(server, world);
    progress(`${kind}: seeded ${size} workspaces and ${WORKSPACES_WITH_RUNS} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const owner = await server.database.db.selectFrom('users').select('username').where('id', '=', world.ownerId).executeTakeFirstOrThrow();
    const browser = new WebClient(server);
    await browser.signIn(owner.username);
    const cookie = `${SESSION_COOKIE}=${browser.cookies.get(SESSION_COOKIE)}`;
    const ca = readFileSync(server.caFile, 'utf8');
    const all: BenchRows = { rows: [], passed: true };
    for (const c of pageCases(world.org, size, shown)) {
      const page = await browser.get(c.path);
      if (page.status !== 200 || !c.shows.test(page.text))
        throw new Error(`${c.name}: expected 200 showing ${c.shows}, got ${page.status} ${page.text.slice(0, 300)}`);
      const m = await measure({ baseUrl: server.url, ca, token: '', cookie, method: 'GET', path: c.path }, options);
      const ok = m.failures === 0 && m.p99 <= PAGE_TARGET_MS;
      all.passed &&= ok;
      const result = m.failures > 0 ? `FAIL (${m.statusCodes}, ${m.failures} failed)` : ok ? 'pass' : 'FAIL';
      const row = [kind, String(size), c.name, m.p50.toFixed(1), m.p99.toFixed(0), m.requestsPerSecond.toFixed(0), `p99 ≤ ${PAGE_TARGET_MS}`, result];
      progress(row.join('  '));
      all.rows.push(row);
    }
    return all;
  } finally {
    await server.stop();
  }
}

const BASELINE_PAGE = {
  label: 'bare Fastify HTTPS route, small page',
  contentType: 'text/html; charset=utf-8',
  body: '<!DOCTYPE html><html lang="en"><head><title>Baseline</title></head><body><h1>Baseline</h1></body></html>',
};

/** Runs every database × size and prints the table; false when a target was missed or a request failed. */
export async function run(args: string[]): Promise<boolean> {
  const options = parseOptions(args);
  const baseline = await measureBaseline(options, BASELINE_PAGE);
  progress(baseline.join('  '));
  const { rows, passed } = await forEachDatabaseAndSize(options, (kind, size) => benchmarkDatabase(kind, size, options));
  process.stdout.write(
    `\nWeb UI page budget: one signed-in client, ${options.duration} s per page over HTTPS loopback\n` +
      `${formatTable(['database', 'workspaces', 'page', 'p50 ms', 'p99 ms', 'req/s', 'target', 'result'], [baseline, ...rows])}\n`,
  );
  return passed;
}
