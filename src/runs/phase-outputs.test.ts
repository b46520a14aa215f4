import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import type { Job } from '../agent/protocol.js';
import { WORKSPACE_LEVEL_PERMISSIONS } from '../auth/access-levels.js';
import { ONE_ADDED, RunWorld } from './testing.js';

/**
 * What plans and applies leave for the API besides their logs, through the agent protocol as an agent
 * stores it: the plan's provider schemas (OpenAPI getPlanJSONSchema), the apply's errored state
 * (applies.mdx "Recover a failed state upload after applying").
 */
forEachDatabase('plan and apply outputs', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());

  const SCHEMAS = '{"format_version":"1.0","provider_schemas":{"terraform.io/builtin/terraform":{"resource_schemas":{}}}}';

  const putArtifact = (job: Job, name: string, body: string) =>
    server.api('PUT', `/api/agent/v1/jobs/${job.runId}/${job.phase}/artifacts/${name}`, {
      token: job.token,
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
  const finish = (job: Job, body: unknown) =>
    server.api('POST', `/api/agent/v1/jobs/${job.runId}/${job.phase}/finish`, { token: job.token, body, headers: { 'content-type': 'application/json' } });

  /** A run whose plan an agent is running, and that plan's id. */
  async function planning() {
    await world.drainRunnerQueue();
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    const job = await world.claimJob(run.id);
    return { ws, run, job, planId: run.relationships.plan.data.id as string };
  }

  it('serves the plan’s provider schemas through a one-minute redirect, 204 while it plans, to whoever reads the run', async () => {
    const { ws, run, job, planId } = await planning();
    const paths = [`/api/v2/plans/${planId}/json-schema`, `/api/v2/runs/${run.id}/plan/json-schema`];
    for (const path of paths) assert.equal((await server.api('GET', path, { token: world.ownerToken })).status, 204, 'still planning');

    for (const [name, content] of [
      ['plan-file', 'PLANFILE'],
      ['plan-json', '{}'],
      ['plan-redacted-json', '{}'],
      ['provider-schemas', SCHEMAS],
    ]) {
      assert.equal((await putArtifact(job, name as string, content as string)).status, 204);
    }
    assert.equal((await finish(job, { outcome: 'planned', hasChanges: true, counts: ONE_ADDED })).status, 204);

    const reader = await world.teamToken(ws.id, 'read');
    for (const path of paths) {
      const redirect = await server.api('GET', path, { token: reader });
      assert.equal(redirect.status, 307, redirect.text);
      const location = new URL(redirect.headers.get('location') as string);
      assert.match(location.pathname, new RegExp(`^/_blobs/plans/${planId}/json-schema/\\d+/[^/]+$`));
      const content = await server.api('GET', location.pathname);
      assert.equal(content.status, 200, content.text);
      assert.match(content.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(content.text, SCHEMAS);
      const followed = await server.api('GET', path, { token: world.ownerToken, redirect: 'follow' });
      assert.deepEqual(followed.body, JSON.parse(SCHEMAS));

      // The signature covers the plan and what is downloaded: it opens neither the JSON plan nor another plan.
      assertError(await server.api('GET', location.pathname.replace('/json-schema/', '/json-output/')), 404);
      assertError(await server.api('GET', location.pathname.replace('/json-schema/', '/nothing/')), 404);
      assertError(await server.api('GET', location.pathname.replace(planId, 'plan-other')), 404);
      assertError(await server.api('GET', location.pathname.replace(/[^/]+$/, 'forged')), 404);
    }
    assertError(await server.api('GET', paths[0] as string, { token: world.strangerToken }), 404);
    assertError(await server.api('GET', paths[0] as string, { token: 'not-a-token' }), 401);
    assertError(await server.api('GET', '/api/v2/plans/plan-unknown/json-schema', { token: world.ownerToken }), 404);
    assertError(await server.api('GET', '/api/v2/runs/run-unknown/plan/json-schema', { token: world.ownerToken }), 404);
  });

  it('answers 404 for a plan that ended without provider schemas', async () => {
    const { run, job, planId } = await planning();
    assert.equal((await finish(job, { outcome: 'failed', reason: 'broken' })).status, 204);
    assert.equal(await world.status(run.id), 'errored');
    assertError(await server.api('GET', `/api/v2/plans/${planId}/json-schema`, { token: world.ownerToken }), 404);
  });

  it('keeps the state an apply failed to upload and serves it through a one-minute redirect to state readers', async () => {
    const { ws, run, job } = await planning();
    const STATE = '{"version":4,"serial":3,"lineage":"l","resources":[]}';
    const refused = await putArtifact(job, 'errored-state', STATE);
    assertError(refused, 409, /only an apply stores errored-state/);
    for (const name of ['plan-file', 'plan-json', 'plan-redacted-json']) assert.equal((await putArtifact(job, name, '{}')).status, 204);
    assert.equal((await finish(job, { outcome: 'planned', hasChanges: true, counts: ONE_ADDED })).status, 204);
    assert.equal((await world.action(run.id, 'apply')).status, 202);
    const apply = await world.claimJob(run.id);
    const applyId = run.relationships.apply.data.id as string;
    const path = `/api/v2/applies/${applyId}/errored-state`;
    assertError(await server.api('GET', path, { token: world.ownerToken }), 404, /no errored state/);

    assertError(await putArtifact(apply, 'plan-json', '{}'), 409, /only a plan stores plan-json/);
    assert.equal((await putArtifact(apply, 'errored-state', STATE)).status, 204);
    assert.equal((await finish(apply, { outcome: 'failed', reason: 'Failed to save state' })).status, 204);
    assert.equal(await world.status(run.id), 'errored');

    const stateReader = await world.teamToken(ws.id, 'read');
    const redirect = await server.api('GET', path, { token: stateReader });
    assert.equal(redirect.status, 307, redirect.text);
    const location = new URL(redirect.headers.get('location') as string);
    assert.match(location.pathname, new RegExp(`^/_blobs/applies/${applyId}/errored-state/\\d+/[^/]+$`));
    const content = await server.api('GET', location.pathname);
    assert.equal(content.status, 200, content.text);
    assert.equal(content.text, STATE);
    assertError(await server.api('GET', location.pathname.replace(/[^/]+$/, 'forged')), 404);
    assertError(await server.api('GET', location.pathname.replace('/applies/', '/plans/')), 404);

    // Outputs only is not the state (permissions.mdx); neither is another organization, nor a bad token.
    const outputsOnly = await world.teamToken(ws.id, 'custom', { ...WORKSPACE_LEVEL_PERMISSIONS.read, stateVersions: 'read-outputs' });
    assert.equal((await server.api('GET', `/api/v2/applies/${applyId}`, { token: outputsOnly })).status, 200, 'it reads the apply');
    assertError(await server.api('GET', path, { token: outputsOnly }), 404);
    assertError(await server.api('GET', path, { token: world.strangerToken }), 404);
    assertError(await server.api('GET', path, { token: 'not-a-token' }), 401);
    assertError(await server.api('GET', '/api/v2/applies/apply-unknown/errored-state', { token: world.ownerToken }), 404);
  });
});
