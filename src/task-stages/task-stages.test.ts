import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';
import { type Behaviour, type Received, TaskService } from './testing.js';

// run-tests: one job per database

/**
 * Run tasks inside runs (issue 17): a real HTTP task service on loopback, as an integration would be,
 * checks the signature, reads what its access token opens and answers passed, failed, late or not at
 * all; the run goes through its task stages accordingly.
 */

const HMAC_KEY = 'task-stages-hmac-s3cret';

const OUTCOME = {
  type: 'task-result-outcomes',
  attributes: {
    'outcome-id': 'PRTNR-CC-TF-127',
    description: 'S3 bucket will not enforce MFA login on delete requests',
    tags: { Status: [{ label: 'Denied', level: 'error' }], 'Cost Centre': [{ label: 'IT-OPS' }] },
    body: '# Resolution\n\nEnable MFA delete.',
    url: 'https://checks.example.com/result/127',
  },
};

forEachDatabase(
  'task stages',
  (server) => {
    const world = new RunWorld(server);
    const service = new TaskService(server);
    before(async () => {
      await world.setUp();
      await service.start();
    });
    after(() => service.stop());

    /** A task whose URL path selects the service's behaviour, associated with a new workspace that has an uploaded configuration. */
    async function workspaceWithTasks(
      tasks: { path: string; stages: string[]; level: 'advisory' | 'mandatory'; behaviour?: Behaviour; hmac?: boolean; url?: string }[],
    ) {
      const ws = await world.createWorkspace();
      await world.uploadConfiguration(ws.id, { 'main.tf': 'resource "terraform_data" "x" {}\n' });
      const taskIds: string[] = [];
      for (const task of tasks) {
        const path = `/${unique('task')}${task.path}`;
        if (task.behaviour) service.behaviours.set(path, task.behaviour);
        const created = await world.api('POST', `/organizations/${world.org}/tasks`, world.ownerToken, {
          data: {
            type: 'tasks',
            attributes: { name: unique('check'), url: `${service.url}${path}`, category: 'task', ...(task.hmac ? { 'hmac-key': HMAC_KEY } : {}) },
          },
        });
        assert.equal(created.status, 201, created.text);
        taskIds.push(created.body.data.id);
        const associated = await world.api('POST', `/workspaces/${ws.id}/tasks`, world.ownerToken, {
          data: {
            type: 'workspace-tasks',
            attributes: { 'enforcement-level': task.level, stages: task.stages },
            relationships: { task: { data: { type: 'tasks', id: created.body.data.id } } },
          },
        });
        assert.equal(associated.status, 201, associated.text);
      }
      return { ws, taskIds };
    }

    async function stagesOf(runId: string) {
      const res = await world.api('GET', `/runs/${runId}/task-stages?include=task_results`, world.ownerToken);
      assert.equal(res.status, 200, res.text);
      return res.body;
    }

    it('calls a mandatory post-plan task with the documented request; it passes with outcomes and the run waits for confirmation', async () => {
      const pass: Behaviour = {
        reports: [
          { status: 'running', message: 'checking' },
          { status: 'passed', message: '4 passed, 0 failed', outcomes: [OUTCOME] },
        ],
      };
      const { ws, taskIds } = await workspaceWithTasks([{ path: '/pass', stages: ['post_plan'], level: 'mandatory', behaviour: pass, hmac: true }]);
      const run = await world.createRun(ws.id, { message: 'checked run' });
      // The stages exist from the run's creation: the CLI reads them once, right after creating it.
      const stageIds = run.relationships['task-stages'].data.map((d: { id: string }) => d.id);
      assert.equal(stageIds.length, 1);
      const pending = await world.api('GET', `/task-stages/${stageIds[0]}?include=task_results,policy_evaluations`, world.ownerToken);
      assert.equal(pending.status, 200, pending.text);
      assert.equal(pending.body.data.attributes.stage, 'post_plan');
      assert.equal(pending.body.data.attributes.status, 'pending');
      assert.deepEqual(pending.body.data.relationships['policy-evaluations'].data, []);
      assert.equal(pending.body.included[0].attributes.status, 'pending');

      await world.plan(run.id);
      const done = await world.waitForStatus(run.id, ['post_plan_completed', 'errored'], 30_000);
      assert.equal(done.attributes.status, 'post_plan_completed');
      assert.equal(done.attributes.actions['is-confirmable'], true);

      const request = service.requestFor(run.id, 'post_plan') as Received;
      const { payload } = request;
      assert.equal(payload.payload_version, 1);
      assert.equal(payload.task_result_enforcement_level, 'mandatory');
      assert.equal(payload.run_message, 'checked run');
      assert.equal(payload.workspace_name, ws.attributes.name);
      assert.equal(payload.organization_name, world.org);
      assert.equal(payload.is_speculative, false);
      assert.deepEqual(payload.capabilities, { outcomes: true });
      assert.match(payload.plan_json_api_url, /\/api\/v2\/plans\/plan-[^/]+\/json-output$/);
      assert.match(payload.task_result_callback_url, new RegExp(`/api/v2/task-results/${payload.task_result_id}/callback$`));
      assert.equal(payload.vcs_repo_url, null);
      // Signed with the task's key over the exact body.
      assert.equal(request.signature, createHmac('sha512', HMAC_KEY).update(JSON.stringify(payload)).digest('hex'));
      // The access token reads its run's plan JSON (none kept by a hand-driven plan: 204) and configuration, nothing else.
      assert.equal(request.reads['plan-json'], 204);
      assert.equal(request.reads.configuration, 200);
      assert.equal(request.reads.workspace, 404);

      const stages = await stagesOf(run.id);
      assert.equal(stages.data[0].attributes.status, 'passed');
      const result = stages.included.find((r: { type: string }) => r.type === 'task-results');
      assert.equal(result.id, payload.task_result_id);
      assert.equal(result.attributes.status, 'passed');
      assert.equal(result.attributes.message, '4 passed, 0 failed');
      assert.equal(result.attributes['task-id'], taskIds[0]);
      assert.equal(result.attributes['workspace-task-enforcement-level'], 'mandatory');
      assert.equal(result.attributes['task-result-outcomes-count'], 1);
      assert.ok(result.attributes['status-timestamps']['passed-at']);

      const outcomes = await world.api('GET', `/task-results/${result.id}/outcomes`, world.ownerToken);
      assert.equal(outcomes.status, 200, outcomes.text);
      const outcome = outcomes.body.data[0];
      assert.equal(outcome.attributes['outcome-id'], 'PRTNR-CC-TF-127');
      assert.deepEqual(outcome.attributes.tags, [
        { label: 'Status', value: [{ label: 'Denied', level: 'error' }] },
        { label: 'Cost Centre', value: [{ label: 'IT-OPS', level: 'none' }] },
      ]);
      const body = await server.api('GET', outcome.links.body, { token: world.ownerToken });
      assert.equal(body.text, '# Resolution\n\nEnable MFA delete.');

      // The answer is final, and the token died with it.
      const again = await server.api('PATCH', payload.task_result_callback_url, {
        token: payload.access_token,
        body: { data: { type: 'task-results', attributes: { status: 'failed' } } },
      });
      assert.equal(again.status, 401, again.text);
    });

    it('waits for an override after a mandatory post-plan failure; only Manage Policy Overrides may give it', async () => {
      const fail: Behaviour = { reports: [{ status: 'failed', message: '0 passed, 1 failed' }] };
      const { ws } = await workspaceWithTasks([
        { path: '/fail', stages: ['post_plan'], level: 'mandatory', behaviour: fail },
        { path: '/pass', stages: ['post_plan'], level: 'advisory', behaviour: { reports: [{ status: 'passed' }] } },
      ]);
      const run = await world.createRun(ws.id);
      await world.plan(run.id);
      const waiting = await world.waitForStatus(run.id, ['post_plan_awaiting_decision', 'errored'], 30_000);
      assert.equal(waiting.attributes.status, 'post_plan_awaiting_decision');
      assert.equal(waiting.attributes.actions['is-confirmable'], false);
      assert.equal(waiting.attributes.actions['is-discardable'], true);
      const stage = (await stagesOf(run.id)).data[0];
      assert.equal(stage.attributes.status, 'awaiting_override');
      assert.equal(stage.attributes.actions['is-overridable'], true);
      assert.equal(stage.attributes.permissions['can-override'], true);

      // A workspace admin team reads the stage but may not override; a stranger sees nothing.
      const admin = await world.teamToken(ws.id, 'admin');
      const asAdmin = await world.api('GET', `/task-stages/${stage.id}`, admin);
      assert.equal(asAdmin.body.data.attributes.permissions['can-override-tasks'], false);
      assert.equal((await world.api('POST', `/task-stages/${stage.id}/actions/override`, admin)).status, 403);
      const stranger = await server.createUser();
      assert.equal((await world.api('POST', `/task-stages/${stage.id}/actions/override`, stranger.token)).status, 404);

      const overridden = await world.api('POST', `/task-stages/${stage.id}/actions/override`, world.ownerToken, { comment: 'accepted risk' });
      assert.equal(overridden.status, 200, overridden.text);
      assert.equal(overridden.body.data.attributes.status, 'passed');
      const after = await world.run(run.id);
      assert.equal(after.attributes.status, 'post_plan_completed');
      assert.equal(after.attributes.actions['is-confirmable'], true);
      assert.equal((await world.api('POST', `/task-stages/${stage.id}/actions/override`, world.ownerToken)).status, 409);
    });

    it('lets an advisory pre-plan failure through and errors the run on a mandatory pre-apply failure', async () => {
      const fail: Behaviour = { reports: [{ status: 'failed', message: 'not allowed' }] };
      const { ws } = await workspaceWithTasks([
        { path: '/advisory', stages: ['pre_plan'], level: 'advisory', behaviour: fail },
        { path: '/mandatory', stages: ['pre_apply'], level: 'mandatory', behaviour: fail },
      ]);
      const run = await world.createRun(ws.id);
      // Pre-plan runs before the plan is queued; its advisory failure does not stop the run.
      await world.waitForStatus(run.id, ['plan_queued'], 30_000);
      const prePlan = (await stagesOf(run.id)).data.find((s: any) => s.attributes.stage === 'pre_plan');
      assert.equal(prePlan.attributes.status, 'passed');
      assert.equal(service.requestFor(run.id, 'pre_plan')?.payload.plan_json_api_url, undefined);
      await world.plan(run.id);
      assert.equal((await world.action(run.id, 'apply')).status, 202);
      const errored = await world.waitForStatus(run.id, ['errored', 'apply_queued'], 30_000);
      assert.equal(errored.attributes.status, 'errored');
      const stages = await stagesOf(run.id);
      assert.equal(stages.data.find((s: any) => s.attributes.stage === 'pre_apply').attributes.status, 'failed');
      const events = await world.api('GET', `/runs/${run.id}/run-events`, world.ownerToken);
      assert.ok(
        events.body.data.some((e: any) => /did not pass/.test(e.attributes.description)),
        events.text,
      );
    });

    it('marks a task whose URL cannot be reached unreachable, and one that goes quiet errored after the timeout', async () => {
      const { ws } = await workspaceWithTasks([
        { path: '/down', stages: ['post_plan'], level: 'advisory', behaviour: 'down' },
        { path: '/quiet', stages: ['post_plan'], level: 'mandatory', behaviour: 'quiet' },
      ]);
      const run = await world.createRun(ws.id);
      await world.plan(run.id);
      const waiting = await world.waitForStatus(run.id, ['post_plan_awaiting_decision', 'post_plan_completed', 'errored'], 60_000);
      assert.equal(waiting.attributes.status, 'post_plan_awaiting_decision');
      const results = (await stagesOf(run.id)).included;
      const byLevel = Object.fromEntries(results.map((r: any) => [r.attributes['workspace-task-enforcement-level'], r.attributes]));
      assert.equal(byLevel.advisory.status, 'unreachable');
      assert.match(byLevel.advisory.message, /could not be reached: it answered 503/);
      assert.equal(byLevel.mandatory.status, 'errored');
      assert.match(byLevel.mandatory.message, /no update/);
    });

    it('cancels the stage with the run, and sends requests that waited through a stopped job worker', async () => {
      const { ws } = await workspaceWithTasks([{ path: '/quiet', stages: ['post_plan'], level: 'mandatory', behaviour: 'quiet' }]);
      await server.worker.stop();
      const run = await world.createRun(ws.id);
      await world.plan(run.id);
      assert.equal(await world.status(run.id), 'post_plan_running');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(service.requestFor(run.id, 'post_plan'), undefined);
      await server.startWorker();
      for (let i = 0; i < 100 && !service.requestFor(run.id, 'post_plan'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(service.requestFor(run.id, 'post_plan'), 'the request queued before the worker stopped was sent after it started');

      assert.equal((await world.action(run.id, 'cancel')).status, 202);
      assert.equal(await world.status(run.id), 'canceled');
      const stages = await stagesOf(run.id);
      assert.equal(stages.data[0].attributes.status, 'canceled');
      assert.equal(stages.included[0].attributes.status, 'canceled');
    });
  },
  { env: { TERRACE_RUN_TASK_TIMEOUT: '3s' } },
);
