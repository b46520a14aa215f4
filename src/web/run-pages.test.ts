import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { counterOf, counting } from '../../test/statement-counter.js';
import { newId, type RunId } from '../ids.js';
import * as policyEvaluationStore from '../policy-evaluations/store.js';
import { RunWorld } from '../runs/testing.js';
import { TaskService } from '../task-stages/testing.js';
import { CSRF_FIELD } from './components.js';
import { planChangesOf } from './plan-changes.js';
import { csrfTokenIn, readOnlyUser, TEST_PASSWORD, WebClient } from './testing.js';

// run-tests: one job per database

/**
 * The run page (timeline, resource changes, force-cancel, task stages and policies, its event stream's
 * end with the session) and the lists (tags, projects, latest run status), as the owner, a read-only
 * team member and a stranger see them.
 */

/** A redacted plan document: every kind of action, and a sensitive value's stand-in that must never show. */
const REDACTED_PLAN = {
  plan_format_version: '1.2',
  resource_changes: [
    { address: 'terraform_data.made', mode: 'managed', change: { actions: ['create'], after: { input: 'hunter2-sensitive' } } },
    { address: 'terraform_data.edited', mode: 'managed', change: { actions: ['update'] } },
    { address: 'terraform_data.gone', mode: 'managed', change: { actions: ['delete'] } },
    { address: 'terraform_data.swapped', mode: 'managed', change: { actions: ['delete', 'create'] } },
    { address: 'terraform_data.same', mode: 'managed', change: { actions: ['no-op'] } },
    { address: 'data.http.fetched', mode: 'data', change: { actions: ['read'] } },
  ],
  provider_schemas: {},
};

/** The relationships of a new workspace with these flat tags. */
const tagged = (...names: string[]) => ({ tags: { data: names.map((name) => ({ type: 'tags', attributes: { name } })) } });

describe('plan changes', () => {
  it('groups addresses by action, replace as one, and lists nothing of another shape', () => {
    assert.deepEqual(planChangesOf(REDACTED_PLAN), {
      create: ['terraform_data.made'],
      update: ['terraform_data.edited'],
      delete: ['terraform_data.gone'],
      replace: ['terraform_data.swapped'],
      read: ['data.http.fetched'],
    });
    assert.deepEqual(planChangesOf({ resource_changes: [{ address: 'x', change: { actions: ['create', 'delete'] } }] }), { replace: ['x'] });
    assert.deepEqual(planChangesOf(null), {});
    assert.deepEqual(planChangesOf({ resource_changes: 'no' }), {});
  });
});

forEachDatabase('web run pages', (server) => {
  const world = new RunWorld(server);
  const tasks = new TaskService(server);
  let owner = '';
  before(async () => {
    await world.setUp();
    await tasks.start();
    owner = await server.givePassword(world.ownerId, TEST_PASSWORD);
  });
  after(() => tasks.stop());

  const runPathOf = (ws: any, runId: string) => `/app/${world.org}/workspaces/${ws.attributes.name}/runs/${runId}`;

  /** A run of a new workspace, planned and waiting for confirmation. */
  async function plannedRun(): Promise<{ ws: any; runId: RunId; path: string }> {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    await world.plan(run.id);
    return { ws, runId: run.id, path: runPathOf(ws, run.id) };
  }

  async function signedIn(username: string): Promise<WebClient> {
    const web = new WebClient(server);
    await web.signIn(username);
    return web;
  }

  /** Stores a redacted JSON plan for the run's plan, as an agent's upload does. */
  async function storeRedactedPlan(runId: RunId, document: unknown): Promise<void> {
    const db = server.database.db;
    const plan = await db.selectFrom('plans').select('id').where('run_id', '=', runId).executeTakeFirstOrThrow();
    const key = `plans/${plan.id}/plan-redacted.json`;
    await server.blobs.put(key, Readable.from([JSON.stringify(document)]));
    await db.updateTable('plans').set({ redacted_json_blob_key: key }).where('id', '=', plan.id).execute();
  }

  describe('run page', () => {
    it('shows the timeline and the resource changes of the redacted plan, grouped by action, without a value', async () => {
      const { runId, path } = await plannedRun();
      const web = await signedIn(owner);
      const before = await web.get(path);
      assert.equal(before.status, 200, before.text);
      assert.match(before.text, /once the plan has finished/);
      assert.match(before.text, /id="run-timeline">.*>pending<.*>plan_queued<.*>planning<.*>planned</s);

      await storeRedactedPlan(runId, REDACTED_PLAN);
      const page = await web.get(path);
      assert.equal(page.status, 200, page.text);
      const changes = page.text.slice(page.text.indexOf('id="plan-changes"'));
      const groups = [...changes.matchAll(/<h3>([^<]+)<\/h3>\s*<ul class="addresses">((?:<li><code>[^<]+<\/code><\/li>)*)/g)].map((m) => [
        m[1],
        [...(m[2] ?? '').matchAll(/<code>([^<]+)</g)].map((c) => c[1]),
      ]);
      assert.deepEqual(groups, [
        ['To create (1)', ['terraform_data.made']],
        ['To replace (1)', ['terraform_data.swapped']],
        ['To update in place (1)', ['terraform_data.edited']],
        ['To destroy (1)', ['terraform_data.gone']],
        ['Data to read (1)', ['data.http.fetched']],
      ]);
      assert.doesNotMatch(page.text, /terraform_data\.same|hunter2/);
    });

    it('force-cancels only from a confirmation page, once a cancel has had its cool-off', async () => {
      const ws = await world.workspaceWithConfiguration();
      const run = await world.createRun(ws.id);
      await world.claim(run.id);
      const path = runPathOf(ws, run.id);
      const web = await signedIn(owner);
      const csrf = csrfTokenIn((await web.get(path)).text);
      assert.equal((await web.post(`${path}/actions/cancel`, { [CSRF_FIELD]: csrf })).status, 303);
      const waiting = await web.get(path);
      assert.match(waiting.text, />cancel_requested</);
      assert.doesNotMatch(waiting.text, /Force cancel/);
      assert.equal((await web.get(`${path}/force-cancel`)).status, 409);

      // The cool-off, passed.
      await server.database.db
        .updateTable('runs')
        .set({ cancel_requested_at: new Date(Date.now() - 60_000) })
        .where('id', '=', run.id)
        .execute();
      const page = await web.get(path);
      assert.match(page.text, new RegExp(`<a class="button danger" href="${path}/force-cancel">Force cancel…</a>`));
      const unconfirmed = await web.post(`${path}/actions/force-cancel`, { [CSRF_FIELD]: csrf });
      assert.equal(unconfirmed.status, 303);
      assert.equal(unconfirmed.headers.get('location'), `${path}/force-cancel`);
      assert.equal(await world.status(run.id), 'planning');

      const confirm = await web.get(`${path}/force-cancel`);
      assert.equal(confirm.status, 200, confirm.text);
      assert.match(confirm.text, new RegExp(`<form method="post" action="${path}/actions/force-cancel">`));
      const done = await web.post(`${path}/actions/force-cancel`, { [CSRF_FIELD]: csrf, confirmed: 'yes', comment: 'stuck provider' });
      assert.equal(done.status, 303, done.text);
      assert.equal(done.headers.get('location'), path);
      assert.equal(await world.status(run.id), 'force_canceled');
      assert.match((await web.get(path)).text, />force_canceled<\/span> <span>stuck provider</);
    });

    it('shows task results and policy outcomes, and the override to those who may give it', { timeout: 60_000 }, async () => {
      const ws = await world.workspaceWithConfiguration();
      const taskPath = `/${unique('task')}/fail`;
      tasks.behaviours.set(taskPath, { reports: [{ status: 'failed', message: '1 check failed' }] });
      const taskName = unique('check');
      const task = await world.api('POST', `/organizations/${world.org}/tasks`, world.ownerToken, {
        data: { type: 'tasks', attributes: { name: taskName, url: `${tasks.url}${taskPath}`, category: 'task' } },
      });
      assert.equal(task.status, 201, task.text);
      const associated = await world.api('POST', `/workspaces/${ws.id}/tasks`, world.ownerToken, {
        data: {
          type: 'workspace-tasks',
          attributes: { 'enforcement-level': 'mandatory', stages: ['post_plan'] },
          relationships: { task: { data: { type: 'tasks', id: task.body.data.id } } },
        },
      });
      assert.equal(associated.status, 201, associated.text);
      const run = await world.createRun(ws.id);
      await world.plan(run.id);
      await world.waitForStatus(run.id, ['post_plan_awaiting_decision', 'errored'], 30_000);
      assert.equal(await world.status(run.id), 'post_plan_awaiting_decision');

      // A policy evaluation of the stage, as the evaluation job leaves one.
      const db = server.database.db;
      const stage = await db.selectFrom('task_stages').select('id').where('run_id', '=', run.id).executeTakeFirstOrThrow();
      const evaluationId = newId('poleval');
      const now = new Date();
      await policyEvaluationStore.insert(db, { id: evaluationId, taskStageId: stage.id, now });
      const counts = { passed: 1, 'advisory-failed': 0, 'mandatory-failed': 1, errored: 0 };
      await policyEvaluationStore.setStatus(db, { id: evaluationId, statusTimestamps: {} }, 'failed', now, counts);
      await policyEvaluationStore.insertOutcomes(
        db,
        evaluationId,
        [
          {
            id: newId('polsetout'),
            policySetName: 'guardrails',
            policySetDescription: null,
            overridable: true,
            error: '',
            outcomes: [
              { policy_name: 'no-public-buckets', enforcement_level: 'mandatory', status: 'failed', query: 'data.x.deny', description: '' },
              { policy_name: 'tagged-resources', enforcement_level: 'advisory', status: 'passed', query: 'data.y.deny', description: '' },
            ],
            resultCount: counts,
          },
        ],
        now,
      );

      const path = runPathOf(ws, run.id);
      const override = `${path}/task-stages/${stage.id}/override`;
      const reader = await signedIn(await readOnlyUser(server, world.orgId, ws.id));
      const seen = await reader.get(path);
      assert.equal(seen.status, 200, seen.text);
      assert.match(seen.text, new RegExp(`<td>${taskName}</td><td>mandatory</td><td><span class="badge badge-failed">failed</span></td>`));
      assert.match(seen.text, /<td>guardrails<\/td><td>no-public-buckets<\/td><td>mandatory<\/td><td><span class="badge badge-failed">failed<\/span>/);
      assert.match(seen.text, /<td>guardrails<\/td><td>tagged-resources<\/td><td>advisory<\/td><td><span class="badge badge-done">passed<\/span>/);
      assert.match(seen.text, /Post-plan stage<\/span> <span class="badge badge-waiting">awaiting_override/);
      assert.doesNotMatch(seen.text, /Override and continue|\/override"/);
      const refused = await reader.post(override, { [CSRF_FIELD]: csrfTokenIn(seen.text) });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(await world.status(run.id), 'post_plan_awaiting_decision');

      const web = await signedIn(owner);
      const page = await web.get(path);
      assert.match(page.text, new RegExp(`<form method="post" action="${override}" class="override">`));
      const done = await web.post(override, { [CSRF_FIELD]: csrfTokenIn(page.text), comment: 'accepted risk' });
      assert.equal(done.status, 303, done.text);
      assert.equal(await world.status(run.id), 'post_plan_completed');
      const overridden = await web.get(path);
      assert.match(overridden.text, /Policy evaluation <span class="badge badge-waiting">overridden/);
      assert.match(overridden.text, />post_plan_completed<\/span> <span>accepted risk</);
      assert.doesNotMatch(overridden.text, /Override and continue/);
      // A stage of another run is not this run's.
      const other = await plannedRun();
      assert.equal((await web.post(`${other.path}/task-stages/${stage.id}/override`, { [CSRF_FIELD]: csrfTokenIn(page.text) })).status, 404);
    });

    it('shows a read-only user the run without an action, refuses their posts, and a stranger a 404 page', async () => {
      const { ws, runId, path } = await plannedRun();
      const reader = await signedIn(await readOnlyUser(server, world.orgId, ws.id));
      const page = await reader.get(path);
      assert.equal(page.status, 200, page.text);
      assert.match(page.text, /id="run-status"><span class="badge badge-waiting">planned</);
      // The only form is the header's sign-out.
      assert.deepEqual(
        [...page.text.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) => m[1]),
        ['/app/sign-out'],
      );
      assert.doesNotMatch(page.text, /<button[^>]*>(?!Sign out)/);
      assert.doesNotMatch(page.text, /force-cancel/);
      const csrf = csrfTokenIn(page.text);
      for (const action of ['apply', 'discard', 'cancel', 'force-cancel']) {
        const res = await reader.post(`${path}/actions/${action}`, { [CSRF_FIELD]: csrf, confirmed: 'yes' });
        assert.equal(res.status, 404, `${action}: ${res.text}`);
        assert.match(res.text, /Not found/);
      }
      assert.equal((await reader.get(`${path}/force-cancel`)).status, 404);
      assert.equal(await world.status(runId), 'planned');

      const stranger = await signedIn((await server.createUser({ password: TEST_PASSWORD })).username);
      for (const address of [path, `${path}/force-cancel`, `/app/${world.org}/projects`]) {
        const res = await stranger.get(address);
        assert.equal(res.status, 404, address);
        assert.match(res.text, /Not found/);
      }
      assert.equal((await stranger.post(`${path}/actions/discard`, { [CSRF_FIELD]: csrfTokenIn((await stranger.get('/app')).text) })).status, 404);
    });

    it('ends a run page event stream when its session signs out or expires', { timeout: 30_000 }, async () => {
      const { path } = await plannedRun();
      for (const end of ['sign out', 'expiry'] as const) {
        const web = new WebClient(server);
        const csrf = await web.signIn(owner);
        const started = Date.now();
        const stream = web.get(`${path}/events`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        if (end === 'sign out') assert.equal((await web.post('/app/sign-out', { [CSRF_FIELD]: csrf })).status, 303);
        else
          await server.database.db
            .updateTable('web_sessions')
            .set({ expires_at: new Date(Date.now() - 1000) })
            .where('csrf_token', '=', csrf)
            .execute();
        // The run waits for confirmation: without the session check the stream would stay open.
        const res = await stream;
        assert.ok(Date.now() - started < 10_000, `${end}: the stream stayed open`);
        assert.equal(res.status, 200);
        assert.match(res.text, /event: summary/);
        assert.doesNotMatch(res.text, /event: done/);
      }
    });
  });

  describe('lists', () => {
    it('filters workspaces by tag, as search[tags], and shows each one’s latest run status', async () => {
      const tagA = unique('team-a');
      const tagB = unique('tier-b');
      const both = await world.createWorkspace({}, tagged(tagA, tagB));
      await world.uploadedVersion(both.id);
      const onlyA = await world.createWorkspace({}, tagged(tagA));
      const run = await world.createRun(both.id);
      await world.plan(run.id);
      const web = await signedIn(owner);
      const names = (html: string) => [...html.matchAll(/<td><a href="\/app\/[^"]+\/workspaces\/([^"]+)">/g)].map((m) => m[1]);

      const withA = await web.get(`/app/${world.org}/workspaces?tag=${tagA}`);
      assert.equal(withA.status, 200, withA.text);
      assert.deepEqual(names(withA.text), [both.attributes.name, onlyA.attributes.name].sort());
      assert.deepEqual(names((await web.get(`/app/${world.org}/workspaces?tag=${tagA},${tagB}`)).text), [both.attributes.name]);
      // Each tag links to the list of its workspaces.
      assert.match(withA.text, new RegExp(`<a class="tag" href="/app/${world.org}/workspaces\\?tag=${tagB}">${tagB}</a>`));
      // The latest run's status, linked to the run, as the run page draws it.
      assert.match(
        withA.text,
        new RegExp(`<td class="latest-run"><a href="${runPathOf(both, run.id)}"><span class="badge badge-waiting">planned</span></a></td>`),
      );
      assert.match(withA.text, /<td class="latest-run"><\/td>/);
      const runs = await web.get(`/app/${world.org}/workspaces/${both.attributes.name}/runs`);
      assert.match(runs.text, /<span class="badge badge-waiting">planned<\/span>/);
    });

    it('lists the organization’s projects, each linking to its workspaces', async () => {
      const name = unique('platform');
      const projectId = await world.insertProject(world.orgId, name);
      const inside = await world.createWorkspace({}, { project: { data: { type: 'projects', id: projectId } } });
      await world.createWorkspace();
      const web = await signedIn(owner);
      const projects = await web.get(`/app/${world.org}/projects?search=${name}`);
      assert.equal(projects.status, 200, projects.text);
      const link = `/app/${world.org}/workspaces?project=${projectId}`;
      assert.match(projects.text, new RegExp(`<td>${name}</td><td></td><td><a href="${link.replace('?', '\\?')}">1 workspace</a>`));
      const listed = await web.get(link);
      assert.equal(listed.status, 200, listed.text);
      assert.match(listed.text, new RegExp(`In project ${name}`));
      assert.deepEqual(
        [...listed.text.matchAll(/<td><a href="\/app\/[^"]+\/workspaces\/([^"]+)">/g)].map((m) => m[1]),
        [inside.attributes.name],
      );
      assert.equal((await web.get(`/app/${world.org}/workspaces?project=prj-unknown`)).status, 404);
      // A project of another organization is not one of this organization's lists.
      const elsewhere = await world.insertProject(await world.createOrganization(world.ownerToken, unique('org')));
      assert.equal((await web.get(`/app/${world.org}/workspaces?project=${elsewhere}`)).status, 404);
    });
  });
});

forEachDatabase(
  'web pages: statements per page',
  (server) => {
    const world = new RunWorld(server);
    before(() => world.setUp());

    it('draws the workspaces list with each row’s latest run in as many statements for five rows as for one', async () => {
      const [one, five] = [unique('one'), unique('five')];
      for (let n = 0; n < 5; n++) {
        const ws = await world.createWorkspace({}, tagged(...(n === 0 ? [one, five] : [five])));
        await world.uploadedVersion(ws.id);
        await world.plan((await world.createRun(ws.id)).id);
      }
      const web = new WebClient(server);
      await web.signIn(await server.givePassword(world.ownerId, TEST_PASSWORD));
      const counter = counterOf(server.database.db);
      const statements = async (tag: string, rows: number) => {
        const path = `/app/${world.org}/workspaces?tag=${tag}`;
        await web.get(path); // warms the caller's role caches
        const before = counter.count;
        const page = await web.get(path);
        assert.equal([...page.text.matchAll(/class="latest-run"><a [^>]+><span class="badge badge-waiting">planned</g)].length, rows, page.text);
        return counter.count - before;
      };
      assert.equal(await statements(five, 5), await statements(one, 1));
    });
  },
  { appDb: counting },
);
