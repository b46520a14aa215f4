import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';
import { FIRE_JOB } from './lifecycle.js';
import { eventually } from '../../test/fixtures.js';

/** Run triggers and run comments (issue 19, run-triggers.mdx, comments.mdx). */

/** As go-tfe sends it; the docs' sample omits `data.type` (the CLI test sends it that way). */
const triggerBody = (sourceId: string | undefined) => ({
  data: { type: 'run-triggers', ...(sourceId ? { relationships: { sourceable: { data: { type: 'workspaces', id: sourceId } } } } : {}) },
});

forEachDatabase('run triggers and comments', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());

  async function connect(destinationId: string, sourceId: string) {
    const res = await world.api('POST', `/workspaces/${destinationId}/run-triggers`, world.ownerToken, triggerBody(sourceId));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  /** Applies a run in the workspace, by hand. */
  async function applyRun(workspaceId: string) {
    const run = await world.createRun(workspaceId);
    await world.waitForStatus(run.id, ['plan_queued'], 10_000);
    await world.plan(run.id);
    assert.equal((await world.action(run.id, 'apply')).status, 202);
    await world.applyPhase(run.id);
    assert.equal(await world.status(run.id), 'applied');
    return run;
  }

  async function runsOf(workspaceId: string) {
    const res = await world.api('GET', `/workspaces/${workspaceId}/runs`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    return res.body.data as any[];
  }

  it('creates, lists inbound and outbound, shows with includes and deletes a run trigger', async () => {
    const source = await world.workspaceWithConfiguration();
    const destination = await world.workspaceWithConfiguration();
    const trigger = await connect(destination.id, source.id);
    assert.match(trigger.id, /^rt-/);
    assert.equal(trigger.attributes['workspace-name'], destination.attributes.name);
    assert.equal(trigger.attributes['sourceable-name'], source.attributes.name);
    assert.deepEqual(trigger.relationships.sourceable.data, { type: 'workspaces', id: source.id });
    assert.equal(trigger.links.self, `/api/v2/run-triggers/${trigger.id}`);

    const inbound = await world.api('GET', `/workspaces/${destination.id}/run-triggers?filter[run-trigger][type]=inbound&include=sourceable`, world.ownerToken);
    assert.equal(inbound.status, 200, inbound.text);
    assert.deepEqual(
      inbound.body.data.map((t: any) => t.id),
      [trigger.id],
    );
    assert.equal(inbound.body.included[0].id, source.id);
    const outbound = await world.api('GET', `/workspaces/${source.id}/run-triggers?filter[run-trigger][type]=outbound`, world.ownerToken);
    assert.deepEqual(
      outbound.body.data.map((t: any) => t.id),
      [trigger.id],
    );
    assert.equal((await world.api('GET', `/workspaces/${source.id}/run-triggers?filter[run-trigger][type]=inbound`, world.ownerToken)).body.data.length, 0);
    for (const query of ['', '?filter[run-trigger][type]=sideways']) {
      const bad = await world.api('GET', `/workspaces/${source.id}/run-triggers${query}`, world.ownerToken);
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.body.errors[0].source.parameter, 'filter[run-trigger][type]');
    }
    assert.equal((await world.api('GET', `/run-triggers/${trigger.id}`, world.ownerToken)).status, 200);
    assert.equal((await world.api('DELETE', `/run-triggers/${trigger.id}`, world.ownerToken)).status, 204);
    assert.equal((await world.api('GET', `/run-triggers/${trigger.id}`, world.ownerToken)).status, 404);
  });

  it("refuses a missing or own source, a duplicate, a 21st source, and another organization's workspace", async () => {
    const destination = await world.workspaceWithConfiguration();
    const refuse = async (body: unknown, status: number) => {
      const res = await world.api('POST', `/workspaces/${destination.id}/run-triggers`, world.ownerToken, body);
      assert.equal(res.status, status, res.text);
      return res;
    };
    assert.equal((await refuse(triggerBody(undefined), 422)).body.errors[0].source.pointer, '/data/relationships/sourceable');
    await refuse(triggerBody(destination.id), 422);
    const sources = [];
    for (let i = 0; i < 20; i++) sources.push(await world.createWorkspace());
    await connect(destination.id, (sources[0] as { id: string }).id);
    await refuse(triggerBody((sources[0] as { id: string }).id), 422);
    for (const source of sources.slice(1)) await connect(destination.id, source.id);
    const tooMany = await refuse(triggerBody((await world.createWorkspace()).id), 422);
    assert.match(tooMany.body.errors[0].detail, /at most 20/);
    const foreign = await world.api('POST', `/organizations/${world.otherOrg}/workspaces`, world.strangerToken, {
      data: { type: 'workspaces', attributes: { name: 'elsewhere' } },
    });
    assert.equal(foreign.status, 201, foreign.text);
    await refuse(triggerBody(foreign.body.data.id), 404);
  });

  it('needs admin on the workspace and read runs on the source; readers of either side see the trigger', async () => {
    const source = await world.workspaceWithConfiguration();
    const destination = await world.workspaceWithConfiguration();
    const destinationWriter = await world.teamToken(destination.id, 'write');
    assert.equal((await world.api('POST', `/workspaces/${destination.id}/run-triggers`, destinationWriter, triggerBody(source.id))).status, 404);
    const destinationAdmin = await world.teamToken(destination.id, 'admin');
    // Admin here, but no access to the source's runs.
    assert.equal((await world.api('POST', `/workspaces/${destination.id}/run-triggers`, destinationAdmin, triggerBody(source.id))).status, 404);
    const trigger = await connect(destination.id, source.id);
    const sourceReader = await world.teamToken(source.id, 'read');
    assert.equal((await world.api('GET', `/run-triggers/${trigger.id}`, sourceReader)).status, 200);
    assert.equal((await world.api('DELETE', `/run-triggers/${trigger.id}`, sourceReader)).status, 404);
    assert.equal((await world.api('DELETE', `/run-triggers/${trigger.id}`, destinationWriter)).status, 404);
    assert.equal((await world.api('DELETE', `/run-triggers/${trigger.id}`, destinationAdmin)).status, 204);
  });

  it('queues a run in each destination once when a source run applies, auto-applied only with auto-apply-run-trigger', async () => {
    const source = await world.workspaceWithConfiguration();
    const plain = await world.workspaceWithConfiguration({ 'auto-apply': true });
    const autoApplied = await world.workspaceWithConfiguration({ 'auto-apply-run-trigger': true });
    await connect(plain.id, source.id);
    await connect(autoApplied.id, source.id);
    const applied = await applyRun(source.id);
    const [plainRun] = await eventually(
      () => runsOf(plain.id),
      (runs) => runs.length === 1,
      'the triggered run',
    );
    assert.equal(plainRun.attributes.message, `Triggered by run ${applied.id} applied in workspace ${source.attributes.name}`);
    assert.equal(plainRun.attributes['trigger-reason'], 'run_trigger');
    // The workspace's own auto-apply does not apply to triggered runs (run-triggers settings page).
    assert.equal(plainRun.attributes['auto-apply'], false);
    const [autoRun] = await eventually(
      () => runsOf(autoApplied.id),
      (runs) => runs.length === 1,
      'the auto-applied triggered run',
    );
    assert.equal(autoRun.attributes['auto-apply'], true);
    // The job again (at-least-once delivery) queues nothing more.
    const { fireRunTriggers } = await import('./fire-job.js');
    await fireRunTriggers(server.adminCtx(), { runId: applied.id });
    assert.equal((await runsOf(plain.id)).length, 1);
  });

  it('never comes back to a workspace of the chain: A → B → A applies B once', async () => {
    const a = await world.workspaceWithConfiguration();
    const b = await world.workspaceWithConfiguration({ 'auto-apply-run-trigger': true });
    await connect(b.id, a.id);
    await connect(a.id, b.id);
    await applyRun(a.id);
    const [bRun] = await eventually(
      () => runsOf(b.id),
      (runs) => runs.length === 1,
      'B run',
    );
    await world.waitForStatus(bRun.id, ['plan_queued'], 10_000);
    await world.plan(bRun.id);
    await world.applyPhase(bRun.id);
    assert.equal(await world.status(bRun.id), 'applied');
    // B's applied run queued its trigger job in the same transaction: once that job is done, A's runs are final.
    await server.jobsDone(FIRE_JOB, bRun.id);
    assert.equal((await runsOf(a.id)).length, 1, 'A was not queued again by its own chain');
  });

  it('comments on a run: listed, shown, and one of its events; readers may not comment', async () => {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    const created = await world.api('POST', `/runs/${run.id}/comments`, world.ownerToken, { data: { type: 'comments', attributes: { body: 'Looks good' } } });
    assert.equal(created.status, 201, created.text);
    const comment = created.body.data;
    assert.match(comment.id, /^wsc-/);
    assert.equal(comment.attributes.body, 'Looks good');
    const listed = await world.api('GET', `/runs/${run.id}/comments`, world.ownerToken);
    assert.deepEqual(
      listed.body.data.map((c: any) => c.id),
      [comment.id],
    );
    assert.equal((await world.api('GET', `/comments/${comment.id}`, world.ownerToken)).body.data.attributes.body, 'Looks good');
    const events = await world.api('GET', `/runs/${run.id}/run-events`, world.ownerToken);
    const event = events.body.data.find((e: any) => e.id === comment.relationships['run-event'].data.id);
    assert.equal(event.attributes.action, 'commented');
    assert.equal(event.attributes.description, 'Looks good');

    const reader = await world.teamToken(ws.id, 'read');
    assert.equal((await world.api('GET', `/comments/${comment.id}`, reader)).status, 200);
    assert.equal((await world.api('POST', `/runs/${run.id}/comments`, reader, { data: { type: 'comments', attributes: { body: 'me too' } } })).status, 403);
    const stranger = await server.createUser();
    assert.equal((await world.api('GET', `/comments/${comment.id}`, stranger.token)).status, 404);
    const empty = await world.api('POST', `/runs/${run.id}/comments`, world.ownerToken, { data: { type: 'comments', attributes: { body: ' ' } } });
    assert.equal(empty.status, 422);
  });
});
