import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import * as runnerService from './runner-service.js';
import { FORCE_CANCEL_COOL_OFF_MS } from './service.js';
import { NO_CHANGES, RunWorld } from './testing.js';

/** The server's clock, moved forward by the force-cancel tests. */
let skewMs = 0;

forEachDatabase(
  'run actions',
  (server) => {
    const world = new RunWorld(server);
    before(() => world.setUp());
    const api = (method: string, path: string, token = world.ownerToken, body?: unknown) => world.api(method, path, token, body);
    const lockedBy = async (id: string) => (await api('GET', `/workspaces/${id}`)).body.data.relationships['locked-by'].data;

    it('applies only runs waiting for confirmation', async () => {
      const ws = await world.workspaceWithConfiguration();
      const run = await world.createRun(ws.id);
      assertError(await world.action(run.id, 'apply'), 409, /not paused for confirmation/);
      await world.plan(run.id);
      // The CLI confirms with `{}` and its media type (cli-protocol.md §6.2).
      const res = await world.action(run.id, 'apply', world.ownerToken, {});
      assert.equal(res.status, 202, res.text);
      assert.equal(await world.status(run.id), 'apply_queued');
      assertError(await world.action(run.id, 'apply'), 409);
      await world.applyPhase(run.id);
      const speculative = await world.createRun(ws.id, { 'plan-only': true });
      await world.plan(speculative.id);
      assert.equal(await world.status(speculative.id), 'planned_and_finished');
      assertError(await world.action(speculative.id, 'apply'), 409, /planned_and_finished/);
    });

    it('discards pending runs and runs waiting for confirmation; later runs proceed', async () => {
      const ws = await world.workspaceWithConfiguration();
      const first = await world.createRun(ws.id);
      const second = await world.createRun(ws.id);
      const third = await world.createRun(ws.id);
      assertError(await world.action(first.id, 'discard'), 409, /discard not allowed/);
      const discarded = await world.action(second.id, 'discard', world.ownerToken, { comment: 'not needed' });
      assert.equal(discarded.status, 202, discarded.text);
      assert.equal(await world.status(second.id), 'discarded');
      const event = (await api('GET', `/runs/${second.id}/run-events`)).body.data.at(-1);
      assert.deepEqual([event.attributes.action, event.attributes.description], ['discarded', 'not needed']);
      const shown = await world.run(second.id);
      assert.deepEqual(shown.attributes.actions, { 'is-cancelable': false, 'is-confirmable': false, 'is-discardable': false, 'is-force-cancelable': false });
      assert.match(shown.attributes['status-timestamps']['discarded-at'], /Z$/);
      await world.plan(first.id);
      assert.equal((await world.action(first.id, 'discard')).status, 202);
      assert.equal(await world.status(third.id), 'plan_queued');
      assertError(await world.action(first.id, 'discard'), 409, /discarded/);
      await world.drainRunnerQueue();
    });

    it('cancels waiting runs at once and asks a runner to stop a running one', async () => {
      const ws = await world.workspaceWithConfiguration();
      const running = await world.createRun(ws.id);
      const pending = await world.createRun(ws.id);
      assert.equal((await world.action(pending.id, 'cancel', world.ownerToken, { comment: 'Lock timeout exceeded' })).status, 202);
      assert.equal(await world.status(pending.id), 'canceled');
      assert.match((await world.run(pending.id)).attributes['canceled-at'], /Z$/);

      await world.claim(running.id);
      assert.equal(await runnerService.cancelRequested(server.database.db, running.id), false);
      assert.equal((await world.action(running.id, 'cancel')).status, 202);
      const asked = await world.run(running.id);
      assert.equal(asked.attributes.status, 'planning', 'the runner ends it once terraform stops');
      assert.deepEqual([asked.attributes.actions['is-cancelable'], asked.attributes.actions['is-force-cancelable']], [false, false]);
      assert.match(asked.attributes['force-cancel-available-at'], /Z$/);
      assert.equal(await runnerService.cancelRequested(server.database.db, running.id), true);
      assertError(await world.action(running.id, 'cancel'), 409, /cancel not allowed/);
      await runnerService.finishCanceled(world.runner(), running.id);
      assert.equal(await world.status(running.id), 'canceled');
      assert.equal((await api('GET', `/runs/${running.id}/plan`)).body.data.attributes.status, 'canceled');
      assert.equal(await lockedBy(ws.id), null);
      assertError(await world.action(running.id, 'cancel'), 409, /canceled/);
    });

    it('force-cancels only after a cancel and its cool-off, unlocking the workspace at once', async () => {
      const ws = await world.workspaceWithConfiguration();
      const writeToken = await world.teamToken(ws.id, 'write');
      const run = await world.createRun(ws.id);
      const next = await world.createRun(ws.id);
      assertError(await world.action(next.id, 'force-cancel'), 409, /not planning or applying/);
      await world.claim(run.id);
      assertError(await world.action(run.id, 'force-cancel'), 409, /cancel it first/);
      assert.equal((await world.action(run.id, 'cancel')).status, 202);
      assertError(await world.action(run.id, 'force-cancel'), 409, /can be force-canceled from/);
      skewMs += FORCE_CANCEL_COOL_OFF_MS + 1000;
      const ready = await world.run(run.id);
      assert.equal(ready.attributes.actions['is-force-cancelable'], true);
      // Force-cancel needs admin access to the workspace (run.mdx): a write team may not.
      assertError(await world.action(run.id, 'force-cancel', writeToken), 404);
      const res = await world.action(run.id, 'force-cancel', world.ownerToken, { comment: 'stuck' });
      assert.equal(res.status, 202, res.text);
      assert.equal(await world.status(run.id), 'force_canceled');
      assert.deepEqual(await lockedBy(ws.id), { id: next.id, type: 'runs' });
      assert.equal(await world.status(next.id), 'plan_queued');
      assert.equal(await runnerService.renewLease(world.runner(), run.id), false, 'the runner stops');
      await world.drainRunnerQueue();
    });

    it('force-executes a pending run by discarding the runs ahead of it', async () => {
      const ws = await world.workspaceWithConfiguration();
      const holder = await world.createRun(ws.id);
      const ahead = await world.createRun(ws.id);
      const target = await world.createRun(ws.id);
      assertError(await world.action(target.id, 'force-execute'), 409, /cannot be discarded/);
      assertError(await world.action(holder.id, 'force-execute'), 403, /not pending/);
      await world.plan(holder.id);
      const res = await world.action(target.id, 'force-execute');
      assert.equal(res.status, 202, res.text);
      assert.deepEqual(await Promise.all([holder.id, ahead.id, target.id].map((id) => world.status(id))), ['discarded', 'discarded', 'plan_queued']);
      assert.deepEqual(await lockedBy(ws.id), { id: target.id, type: 'runs' });
      await world.plan(target.id, { hasChanges: false, counts: NO_CHANGES });

      const locked = await world.workspaceWithConfiguration();
      assert.equal((await api('POST', `/workspaces/${locked.id}/actions/lock`)).status, 200);
      const waiting = await world.createRun(locked.id);
      assertError(await world.action(waiting.id, 'force-execute'), 403, /not locked by another run/);
      assert.equal((await world.action(waiting.id, 'discard')).status, 202);
    });

    it('refuses actions to callers without the permission, unknown runs and bad bodies', async () => {
      const ws = await world.workspaceWithConfiguration();
      const planToken = await world.teamToken(ws.id, 'plan');
      const run = await world.createRun(ws.id);
      for (const name of ['apply', 'discard', 'cancel', 'force-cancel', 'force-execute']) {
        // Organization tokens cannot act on runs (run.mdx notes): the run is reported absent.
        for (const token of [world.orgToken, world.strangerToken, world.memberToken, planToken]) assertError(await world.action(run.id, name, token), 404);
        assertError(await world.action(run.id, name, 'bad-token'), 401);
        assertError(await world.action('run-unknown', name), 404);
      }
      assertInvalid(await world.action(run.id, 'cancel', world.ownerToken, { comment: 5 }), '/comment');
      assertError(await world.action(run.id, 'cancel', world.ownerToken, '"cancel"'), 400);
      assertError(await world.action(run.id, 'cancel', world.ownerToken, '{"comment": '), 400);
      assert.equal(await world.status(run.id), 'plan_queued');
      assert.equal((await world.action(run.id, 'cancel')).status, 202);
    });
  },
  { now: () => new Date(Date.now() + skewMs) },
);
