import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { WorkspaceId } from '../ids.js';
import { before, it } from 'node:test';
import { assertError } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import { msUntilNextLook, REAPED_REASON, reapExpiredLeases } from './reaper.js';
import * as runnerService from './runner-service.js';
import * as runCreation from './create.js';
import { NO_CHANGES, RunWorld, runBody } from './testing.js';

forEachDatabase('run queue', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token = world.ownerToken, body?: unknown) => world.api(method, path, token, body);
  const workspace = async (id: string) => (await api('GET', `/workspaces/${id}`)).body.data;
  const statuses = async (...ids: string[]) => Promise.all(ids.map((id) => world.status(id)));

  it('runs one run at a time per workspace, in order, the active one holding the lock', async () => {
    const ws = await world.workspaceWithConfiguration();
    const first = await world.createRun(ws.id);
    const second = await world.createRun(ws.id);
    assert.deepEqual(await statuses(first.id, second.id), ['plan_queued', 'pending']);
    let current = await workspace(ws.id);
    assert.deepEqual(current.relationships['locked-by'].data, { id: first.id, type: 'runs' });
    assert.deepEqual(current.relationships['current-run'].data, { id: first.id, type: 'runs' });
    assert.deepEqual(current.relationships['latest-run'].data, { id: second.id, type: 'runs' });

    // Waiting for confirmation still holds the workspace.
    await world.plan(first.id);
    assert.deepEqual(await statuses(first.id, second.id), ['planned', 'pending']);
    const applied = await world.action(first.id, 'apply', world.ownerToken, { comment: 'Looks good to me' });
    assert.equal(applied.status, 202, applied.text);
    assert.equal(applied.text, '');
    assert.deepEqual(await statuses(first.id, second.id), ['apply_queued', 'pending']);
    assert.equal((await api('GET', `/runs/${first.id}/apply`)).body.data.attributes.status, 'queued');
    await world.applyPhase(first.id);
    assert.deepEqual(await statuses(first.id, second.id), ['applied', 'plan_queued']);
    current = await workspace(ws.id);
    assert.deepEqual(current.relationships['locked-by'].data, { id: second.id, type: 'runs' });
    assert.deepEqual(current.relationships['current-run'].data, { id: second.id, type: 'runs' });

    const events = (await api('GET', `/runs/${first.id}/run-events`)).body.data;
    assert.deepEqual(
      events.map((e: any) => e.attributes.action),
      ['pending', 'plan_queued', 'planning', 'planned', 'confirmed', 'apply_queued', 'applying', 'applied'],
    );
    const confirmed = events.find((e: any) => e.attributes.action === 'confirmed');
    assert.equal(confirmed.attributes.description, 'Looks good to me');
    assert.deepEqual(confirmed.relationships.actor.data, { id: world.ownerId, type: 'users' });
    const run = await world.run(first.id);
    assert.deepEqual(Object.keys(run.attributes['status-timestamps']).sort(), [
      'applied-at',
      'apply-queued-at',
      'applying-at',
      'confirmed-at',
      'plan-queueable-at',
      'plan-queued-at',
      'planned-at',
      'planning-at',
    ]);
    const apply = (await api('GET', `/runs/${first.id}/apply`)).body.data.attributes;
    assert.deepEqual([apply.status, apply['resource-additions']], ['finished', 1]);
    await world.drainRunnerQueue();
  });

  it('runs plan-only runs and saved plans in parallel; an applied saved plan waits for the workspace', async () => {
    const ws = await world.workspaceWithConfiguration();
    const holder = await world.createRun(ws.id);
    const speculative = await world.createRun(ws.id, { 'plan-only': true });
    // `plan -out` uploads a provisional version (cli-protocol.md §6.1).
    const provisional = await world.uploadedVersion(ws.id, { provisional: true });
    const created = await api('POST', '/runs', world.ownerToken, runBody(ws.id, { 'save-plan': true }, provisional));
    assert.equal(created.status, 201, created.text);
    const saved = created.body.data;
    assert.deepEqual(await statuses(holder.id, speculative.id, saved.id), ['plan_queued', 'plan_queued', 'plan_queued']);
    await world.plan(holder.id);
    await world.plan(speculative.id);
    await world.plan(saved.id);
    assert.deepEqual(await statuses(speculative.id, saved.id), ['planned_and_finished', 'planned_and_saved']);
    const savedRun = await world.run(saved.id);
    assert.equal(savedRun.attributes.actions['is-confirmable'], true, 'the CLI applies a saved plan when it is confirmable (cli-protocol.md §6.8)');
    assert.deepEqual((await workspace(ws.id)).relationships['locked-by'].data, { id: holder.id, type: 'runs' });

    assert.equal((await world.action(saved.id, 'apply')).status, 202);
    assert.equal(await world.status(saved.id), 'confirmed', 'the workspace is busy: the saved plan waits');
    assert.equal((await world.action(holder.id, 'discard')).status, 202);
    assert.deepEqual(await statuses(holder.id, saved.id), ['discarded', 'apply_queued']);
    const current = await workspace(ws.id);
    assert.deepEqual(current.relationships['locked-by'].data, { id: saved.id, type: 'runs' });
    assert.deepEqual(current.relationships['current-run'].data, { id: saved.id, type: 'runs' });
    assert.notEqual(await configurationVersionStore.currentIdOf(server.database.db, ws.id), provisional);
    await world.applyPhase(saved.id);
    assert.equal(await world.status(saved.id), 'applied');
    assert.equal((await workspace(ws.id)).attributes.locked, false);
    assert.equal(await configurationVersionStore.currentIdOf(server.database.db, ws.id), provisional, 'applied: the provisional version is current');
  });

  it('holds runs back while a user holds the lock; the unlock lets the first in', async () => {
    const ws = await world.workspaceWithConfiguration();
    assert.equal((await api('POST', `/workspaces/${ws.id}/actions/lock`)).status, 200);
    const run = await world.createRun(ws.id);
    assert.equal(await world.status(run.id), 'pending');
    // The CLI shows "Waiting for the manually locked workspace" from this (cli-protocol.md §6.9).
    let current = await workspace(ws.id);
    assert.deepEqual(current.relationships['current-run'].data, { id: run.id, type: 'runs' });
    assert.deepEqual(current.relationships['locked-by'].data, { id: world.ownerId, type: 'users' });

    const unlocked = await api('POST', `/workspaces/${ws.id}/actions/unlock`);
    assert.equal(unlocked.status, 200, unlocked.text);
    assert.equal(await world.status(run.id), 'plan_queued');
    current = await workspace(ws.id);
    assert.deepEqual(current.relationships['locked-by'].data, { id: run.id, type: 'runs' });
    // A run's lock is not a user's to release (cli-protocol.md §5.3).
    assertError(await api('POST', `/workspaces/${ws.id}/actions/unlock`), 409, new RegExp(`is locked by Run ${run.id}`));
    assertError(await api('POST', `/workspaces/${ws.id}/actions/lock`), 409, /already locked/);
    await world.drainRunnerQueue();
    assert.equal((await workspace(ws.id)).attributes.locked, false, 'an ended run releases its lock');
  });

  it('applies auto-apply runs by itself, and finishes plans without changes', async () => {
    const ws = await world.workspaceWithConfiguration();
    const auto = await world.createRun(ws.id, { 'auto-apply': true });
    await world.plan(auto.id);
    // -auto-approve never confirms (cli-protocol.md §11.8).
    assert.equal(await world.status(auto.id), 'apply_queued');
    await world.applyPhase(auto.id);

    const unchanged = await world.createRun(ws.id);
    const next = await world.createRun(ws.id);
    await world.plan(unchanged.id, { hasChanges: false, counts: NO_CHANGES });
    assert.deepEqual(await statuses(unchanged.id, next.id), ['planned_and_finished', 'plan_queued']);
    const finished = await world.run(unchanged.id);
    assert.deepEqual([finished.attributes['has-changes'], finished.attributes.actions['is-confirmable']], [false, false]);
    assert.equal((await api('GET', `/runs/${unchanged.id}/apply`)).body.data.attributes.status, 'unreachable');

    await world.plan(next.id, { hasChanges: false, counts: NO_CHANGES });
    const empty = await world.createRun(ws.id, { 'allow-empty-apply': true });
    await world.plan(empty.id, { hasChanges: false, counts: NO_CHANGES });
    assert.equal(await world.status(empty.id), 'planned', 'an empty apply was asked for');
    assert.equal((await world.action(empty.id, 'discard')).status, 202);
  });

  it('claims the oldest queued run within each organization’s concurrency limit', async () => {
    await world.drainRunnerQueue();
    const runner = world.runner();
    const [a, b, c] = [await world.workspaceWithConfiguration(), await world.workspaceWithConfiguration(), await world.workspaceWithConfiguration()];
    const runA = await world.createRun(a.id);
    const runB = await world.createRun(b.id);
    const runC = await world.createRun(c.id, { 'plan-only': true });
    const other = await world.createWorkspace({}, undefined, world.otherOrg, world.strangerToken);
    await world.uploadedVersion(other.id);
    const foreign = await world.createRun(other.id, {}, world.strangerToken);

    const first = await runnerService.claimNext(runner, 2);
    const second = await runnerService.claimNext(runner, 2);
    assert.deepEqual([first?.run.id, first?.phase, second?.run.id], [runA.id, 'plan', runB.id]);
    assert.equal(first?.run.status, 'planning');
    // The organization is at its limit: the other organization's run goes first.
    assert.equal((await runnerService.claimNext(runner, 2))?.run.id, foreign.id);
    assert.equal(await runnerService.claimNext(runner, 2), undefined);
    assert.equal(await world.status(runC.id), 'plan_queued');
    const runD = await world.createRun(b.id, { 'plan-only': true });

    // The organization's line as the CLI reads it (cli-protocol.md §6.9): running first at 0, then the
    // queued ones by the number of runs ahead of them; the other organization's run is not in it.
    const queue = await api('GET', `/organizations/${world.org}/runs/queue?page[size]=3`);
    assert.equal(queue.status, 200, queue.text);
    const line = queue.body.data.map((r: any) => [r.id, r.attributes.status, r.attributes['position-in-queue']]);
    assert.deepEqual(line.slice(2), [[runC.id, 'plan_queued', 2]]);
    assert.deepEqual(new Set(line.slice(0, 2).map((entry: unknown[]) => entry.join())), new Set([`${runA.id},planning,0`, `${runB.id},planning,0`]));
    assert.deepEqual([queue.body.meta.pagination['total-count'], queue.body.meta.pagination['total-pages']], [4, 2]);
    const secondPage = await api('GET', `/organizations/${world.org}/runs/queue?page[size]=3&page[number]=2`);
    assert.deepEqual(
      secondPage.body.data.map((r: any) => [r.id, r.attributes['position-in-queue']]),
      [[runD.id, 3]],
    );
    assert.equal('position-in-queue' in (await world.run(runC.id)).attributes, false);
    const capacity = await api('GET', `/organizations/${world.org}/capacity`);
    assert.equal(capacity.status, 200, capacity.text);
    assert.deepEqual(capacity.body.data, { id: world.org, type: 'organization-capacity', attributes: { pending: 2, running: 2 } });
    for (const path of ['runs/queue', 'capacity']) {
      assert.equal((await api('GET', `/organizations/${world.org}/${path}`, world.strangerToken)).status, 404);
    }
    assert.equal((await world.action(runD.id, 'cancel')).status, 202);

    await runnerService.finishPlan(runner, runA.id, { hasChanges: false, counts: NO_CHANGES });
    assert.equal((await runnerService.claimNext(runner, 2))?.run.id, runC.id);
    assert.equal(await world.status(runC.id), 'planning');

    // The default limit is the TERRACE_RUN_CONCURRENCY setting.
    assert.equal(server.config.runConcurrency, 10);
    for (const id of [runB.id, runC.id, foreign.id]) await runnerService.failPhase(runner, id, 'test over');
    const last = (await api('GET', `/runs/${runB.id}/run-events`)).body.data.at(-1).attributes;
    assert.deepEqual([last.action, last.description], ['errored', 'test over']);
  });

  it('errors runs whose runner stopped renewing its lease, and releases their lock', async () => {
    const runner = world.runner();
    const ws = await world.workspaceWithConfiguration();
    const lost = await world.createRun(ws.id);
    const waiting = await world.createRun(ws.id);
    await world.claim(lost.id);
    assert.equal(await runnerService.renewLease(world.runner(), lost.id), true);
    assert.equal(await reapExpiredLeases(runner), 0, 'a live lease is left alone');
    await server.database.db
      .updateTable('runs')
      .set({ runner_lease_until: new Date(Date.now() - 60_000) })
      .where('id', '=', lost.id)
      .execute();
    assert.equal(await reapExpiredLeases(runner), 1);
    assert.deepEqual(await statuses(lost.id, waiting.id), ['errored', 'plan_queued']);
    const events = (await api('GET', `/runs/${lost.id}/run-events`)).body.data;
    assert.deepEqual(events.at(-1).attributes.description, REAPED_REASON);
    assert.equal((await api('GET', `/runs/${lost.id}/plan`)).body.data.attributes.status, 'errored');
    assert.deepEqual((await workspace(ws.id)).relationships['locked-by'].data, { id: waiting.id, type: 'runs' });
    assert.equal(await runnerService.renewLease(world.runner(), lost.id), false, 'the runner learns the run is no longer its own');
    assert.equal(await runnerService.cancelRequested(server.database.db, lost.id), true);
    await world.drainRunnerQueue();
  });

  it('looks for lapsed leases again when the earliest held lease ends, or after its interval', async () => {
    const runner = world.runner();
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    await world.claim(run.id);
    // Renewed once: the agent accepted the phase, so a lapsed lease errors the run.
    assert.equal(await runnerService.renewLease(runner, run.id), true);
    const leaseEndsIn = async (seconds: number) => {
      await server.database.db
        .updateTable('runs')
        .set({ runner_lease_until: sql<Date>`now() + make_interval(secs => ${seconds})` })
        .where('id', '=', run.id)
        .execute();
    };
    // Other runs of this suite may hold earlier leases: the look is at most this one's end away.
    await leaseEndsIn(3);
    const next = await msUntilNextLook(runner, 60_000);
    assert.ok(next <= 3_050, `looks again in ${next} ms, after the lease's end`);
    assert.equal(await msUntilNextLook(runner, 500), 500, 'the interval when it is sooner');
    await leaseEndsIn(-1);
    assert.ok((await msUntilNextLook(runner, 60_000)) >= 1_000, 'a lease past its end is not looked at in a busy loop');
    assert.ok((await reapExpiredLeases(runner)) >= 1);
    assert.equal(await world.status(run.id), 'errored');
    await world.drainRunnerQueue();
  });

  it('holds configuration version runs back until a manual run, unless queue-all-runs is on', async () => {
    const ws = await world.workspaceWithConfiguration();
    const db = server.database.db;
    const upload = async (workspaceId: WorkspaceId) => {
      const cv = await world.uploadedVersion(workspaceId, { autoQueueRuns: true });
      return db.transaction().execute((trx) => runCreation.queueForUpload(trx, { id: cv, workspaceId, speculative: false }, new Date()));
    };
    const early = await upload(ws.id);
    const early2 = await upload(ws.id);
    const shown = await world.run(early);
    assert.deepEqual(
      [shown.attributes.status, shown.attributes.source, shown.relationships['created-by'].data],
      ['pending', 'tfe-configuration-version', null],
    );
    assert.equal((await workspace(ws.id)).relationships['current-run'].data, null);

    const manual = await world.createRun(ws.id);
    assert.deepEqual(await statuses(early, early2, manual.id), ['pending', 'pending', 'plan_queued']);
    const later = await upload(ws.id);
    await world.plan(manual.id);
    assert.equal((await world.action(manual.id, 'discard')).status, 202);
    assert.deepEqual(await statuses(early, early2, later), ['pending', 'pending', 'plan_queued'], 'queued after a manual run: in line');
    // Force-executing a held-back run is refused like one that is not pending.
    assertError(await world.action(early, 'force-execute'), 403, /not queued/);
    for (const id of [early, early2]) assert.equal((await world.action(id, 'discard')).status, 202);

    const queueAll = await world.workspaceWithConfiguration({ 'queue-all-runs': true });
    assert.equal(await world.status(await upload(queueAll.id)), 'plan_queued');
    await world.drainRunnerQueue();
  });

  it('refuses runner steps a run is not in (409) and leaves ended runs as they are', async () => {
    const runner = world.runner();
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    await assert.rejects(runnerService.finishPlan(runner, run.id, { hasChanges: true, counts: NO_CHANGES }), { status: 409 });
    await assert.rejects(runnerService.finishApply(runner, run.id, { counts: NO_CHANGES }), { status: 409 });
    assert.equal(await world.status(run.id), 'plan_queued');
    assert.equal((await world.action(run.id, 'cancel')).status, 202);
    assert.equal((await runnerService.failPhase(runner, run.id, 'too late')).status, 'canceled');
    assert.equal((await runnerService.finishCanceled(runner, run.id)).status, 'canceled');
  });

  it('claims, leases and changes statuses reading the runs without their phases', async () => {
    const db = server.database.db;
    const statements: string[] = [];
    const recording = db.withPlugin({
      transformQuery: ({ node, queryId }) => {
        statements.push(db.getExecutor().compileQuery(node, queryId).sql);
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    const runner = { ...world.runner(), db: recording };
    await world.drainRunnerQueue();
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    assert.equal((await runnerService.claimNext(runner, 1000))?.run.id, run.id);
    assert.equal(await runnerService.renewLease(runner, run.id), true);
    assert.equal((await runnerService.finishPlan(runner, run.id, { hasChanges: true, counts: NO_CHANGES })).status, 'planned');
    assert.ok(
      statements.some((text) => /from "runs"/.test(text)),
      statements.join('\n'),
    );
    assert.deepEqual(
      statements.filter((text) => text.includes('to_jsonb(plans)') || text.includes('to_jsonb(applies)')),
      [],
    );
    assert.equal((await world.run(run.id)).attributes.status, 'planned');
  });
});
