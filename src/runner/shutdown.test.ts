// run-tests: one job per database
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';

/**
 * Graceful shutdown (issue 15): at SIGTERM `terrace serve` stops its built-in runner with the grace
 * period TERRACE_SHUTDOWN_GRACE (serve.ts → LocalAgents.stop): the agents take no more work, a phase in
 * progress may finish within the period, and one that outlives it is interrupted and errors its run.
 * Real runs with terraform, through the API.
 */

/** An apply that takes `seconds` (a create-time provisioner), and a plan that does not. */
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
