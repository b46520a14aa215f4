// run-tests: one job per database
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { eventually } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';

/**
 * Graceful shutdown (issue 15): at SIGTERM `terrace serve` stops its built-in runner with the grace
 * period TERRACE_SHUTDOWN_GRACE (serve.ts → LocalAgents.stop): the agents take no more work, a phase in
 * progress may finish within the period, and one that outlives it is interrupted: an apply errors its
 * run, a plan goes back to the queue. Real runs with terraform, through the API.
 */

/** An apply that takes `seconds` (a create-time provisioner), and a plan that does not. */
/**
 * A plan that waits on an HTTP state backend (terraform_remote_state reads at plan time): the first
 * read hangs until the test releases it, later ones answer at once with an empty state.
 */
class SlowStateBackend {
  private readonly server: Server;
  private first = true;
  private readonly hung: Array<() => void> = [];
  readonly reached: Promise<void>;

  constructor() {
    let reached = () => {};
    this.reached = new Promise((resolve) => (reached = resolve));
    this.server = createServer((_request, response) => {
      const answer = () => response.end(JSON.stringify({ version: 4, terraform_version: '1.11.0', serial: 1, lineage: 'slow', outputs: {}, resources: [] }));
      if (!this.first) return answer();
      this.first = false;
      this.hung.push(answer);
      reached();
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/state`;
  }

  /** Answers the hung read. */
  release(): void {
    for (const answer of this.hung.splice(0)) answer();
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const slowPlan = (address: string) => `data "terraform_remote_state" "slow" {
  backend = "http"
  config = {
    address = "${address}"
  }
}
resource "terraform_data" "a" {
  input = "a"
}
`;

const slowApply = (seconds: number) => `resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep ${seconds}"
  }
}
`;

forEachDatabase(
  'graceful shutdown of the built-in runner',
  (server) => {
    const world = new RunWorld(server);
    before(() => world.setUp());

    async function applyingRun(seconds: number) {
      const ws = await world.createWorkspace({ 'auto-apply': true });
      await world.uploadConfiguration(ws.id, { 'main.tf': slowApply(seconds) });
      const run = await world.createRun(ws.id);
      await world.waitForStatus(run.id, ['applying']);
      // Applying is set at the claim; the agent accepts the job after that (agent/worker.ts), and one
      // stopped in between leaves the apply to the queue. These tests are about an apply under way.
      const deadline = Date.now() + 60_000;
      while (!/Provisioning with 'local-exec'/.test(await world.phaseLogSoFar(run.id, 'apply'))) {
        assert.ok(Date.now() < deadline, 'the apply reached its provisioner within a minute');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return run;
    }

    it('lets an apply in progress finish within the grace period', async () => {
      const run = await applyingRun(3);
      const started = Date.now();
      await server.runner.stop(60_000);
      assert.ok(Date.now() - started < 60_000, 'the runner stopped once the apply was done, not at the end of the grace period');
      const done = await world.run(run.id);
      assert.equal(done.attributes.status, 'applied', JSON.stringify(done.attributes));
      await server.restartApp(0);
    });

    it('puts a plan that outlives the grace period back in the queue; the next runner plans it', async () => {
      const backend = new SlowStateBackend();
      after(() => backend.close());
      const ws = await world.createWorkspace();
      await world.uploadConfiguration(ws.id, { 'main.tf': slowPlan(await backend.listen()) });
      const run = await world.createRun(ws.id);
      await world.waitForStatus(run.id, ['planning']);
      await backend.reached;
      const stopped = server.runner.stop(1_000);
      // Terraform acts on the interrupt only once its state read returns: answered when terraform says it
      // got the interrupt, the plan stops then, not at the SIGKILL 10 s later.
      await eventually(
        () => world.phaseLogSoFar(run.id, 'plan'),
        (log) => /Interrupt received/.test(log),
        'terraform to take the interrupt',
        { timeoutMs: 60_000 },
      );
      backend.release();
      await stopped;
      const requeued = await world.run(run.id);
      assert.equal(requeued.attributes.status, 'plan_queued', JSON.stringify(requeued.attributes));
      const events = await world.api('GET', `/runs/${run.id}/run-events`, world.ownerToken);
      assert.ok(
        events.body.data.some(
          (e: any) => e.attributes.action === 'plan_queued' && /the agent stopped during the plan; queued again/.test(e.attributes.description),
        ),
        events.text,
      );
      await server.restartApp(0);
      const planned = await world.waitForStatus(run.id, ['planned', 'errored']);
      assert.equal(planned.attributes.status, 'planned', JSON.stringify(planned.attributes));
      const log = await world.phaseLog(run.id, 'plan');
      assert.match(log, /Plan: 1 to add/);
      assert.doesNotMatch(log, /agent stopped/, 'the log is the second plan’s alone');
    });

    it('interrupts a phase that outlives the grace period: its run errors, saying why', async () => {
      const run = await applyingRun(120);
      const started = Date.now();
      await server.runner.stop(1_000);
      assert.ok(Date.now() - started < 30_000, 'interrupted after the grace period');
      const done = await world.waitForStatus(run.id, ['errored', 'applied']);
      assert.equal(done.attributes.status, 'errored');
      assert.match(await world.phaseLog(run.id, 'apply'), /the agent stopped during the apply/);
      await server.restartApp(0);
    });
  },
  { env: { TERRACE_RUNNER_SLOTS: '2' } },
);
