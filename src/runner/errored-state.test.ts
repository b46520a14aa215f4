// run-tests: one job per database
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';

/**
 * A real apply whose state terraform cannot upload (larger than TERRACE_MAX_STATE_BYTES): terraform
 * writes `errored.tfstate`, the runner keeps it, and the apply's errored-state serves it (applies.mdx).
 */
forEachDatabase(
  'errored state of a real apply',
  (server) => {
    const world = new RunWorld(server);
    before(() => world.setUp());

    it('keeps the errored.tfstate of an apply whose state upload was refused', async () => {
      const ws = await world.createWorkspace({ 'auto-apply': true });
      await world.uploadConfiguration(ws.id, {
        'main.tf': 'resource "terraform_data" "big" {\n  input = join("", [for i in range(500) : "0123456789"])\n}\n',
      });
      const created = await world.createRun(ws.id);
      const run = await world.waitForStatus(created.id, ['applied', 'errored', 'canceled', 'discarded']);
      assert.equal(run.attributes.status, 'errored', JSON.stringify(run.attributes));
      assert.match(await world.phaseLog(run.id, 'apply'), /errored state/);

      const state = await server.api('GET', `/api/v2/applies/${run.relationships.apply.data.id}/errored-state`, {
        token: world.ownerToken,
        redirect: 'follow',
      });
      assert.equal(state.status, 200, state.text);
      assert.equal(state.body.resources[0].type, 'terraform_data');
      assert.ok(state.body.resources[0].instances[0].attributes.input.value === '0123456789'.repeat(500), 'the applied resource, as terraform had it');
    });
  },
  { env: { TERRACE_RUNNER_SLOTS: '1', TERRACE_MAX_STATE_BYTES: '4096' } },
);
