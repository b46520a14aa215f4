import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import type { Job } from '../agent/protocol.js';
import { newId, type RunId } from '../ids.js';
import { EXITED_AGENT_REASON } from './service.js';
import { REAPED_REASON, reapExpiredLeases } from '../runs/reaper.js';
import { RunWorld } from '../runs/testing.js';

/**
 * The agent protocol (src/agent/protocol.ts) over HTTPS with real tokens: agent tokens register and
 * claim; job tokens work on their own job only and die with the phase.
 */
forEachDatabase('agent protocol', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());

  const JSON_HEADERS = { 'content-type': 'application/json' };
  const call = (method: string, path: string, token: string, body?: unknown) =>
    server.api(method, `/api/agent/v1${path}`, { token, ...(body === undefined ? {} : { body, headers: JSON_HEADERS }) });
  const putLog = (job: Job, offset: number, text: string, token = job.token) =>
    server.api('PUT', `/api/agent/v1/jobs/${job.runId}/${job.phase}/logs?offset=${offset}`, {
      token,
      body: text,
      headers: { 'content-type': 'application/octet-stream' },
    });

  it('registers agents with agent tokens only', async () => {
    assert.equal((await call('POST', '/register', world.ownerToken, {})).status, 404, 'a user token is no agent token');
    assert.equal((await call('POST', '/register', 'not-a-token', {})).status, 401);
    const agent = await world.builtInAgent();
    assert.match(agent.id, /^agent-/);
    const row = await server.database.db.selectFrom('agents').selectAll().where('id', '=', agent.id).executeTakeFirstOrThrow();
    assert.equal(row.name, 'test agent');
    assert.equal(row.status, 'idle');
    assert.equal(row.agent_pool_id, null);
  });

  it('hands out a job with its token and variables, scoped to that job', async () => {
    await world.drainRunnerQueue();
    const ws = await world.workspaceWithConfiguration();
    const sensitive = await world.api('POST', `/workspaces/${ws.id}/vars`, world.ownerToken, {
      data: { type: 'vars', attributes: { key: 'secret', value: 's3cret-value', category: 'terraform', sensitive: true } },
    });
    assert.equal(sensitive.status, 201, sensitive.text);
    const run = await world.createRun(ws.id);
    const job = await world.claimJob(run.id);
    assert.equal(job.phase, 'plan');
    assert.equal(job.hostname, server.hostname);
    assert.equal(job.workspaceName, ws.attributes.name);
    assert.deepEqual(
      job.variables.map((v) => [v.key, v.value, v.sensitive]),
      [['secret', 's3cret-value', true]],
    );
    assert.equal(await world.status(run.id), 'planning');

    const agent = await world.builtInAgent();
    assert.equal((await call('POST', `/jobs/${run.id}/plan/heartbeat`, agent.token)).status, 404, 'the agent token is not the job token');
    assert.equal((await call('POST', `/jobs/${run.id}/apply/heartbeat`, job.token)).status, 404, 'the plan job token is not the apply job token');
    const other = await world.createRun((await world.workspaceWithConfiguration()).id);
    assert.equal((await call('POST', `/jobs/${other.id}/plan/heartbeat`, job.token)).status, 404, 'nor another run job token');
    const beat = await call('POST', `/jobs/${run.id}/plan/heartbeat`, job.token);
    assert.equal(beat.status, 200, beat.text);
    assert.deepEqual(beat.body, { cancel: false });
    // The job token is the run's token for its workspace, and nothing more.
    assert.equal((await world.api('GET', `/workspaces/${ws.id}`, job.token)).status, 200);
    assert.equal((await world.api('GET', `/workspaces/${ws.id}/vars`, job.token)).status, 404);

    assert.equal((await world.action(run.id, 'cancel')).status, 202);
    assert.deepEqual((await call('POST', `/jobs/${run.id}/plan/heartbeat`, job.token)).body, { cancel: true }, 'a cancel reaches the agent');
    assert.equal((await call('POST', `/jobs/${run.id}/plan/finish`, job.token, { outcome: 'canceled' })).status, 204);
    assert.equal(await world.status(run.id), 'canceled');
    assert.equal((await call('POST', `/jobs/${run.id}/plan/heartbeat`, job.token)).status, 401, 'the job token died with the phase');
    await world.drainRunnerQueue();
  });

  it('stores log chunks once, in order, and refuses gaps', async () => {
    const run = await world.createRun((await world.workspaceWithConfiguration()).id);
    const job = await world.claimJob(run.id);
    assert.equal((await putLog(job, 0, 'one\n')).status, 204);
    assert.equal((await putLog(job, 0, 'one\n')).status, 204, 'a retried chunk is accepted');
    const gap = await putLog(job, 10, 'three\n');
    assert.equal(gap.status, 409, gap.text);
    assert.equal((await putLog(job, 4, 'two\n')).status, 204);
    assert.equal((await putLog(job, 4, 'two\n', (await world.builtInAgent()).token)).status, 404);
    assert.equal((await call('POST', `/jobs/${run.id}/plan/finish`, job.token, { outcome: 'failed', reason: 'broken' })).status, 204);
    const plan = (await world.api('GET', `/runs/${run.id}/plan`, world.ownerToken)).body.data;
    const log = await server.api('GET', new URL(plan.attributes['log-read-url']).pathname);
    assert.equal(log.text, '\u0002one\ntwo\n\u0003');
    assert.equal(await world.status(run.id), 'errored');
    const events = (await world.api('GET', `/runs/${run.id}/run-events`, world.ownerToken)).body.data;
    assert.equal(events.at(-1).attributes.description, 'broken');
  });

  it('a plan stores its artifacts for the apply, and bad reports are refused', async () => {
    const run = await world.createRun((await world.workspaceWithConfiguration()).id);
    const job = await world.claimJob(run.id);
    for (const [name, content] of [
      ['plan-file', 'PLANFILE'],
      ['plan-json', '{"resource_changes":[]}'],
      ['plan-redacted-json', '{"resource_changes":[]}'],
    ]) {
      const res = await server.api('PUT', `/api/agent/v1/jobs/${run.id}/plan/artifacts/${name}`, {
        token: job.token,
        body: content,
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(res.status, 204, res.text);
    }
    assert.equal((await server.api('PUT', `/api/agent/v1/jobs/${run.id}/plan/artifacts/nope`, { token: job.token, body: 'x' })).status, 404);
    assert.equal((await call('POST', `/jobs/${run.id}/plan/finish`, job.token, { outcome: 'planned' })).status, 400);
    assert.equal(
      (await call('POST', `/jobs/${run.id}/plan/finish`, job.token, { outcome: 'applied', counts: { additions: 0, changes: 0, destructions: 0, imports: 0 } }))
        .status,
      409,
    );
    const counts = { additions: 1, changes: 0, destructions: 0, imports: 0 };
    assert.equal((await call('POST', `/jobs/${run.id}/plan/finish`, job.token, { outcome: 'planned', hasChanges: true, counts })).status, 204);
    assert.equal(await world.status(run.id), 'planned');

    assert.equal((await world.action(run.id, 'apply')).status, 202);
    const apply = await world.claimJob(run.id);
    assert.equal(apply.phase, 'apply');
    const planFile = await server.api('GET', `/api/agent/v1/jobs/${run.id}/apply/artifacts/plan-file`, { token: apply.token });
    assert.equal(planFile.text, 'PLANFILE');
    assert.equal(
      (await server.api('GET', `/api/agent/v1/jobs/${run.id}/apply/artifacts/lock-file`, { token: apply.token })).status,
      404,
      'no lock file was stored',
    );
    assert.equal((await call('POST', `/jobs/${run.id}/apply/finish`, apply.token, { outcome: 'applied', counts })).status, 204);
    assert.equal(await world.status(run.id), 'applied');
  });

  const expireLease = (runId: RunId) =>
    server.database.db
      .updateTable('runs')
      .set({ runner_lease_until: new Date(Date.now() - 60_000) })
      .where('id', '=', runId)
      .execute();
  const lastEvent = async (runId: string) => (await world.api('GET', `/runs/${runId}/run-events`, world.ownerToken)).body.data.at(-1).attributes.description;

  it('an agent that stops heartbeating loses the run, and its job token', async () => {
    const run = await world.createRun((await world.workspaceWithConfiguration()).id);
    const job = await world.claimJob(run.id);
    assert.equal((await call('POST', `/jobs/${run.id}/plan/heartbeat`, job.token)).status, 200, 'accepted');
    await expireLease(run.id);
    assert.ok((await reapExpiredLeases(world.runner())) >= 1);
    assert.equal(await world.status(run.id), 'errored');
    assert.equal(await lastEvent(run.id), REAPED_REASON);
    assert.equal((await call('POST', `/jobs/${run.id}/plan/heartbeat`, job.token)).status, 401);
  });

  it('a phase its agent never accepted goes back to its queue: when its lease lapses, and at once when the agent exits', async () => {
    const run = await world.createRun((await world.workspaceWithConfiguration({ 'auto-apply': true })).id);
    const plan = await world.claimJob(run.id);
    await expireLease(run.id);
    assert.ok((await reapExpiredLeases(world.runner())) >= 1);
    assert.equal(await world.status(run.id), 'plan_queued', 'a plan nobody ran is not an error');
    assert.equal(await lastEvent(run.id), 'The agent did not take the plan; queued again');
    assert.equal((await call('POST', `/jobs/${run.id}/plan/heartbeat`, plan.token)).status, 401, 'the lost job token is dead');

    await world.plan(run.id);
    assert.equal(await world.status(run.id), 'apply_queued');
    const apply = await world.claimJob(run.id);
    assert.equal(apply.phase, 'apply');
    // The agent exits without accepting the apply (the answer of its long poll was lost as it stopped).
    const agent = await world.builtInAgent();
    assert.equal((await call('POST', `/agents/${agent.id}/status`, agent.token, { status: 'exited' })).status, 204);
    world.forgetAgent();
    assert.equal(await world.status(run.id), 'apply_queued', 'an apply that never started is queued again, not errored');
    assert.equal(await lastEvent(run.id), 'The agent did not take the apply; queued again');
    assert.equal((await call('POST', `/jobs/${run.id}/apply/heartbeat`, apply.token)).status, 401);
    assert.equal((await world.api('GET', `/runs/${run.id}/apply`, world.ownerToken)).body.data.attributes.status, 'queued');

    const taken = await world.claimJob(run.id);
    assert.equal((await call('POST', `/jobs/${run.id}/apply/heartbeat`, taken.token)).status, 200, 'accepted');
    const exiting = await world.builtInAgent();
    assert.equal((await call('POST', `/agents/${exiting.id}/status`, exiting.token, { status: 'exited' })).status, 204);
    world.forgetAgent();
    assert.equal(await world.status(run.id), 'errored', 'an apply the exited agent accepted and never reported ends errored');
    assert.equal(await lastEvent(run.id), EXITED_AGENT_REASON);
  });

  it('agents of a pool get the runs of workspaces in agent mode with that pool, and only those', async () => {
    await world.drainRunnerQueue();
    const db = server.database.db;
    const poolId = newId('apool');
    await db
      .insertInto('agent_pools')
      .values({ id: poolId, organization_id: world.orgId, name: `pool-${poolId}` })
      .execute();
    const poolToken = await world.insertToken({ kind: 'agent', agentPoolId: poolId, organizationId: world.orgId });
    const registered = await call('POST', '/register', poolToken, { name: 'pool agent' });
    assert.equal(registered.status, 200, registered.text);
    const poolAgent = registered.body.agentId as string;

    const ws = await world.workspaceWithConfiguration();
    await db.updateTable('workspaces').set({ execution_mode: 'agent', agent_pool_id: poolId }).where('id', '=', ws.id).execute();
    const run = await world.createRun(ws.id);
    const builtIn = await world.builtInAgent();
    assert.equal((await call('POST', `/agents/${builtIn.id}/jobs/next?wait=0`, builtIn.token)).status, 204, 'the built-in runner leaves it alone');
    assert.equal((await call('POST', `/agents/${poolAgent}/jobs/next?wait=0`, builtIn.token)).status, 404, 'an agent answers to its own pool token');
    const claimed = await call('POST', `/agents/${poolAgent}/jobs/next?wait=0`, poolToken);
    assert.equal(claimed.status, 200, claimed.text);
    assert.equal(claimed.body.runId, run.id);
    const row = await db.selectFrom('runs').select('agent_id').where('id', '=', run.id).executeTakeFirstOrThrow();
    assert.equal(row.agent_id, poolAgent);
    assert.equal((await db.selectFrom('agents').select('status').where('id', '=', poolAgent).executeTakeFirstOrThrow()).status, 'busy');

    assert.equal((await call('POST', `/agents/${poolAgent}/status`, poolToken, { status: 'exited' })).status, 204);
    assert.equal((await call('POST', `/agents/${poolAgent}/jobs/next?wait=0`, poolToken)).status, 404, 'an exited agent must register again');
    await call('POST', `/jobs/${run.id}/plan/finish`, claimed.body.token, { outcome: 'failed', reason: 'test over' });
  });
});
