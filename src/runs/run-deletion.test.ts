import assert from 'node:assert/strict';
import type { RunId, WorkspaceId } from '../ids.js';
import { before, it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import * as logStore from './log-store.js';
import * as runnerService from './runner-service.js';
import { RunWorld, runBody } from './testing.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

forEachDatabase('deleting a workspace or an organization while its run is planning', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());

  /**
   * What a runner does with a planning run: it checks for a cancel request, then writes the rest of the
   * log and ends the run. Resolves with whatever it failed on (a deleted run makes its writes fail).
   */
  async function runnerStopping(run: { id: RunId; relationships: any }): Promise<unknown> {
    try {
      while (!(await runnerService.cancelRequested(server.database.db, run.id))) await sleep(50);
      await sleep(300);
      const phase = { id: run.relationships.plan.data.id, runId: run.id };
      await logStore.appendChunk(server.database.db, phase, 0, { offset: 0, data: Buffer.from('Interrupt received.\n') });
      await logStore.deleteChunks(server.database.db, phase.id);
      await runnerService.finishCanceled(world.runner(), run.id);
      return undefined;
    } catch (err) {
      return err;
    }
  }

  async function planningRun(organization = world.org) {
    const ws = await world.createWorkspace({}, undefined, organization);
    await world.uploadedVersion(ws.id);
    const res = await world.api('POST', '/runs', world.ownerToken, runBody(ws.id));
    assert.equal(res.status, 201, res.text);
    await world.claim(res.body.data.id);
    assert.equal(await world.status(res.body.data.id), 'planning');
    return { ws, run: res.body.data };
  }

  async function runsOf(workspaceId: WorkspaceId) {
    return server.database.db.selectFrom('runs').select('id').where('workspace_id', '=', workspaceId).execute();
  }

  it('cancels the run through its runner, then deletes the workspace, without errors', async () => {
    const { ws, run } = await planningRun();
    const runner = runnerStopping(run);
    const deleted = await world.api('DELETE', `/workspaces/${ws.id}`, world.ownerToken);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(await runner, undefined, 'the runner wrote its log and ended the run before the workspace went');
    assert.deepEqual(await runsOf(ws.id), []);
    assert.equal((await world.api('GET', `/workspaces/${ws.id}`, world.ownerToken)).status, 404);
  });

  it('cancels the runs of every workspace, then deletes the organization', async () => {
    const name = unique('doomed');
    await world.createOrganization(world.ownerToken, name);
    const { ws, run } = await planningRun(name);
    const runner = runnerStopping(run);
    const deleted = await world.api('DELETE', `/organizations/${name}`, world.ownerToken);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(await runner, undefined);
    assert.deepEqual(await runsOf(ws.id), []);
  });

  it('does not wait for a run whose runner is gone (its lease expired)', async () => {
    const { ws, run } = await planningRun();
    await server.database.db
      .updateTable('runs')
      .set({ runner_lease_until: new Date(Date.now() - 60_000) })
      .where('id', '=', run.id)
      .execute();
    const started = Date.now();
    assert.equal((await world.api('DELETE', `/workspaces/${ws.id}`, world.ownerToken)).status, 204);
    assert.ok(Date.now() - started < 5000, 'answered without waiting for a runner');
    assert.deepEqual(await runsOf(ws.id), []);
  });
});
