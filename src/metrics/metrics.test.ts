// run-tests: one job per database
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase, type TestServer } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';

/** GET /metrics (issue 15): Prometheus text behind the metrics token, counters that move with traffic and runs. */

const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';

async function scrape(server: TestServer): Promise<string> {
  const res = await server.api('GET', '/metrics', { token: METRICS_TOKEN });
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  return res.text;
}

/** The value of one series in a scrape, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

forEachDatabase(
  'metrics',
  (server) => {
    const world = new RunWorld(server);
    before(() => world.setUp());

    it('answers only the metrics token', async () => {
      assert.equal((await server.api('GET', '/metrics')).status, 401);
      assert.equal((await server.api('GET', '/metrics', { token: `${METRICS_TOKEN}x` })).status, 401);
      assert.equal((await server.api('GET', '/metrics', { token: world.ownerToken })).status, 401, 'an API token is not the metrics token');
      assert.match(await scrape(server), /^# HELP process_cpu_user_seconds_total/m, 'with the process metrics');
    });

    it('counts requests by route template and status', async () => {
      const series = 'terrace_http_request_duration_seconds_count{method="GET",route="/api/v2/workspaces/:workspace_id",status="404"}';
      const before = sample(await scrape(server), series);
      for (let i = 0; i < 3; i++) assert.equal((await server.api('GET', `/api/v2/workspaces/ws-nothing${i}`, { token: world.ownerToken })).status, 404);
      assert.equal(sample(await scrape(server), series) - before, 3);
    });

    it('shows runs by status, and the phases the runner finished with their durations', async () => {
      const ws = await world.createWorkspace({ 'auto-apply': true });
      await world.uploadConfiguration(ws.id, { 'main.tf': 'resource "terraform_data" "a" {\n  input = "a"\n}\n' });
      const before = await scrape(server);
      const run = await world.createRun(ws.id);
      assert.equal((await world.waitForStatus(run.id, ['applied', 'errored'])).attributes.status, 'applied');
      const after = await scrape(server);
      assert.equal(sample(after, 'terrace_runs{status="applied"}') - sample(before, 'terrace_runs{status="applied"}'), 1);
      assert.equal(
        sample(after, 'terrace_run_phases_finished_total{phase="plan",outcome="planned"}') -
          sample(before, 'terrace_run_phases_finished_total{phase="plan",outcome="planned"}'),
        1,
      );
      assert.equal(
        sample(after, 'terrace_run_phases_finished_total{phase="apply",outcome="applied"}') -
          sample(before, 'terrace_run_phases_finished_total{phase="apply",outcome="applied"}'),
        1,
      );
      assert.equal(
        sample(after, 'terrace_run_phase_duration_seconds_count{phase="apply"}') - sample(before, 'terrace_run_phase_duration_seconds_count{phase="apply"}'),
        1,
      );
      assert.ok(sample(after, 'terrace_agents{built_in="true",status="idle"}') >= 1, after);
      assert.match(after, /^terrace_queue_jobs_waiting \d+$/m);
      assert.match(after, /^terrace_queue_oldest_waiting_seconds [\d.]+$/m);
      if (server.kind === 'postgres') assert.match(after, /^terrace_db_pool_connections\{state="total"\} \d+$/m);
    });
  },
  { env: { TERRACE_METRICS_TOKEN: METRICS_TOKEN, TERRACE_RUNNER_SLOTS: '1' } },
);

forEachDatabase('metrics without a token setting', (server) => {
  it('are off', async () => {
    assert.equal((await server.api('GET', '/metrics', { token: METRICS_TOKEN })).status, 404);
  });
});
