import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, assertInvalidParameter, TIMESTAMP } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld, runBody } from './testing.js';

forEachDatabase('runs', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token = world.ownerToken, body?: unknown) => world.api(method, path, token, body);

  it('creates a run with the documented defaults, shows it, and lists its first event', async () => {
    const ws = await world.workspaceWithConfiguration();
    const res = await api('POST', '/runs', world.ownerToken, runBody(ws.id));
    assert.equal(res.status, 201, res.text);
    const run = res.body.data;
    assert.equal(run.type, 'runs');
    assert.match(run.id, /^run-/);
    const a = run.attributes;
    assert.equal(a.message, 'Queued manually via the Terraform Enterprise API');
    assert.equal(a.source, 'tfe-api');
    assert.equal(a['trigger-reason'], 'manual');
    assert.deepEqual(
      [
        a['is-destroy'],
        a.refresh,
        a['refresh-only'],
        a['plan-only'],
        a['auto-apply'],
        a['allow-empty-apply'],
        a['allow-config-generation'],
        a['save-plan'],
        a['debugging-mode'],
      ],
      [false, true, false, false, false, false, false, false, false],
    );
    assert.deepEqual([a['replace-addrs'], a['target-addrs'], a['terraform-version'], a['canceled-at'], a['has-changes']], [null, null, null, null, false]);
    assert.deepEqual(a.variables, []);
    assert.match(a['created-at'], TIMESTAMP);
    // First in the workspace's queue: straight to the runners, holding the workspace's lock.
    assert.equal(a.status, 'plan_queued');
    assert.match(a['status-timestamps']['plan-queueable-at'], TIMESTAMP);
    assert.match(a['status-timestamps']['plan-queued-at'], TIMESTAMP);
    assert.deepEqual(a.actions, { 'is-cancelable': true, 'is-confirmable': false, 'is-discardable': false, 'is-force-cancelable': false });
    assert.equal(a['force-cancel-available-at'], undefined);
    const rel = run.relationships;
    assert.deepEqual(rel.workspace.data, { id: ws.id, type: 'workspaces' });
    assert.match(rel['configuration-version'].data.id, /^cv-/);
    assert.match(rel.plan.data.id, /^plan-/);
    assert.match(rel.apply.data.id, /^apply-/);
    assert.deepEqual(rel['created-by'].data, { id: world.ownerId, type: 'users' });
    assert.deepEqual([rel['cost-estimate'].data, rel['policy-checks'].data, rel['task-stages'].data], [null, [], []]);
    assert.equal(run.links.self, `/api/v2/runs/${run.id}`);

    const shown = await api('GET', `/runs/${run.id}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.attributes.status, 'plan_queued');

    const events = await api('GET', `/runs/${run.id}/run-events`);
    assert.equal(events.status, 200, events.text);
    assert.deepEqual(
      events.body.data.map((e: any) => [e.type, e.attributes.action]),
      [
        ['run-events', 'pending'],
        ['run-events', 'plan_queued'],
      ],
    );
    assert.deepEqual(events.body.data[0].relationships.actor.data, { id: world.ownerId, type: 'users' });
    // The create response already names them, as go-tfe reads them (seeds/002 run.md).
    const eventIds = events.body.data.map((e: any) => ({ type: 'run-events', id: e.id }));
    assert.deepEqual(rel['run-events'].data, eventIds);
    assert.deepEqual(shown.body.data.relationships['run-events'].data, eventIds);
    assert.match(events.body.data[0].attributes['created-at'], TIMESTAMP);

    const workspace = await api('GET', `/workspaces/${ws.id}`);
    assert.deepEqual(workspace.body.data.relationships['current-run'].data, { id: run.id, type: 'runs' });
    assert.deepEqual(workspace.body.data.relationships['latest-run'].data, { id: run.id, type: 'runs' });
    assert.deepEqual(workspace.body.data.relationships['locked-by'].data, { id: run.id, type: 'runs' });
    await world.drainRunnerQueue();
  });

  it('takes every documented attribute', async () => {
    const ws = await world.workspaceWithConfiguration();
    const cv = await world.uploadedVersion(ws.id);
    const attributes = {
      message: 'Custom message',
      'is-destroy': true,
      refresh: false,
      'replace-addrs': ['terraform_data.a'],
      'target-addrs': ['terraform_data.a', 'terraform_data.b'],
      variables: [
        { key: 'replicas', value: '2' },
        { key: 'access_key', value: '"ABCDE12345"' },
      ],
      'auto-apply': true,
      'allow-empty-apply': true,
      'allow-config-generation': true,
      'debugging-mode': true,
    };
    const res = await api('POST', '/runs', world.ownerToken, runBody(ws.id, attributes, cv));
    assert.equal(res.status, 201, res.text);
    const a = res.body.data.attributes;
    for (const [key, value] of Object.entries(attributes)) assert.deepEqual(a[key], value, key);
    assert.equal(res.body.data.relationships['configuration-version'].data.id, cv);
    // Stored sealed: the database holds no value in the clear.
    const row = await server.database.db.selectFrom('runs').select('sealed_variables').where('id', '=', res.body.data.id).executeTakeFirstOrThrow();
    assert.doesNotMatch(row.sealed_variables ?? '', /ABCDE12345/);

    const planOnly = await api('POST', '/runs', world.ownerToken, runBody(ws.id, { 'plan-only': true, 'terraform-version': '1.10.5', 'save-plan': false }));
    assert.equal(planOnly.status, 201, planOnly.text);
    assert.deepEqual([planOnly.body.data.attributes['plan-only'], planOnly.body.data.attributes['terraform-version']], [true, '1.10.5']);
    const saved = await api('POST', '/runs', world.ownerToken, runBody(ws.id, { 'save-plan': true, 'refresh-only': true }));
    assert.equal(saved.status, 201, saved.text);
    assert.deepEqual([saved.body.data.attributes['save-plan'], saved.body.data.attributes['refresh-only']], [true, true]);
    await world.drainRunnerQueue();
  });

  it('refuses invalid runs with 422s at the right pointer', async () => {
    const ws = await world.workspaceWithConfiguration();
    const create = (attributes: Record<string, unknown>, cv?: string, workspaceId = ws.id) =>
      api('POST', '/runs', world.ownerToken, runBody(workspaceId, attributes, cv));
    assertInvalid(await create({ 'is-destroy': true, 'refresh-only': true }), '/data/attributes/refresh-only', /mutually exclusive/);
    assertInvalid(await create({ 'terraform-version': '1.10.5' }), '/data/attributes/terraform-version', /only valid for plan-only/);
    assertInvalid(await create({ 'plan-only': true, 'terraform-version': '~> 1.10' }), '/data/attributes/terraform-version');
    assertInvalid(await create({ 'plan-only': true, 'save-plan': true }), '/data/attributes/save-plan');
    assertInvalid(await create({ variables: [{ key: '1bad', value: '1' }] }), '/data/attributes/variables/0/key');
    assertInvalid(await create({ variables: [{ key: 'a' }] }), '/data/attributes/variables');
    assertInvalid(await create({ message: 5 }), '/data/attributes/message');
    assertInvalid(await create({ 'target-addrs': 'terraform_data.a' }), '/data/attributes/target-addrs');
    assertInvalid(await create({}, 'cv-unknown'), '/data/relationships/configuration-version', /not found/);

    const otherWs = await world.createWorkspace({}, undefined, world.otherOrg, world.strangerToken);
    const foreign = await world.uploadedVersion(otherWs.id);
    assertInvalid(await create({}, foreign), '/data/relationships/configuration-version', /not found/);
    const speculative = await world.uploadedVersion(ws.id, { speculative: true });
    assertInvalid(await create({ 'plan-only': false }, speculative), '/data/relationships/configuration-version', /speculative/);
    const empty = await world.createWorkspace();
    assertInvalid(await create({}, undefined, empty.id), '/data/relationships/configuration-version', /no configuration version/);
    const noDestroy = await world.workspaceWithConfiguration({ 'allow-destroy-plan': false });
    assertInvalid(await create({ 'is-destroy': true }, undefined, noDestroy.id), '/data/attributes/is-destroy');

    const missingWorkspace = await api('POST', '/runs', world.ownerToken, { data: { type: 'runs', attributes: {} } });
    assertInvalid(missingWorkspace, '/data/relationships/workspace');
    assertError(await api('POST', '/runs', world.ownerToken, { data: { type: 'workspaces', attributes: {} } }), 400);
    assertError(await create({}, undefined, 'ws-unknown'), 404);
    const listed = await api('GET', `/workspaces/${ws.id}/runs`);
    assert.deepEqual(listed.body.data, [], 'nothing was created');
  });

  it('uses a speculative configuration version for a plan-only run, which neither waits nor locks', async () => {
    const ws = await world.workspaceWithConfiguration();
    const speculative = await world.uploadedVersion(ws.id, { speculative: true });
    const res = await api('POST', '/runs', world.ownerToken, runBody(ws.id, {}, speculative));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual([res.body.data.attributes['plan-only'], res.body.data.attributes.status], [true, 'plan_queued']);
    const workspace = await api('GET', `/workspaces/${ws.id}`);
    assert.equal(workspace.body.data.attributes.locked, false);
    assert.deepEqual(workspace.body.data.relationships['current-run'].data, null);
    assert.deepEqual(workspace.body.data.relationships['latest-run'].data, null, 'speculative runs are not the latest run');
    await world.drainRunnerQueue();
  });

  it('includes workspace and plan (the comma arrives encoded), apply, created_by and configuration_version', async () => {
    const ws = await world.workspaceWithConfiguration({ 'structured-run-output-enabled': true });
    const run = await world.createRun(ws.id);
    const res = await server.api('GET', `/api/v2/runs/${run.id}?include=workspace%2Cplan`, { token: world.ownerToken });
    assert.equal(res.status, 200, res.text);
    const included = res.body.included as any[];
    assert.deepEqual(included.map((r) => r.type).sort(), ['plans', 'workspaces']);
    const workspace = included.find((r) => r.type === 'workspaces');
    assert.equal(workspace.id, ws.id);
    assert.equal(workspace.attributes['structured-run-output-enabled'], true);
    const plan = included.find((r) => r.type === 'plans');
    assert.equal(plan.id, run.relationships.plan.data.id);
    assert.equal(plan.attributes.status, 'queued');

    const all = await server.api('GET', `/api/v2/runs/${run.id}?include=apply,created_by,configuration_version,task_stages,cost_estimate`, {
      token: world.ownerToken,
    });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual((all.body.included as any[]).map((r) => `${r.type}/${r.id}`).sort(), [
      `applies/${run.relationships.apply.data.id}`,
      `configuration-versions/${run.relationships['configuration-version'].data.id}`,
      `users/${world.ownerId}`,
    ]);
    const bad = await server.api('GET', `/api/v2/runs/${run.id}?include=bogus`, { token: world.ownerToken });
    assertError(bad, 400, /Invalid include parameter/);

    const withRuns = await server.api('GET', `/api/v2/workspaces/${ws.id}?include=current_run.plan,latest_run`, { token: world.ownerToken });
    assert.equal(withRuns.status, 200, withRuns.text);
    assert.deepEqual((withRuns.body.included as any[]).map((r) => `${r.type}/${r.id}`).sort(), [`plans/${run.relationships.plan.data.id}`, `runs/${run.id}`]);
    await world.drainRunnerQueue();
  });

  it('shows plans and applies by id and by run, with status and counts', async () => {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    await world.plan(run.id, { hasChanges: true, counts: { additions: 2, changes: 1, destructions: 3, imports: 4 } });
    const planId = run.relationships.plan.data.id;
    for (const path of [`/plans/${planId}`, `/runs/${run.id}/plan`]) {
      const res = await api('GET', path);
      assert.equal(res.status, 200, res.text);
      const a = res.body.data.attributes;
      assert.deepEqual(
        [res.body.data.type, res.body.data.id, a.status, a['has-changes'], a['generated-configuration']],
        ['plans', planId, 'finished', true, false],
      );
      assert.deepEqual([a['resource-additions'], a['resource-changes'], a['resource-destructions'], a['resource-imports']], [2, 1, 3, 4]);
      assert.deepEqual(Object.keys(a['status-timestamps']).sort(), ['finished-at', 'pending-at', 'queued-at', 'started-at']);
      assert.deepEqual(a['execution-details'], { mode: 'remote' });
      assert.equal(res.body.data.links.self, `/api/v2/plans/${planId}`);
    }
    const applyId = run.relationships.apply.data.id;
    for (const path of [`/applies/${applyId}`, `/runs/${run.id}/apply`]) {
      const res = await api('GET', path);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual([res.body.data.type, res.body.data.id, res.body.data.attributes.status], ['applies', applyId, 'pending']);
    }
    for (const path of [`/plans/${planId}`, `/applies/${applyId}`, `/runs/${run.id}/plan`]) {
      assertError(await api('GET', path, world.strangerToken), 404);
      assertError(await api('GET', path, 'bad-token'), 401);
    }
    assertError(await api('GET', '/plans/plan-unknown'), 404);
    assertError(await api('GET', '/applies/apply-unknown'), 404);
    assert.equal((await world.action(run.id, 'discard')).status, 202);
  });

  it('hides runs of hidden workspaces (404) and needs a token (401)', async () => {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    for (const path of [`/runs/${run.id}`, `/runs/${run.id}/run-events`, `/workspaces/${ws.id}/runs`]) {
      assertError(await api('GET', path, world.strangerToken), 404);
      assertError(await api('GET', path, world.memberToken), 404);
      assertError(await api('GET', path, 'bad-token'), 401);
      assertError(await api('GET', path, world.expiredToken), 401);
    }
    assertError(await api('GET', '/runs/run-unknown'), 404);
    assertError(await api('POST', '/runs', world.strangerToken, runBody(ws.id)), 404);
    assertError(await api('POST', '/runs', 'bad-token', runBody(ws.id)), 401);
    // Organization tokens read runs but cannot queue them (api-tokens.mdx "Access Levels").
    assert.equal((await api('GET', `/runs/${run.id}`, world.orgToken)).status, 200);
    assertError(await api('POST', '/runs', world.orgToken, runBody(ws.id)), 404);
    const org = await api('GET', `/organizations/${world.org}/runs`, world.strangerToken);
    assertError(org, 404);
    await world.drainRunnerQueue();
  });

  it('reports actions and permissions truthfully for each caller', async () => {
    const ws = await world.workspaceWithConfiguration();
    const [readToken, planToken, writeToken, adminToken] = [
      await world.teamToken(ws.id, 'read'),
      await world.teamToken(ws.id, 'plan'),
      await world.teamToken(ws.id, 'write'),
      await world.teamToken(ws.id, 'admin'),
    ];
    const run = await world.createRun(ws.id);
    await world.plan(run.id);
    const permissions = async (token: string) => (await world.run(run.id, token)).attributes.permissions;
    const keys = ['can-apply', 'can-cancel', 'can-comment', 'can-discard', 'can-force-execute', 'can-force-cancel', 'can-override-policy-check'];
    const row = (p: Record<string, boolean>) => keys.map((k) => p[k]);
    assert.deepEqual(row(await permissions(world.ownerToken)), [true, true, true, true, true, true, false]);
    assert.deepEqual(row(await permissions(adminToken)), [true, true, true, true, true, true, false]);
    assert.deepEqual(row(await permissions(writeToken)), [true, true, true, true, true, false, false]);
    assert.deepEqual(row(await permissions(planToken)), [false, false, true, false, false, false, false]);
    assert.deepEqual(row(await permissions(readToken)), [false, false, false, false, false, false, false]);
    assert.deepEqual(row(await permissions(world.orgToken)), [false, false, false, false, false, false, false]);

    const planned = await world.run(run.id, readToken);
    assert.equal(planned.attributes.status, 'planned');
    assert.equal(planned.attributes['has-changes'], true);
    assert.deepEqual(planned.attributes.actions, { 'is-cancelable': false, 'is-confirmable': true, 'is-discardable': true, 'is-force-cancelable': false });

    // A plan-level team queues runs, and its auto-apply request is not honoured: it may not apply (states.mdx "The Plan Stage").
    const queued = await world.createRun(ws.id, { 'auto-apply': true }, planToken);
    assert.equal(queued.attributes['auto-apply'], false);
    assert.equal(queued.relationships['created-by'].data, null, 'team tokens have no user');
    assertError(await world.action(queued.id, 'discard', readToken), 404);
    assertError(await api('POST', '/runs', readToken, runBody(ws.id)), 404);
    assert.equal((await world.action(run.id, 'discard', writeToken)).status, 202);
    assert.equal((await world.action(queued.id, 'discard', planToken)).status, 404);
    assert.equal((await world.run(queued.id)).attributes.status, 'plan_queued', 'the discard let the next run in');
    assert.equal((await world.action(queued.id, 'cancel', writeToken)).status, 202);
  });

  it('lists a workspace’s runs newest first, without plan-only runs unless asked, with filters and searches', async () => {
    const ws = await world.workspaceWithConfiguration();
    const first = await world.createRun(ws.id, { message: 'first change' });
    const second = await world.createRun(ws.id, { message: 'second change', 'is-destroy': true });
    const speculative = await world.createRun(ws.id, { 'plan-only': true, message: 'just looking' });
    const ids = async (query = '') => {
      const res = await server.api('GET', `/api/v2/workspaces/${ws.id}/runs${query}`, { token: world.ownerToken });
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((r: any) => r.id);
    };
    assert.deepEqual(await ids(), [second.id, first.id]);
    assert.deepEqual(await ids('?filter[operation]=plan_only,plan_and_apply,destroy,save_plan,refresh_only,empty_apply,action_only'), [
      speculative.id,
      second.id,
      first.id,
    ]);
    assert.deepEqual(await ids('?filter[operation]=destroy'), [second.id]);
    assert.deepEqual(await ids('?filter[status]=pending'), [second.id]);
    assert.deepEqual(await ids('?filter[status]=pending,plan_queued&filter[operation]=plan_and_apply'), [first.id]);
    assert.deepEqual(await ids('?filter[status_group]=non_final'), [second.id, first.id]);
    assert.deepEqual(await ids('?filter[status_group]=final'), []);
    assert.deepEqual(await ids('?filter[status_group]=discardable&filter[operation]=plan_only'), []);
    assert.deepEqual(await ids('?filter[source]=tfe-api'), [second.id, first.id]);
    assert.deepEqual(await ids('?filter[source]=tfe-ui'), []);
    assert.deepEqual(await ids(`?filter[timeframe]=${new Date().getUTCFullYear()}`), [second.id, first.id]);
    assert.deepEqual(await ids('?filter[timeframe]=2001'), []);
    assert.deepEqual(await ids('?filter[timeframe]=year'), [second.id, first.id]);
    assert.deepEqual(await ids('?search[basic]=SECOND'), [second.id]);
    assert.deepEqual(await ids(`?search[basic]=${first.id}`), [first.id]);
    const owner = (await api('GET', '/account/details')).body.data.attributes.username;
    assert.deepEqual(await ids(`?search[user]=${owner}`), [second.id, first.id]);
    assert.deepEqual(await ids(`?search[user]=${owner}x&search[basic]=first`), [], 'search[user] wins over search[basic]');
    assert.deepEqual(await ids('?search[commit]=abc123'), [], 'no run has a commit without VCS');
    assert.deepEqual(await ids('?page[size]=1&page[number]=2'), [first.id]);

    const paged = await server.api('GET', `/api/v2/workspaces/${ws.id}/runs?page[size]=1`, { token: world.ownerToken });
    assert.deepEqual(paged.body.meta.pagination, { 'current-page': 1, 'page-size': 1, 'prev-page': null, 'next-page': 2, 'total-pages': 2, 'total-count': 2 });
    for (const [query, parameter] of [
      ['filter[status]=bogus', 'filter[status]'],
      ['filter[operation]=bogus', 'filter[operation]'],
      ['filter[status_group]=bogus', 'filter[status_group]'],
      ['filter[status_group]=final,non_final', 'filter[status_group]'],
      ['filter[timeframe]=last-week', 'filter[timeframe]'],
    ] as const) {
      assertInvalidParameter(await server.api('GET', `/api/v2/workspaces/${ws.id}/runs?${query}`, { token: world.ownerToken }), parameter);
    }
    await world.drainRunnerQueue();
  });

  it('lists an organization’s runs without totals, filtered by workspace names', async () => {
    const [a, b] = [await world.workspaceWithConfiguration(), await world.workspaceWithConfiguration()];
    const runA = await world.createRun(a.id);
    const runB = await world.createRun(b.id);
    const res = await server.api('GET', `/api/v2/organizations/${world.org}/runs?page[size]=1`, { token: world.ownerToken });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((r: any) => r.id),
      [runB.id],
    );
    assert.deepEqual(res.body.meta.pagination, { 'current-page': 1, 'page-size': 1, 'prev-page': null, 'next-page': 2 });
    assert.equal(res.body.links.last, undefined);
    const named = await server.api('GET', `/api/v2/organizations/${world.org}/runs?filter[workspace_names]=${a.attributes.name}`, { token: world.ownerToken });
    assert.deepEqual(
      named.body.data.map((r: any) => r.id),
      [runA.id],
    );
    // A team sees the runs of the workspaces it has access to; a member without teams, none.
    const teamToken = await world.teamToken(a.id, 'read');
    const team = await server.api('GET', `/api/v2/organizations/${world.org}/runs`, { token: teamToken });
    assert.deepEqual(
      team.body.data.map((r: any) => r.id),
      [runA.id],
    );
    const member = await server.api('GET', `/api/v2/organizations/${world.org}/runs`, { token: world.memberToken });
    assert.equal(member.status, 200, member.text);
    assert.deepEqual(member.body.data, []);
    await world.drainRunnerQueue();
  });

  it('filters and sorts workspaces by their current run', async () => {
    const [busy, idle] = [await world.workspaceWithConfiguration(), await world.workspaceWithConfiguration()];
    const run = await world.createRun(busy.id);
    const list = async (query: string) => {
      const res = await server.api('GET', `/api/v2/organizations/${world.org}/workspaces?${query}`, { token: world.ownerToken });
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((w: any) => w.id);
    };
    assert.deepEqual(await list('filter[current-run][status]=plan_queued'), [busy.id]);
    await world.plan(run.id);
    assert.deepEqual(await list('filter[current-run][status]=plan_queued'), []);
    assert.deepEqual(await list('filter[current-run][status]=planned,applied'), [busy.id]);
    const sorted = await list('sort=-current-run.created-at&page[size]=100');
    assert.ok(sorted.indexOf(busy.id) < sorted.indexOf(idle.id), 'a workspace without runs sorts after');
    const result = await world.action(run.id, 'apply', world.ownerToken, { comment: 'ok' });
    assert.equal(result.status, 202, result.text);
    await world.applyPhase(run.id);
    assert.deepEqual(await list('filter[current-run][status]=applied'), [busy.id]);
  });
});

forEachDatabase('a run’s configuration version', (server) => {
  const world = new RunWorld(server);
  before(() => world.setUp());

  it('shows and downloads the version a run uses, to whoever may read the run', async () => {
    const ws = await world.createWorkspace();
    const versionId = await world.uploadConfiguration(ws.id, { 'main.tf': 'resource "terraform_data" "x" {}\n' });
    const run = await world.createRun(ws.id);
    const shown = await world.api('GET', `/runs/${run.id}/configuration-version`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.id, versionId);
    assert.equal(shown.body.data.type, 'configuration-versions');
    const viaRun = await server.api('GET', `/api/v2/runs/${run.id}/configuration-version/download`, { token: world.ownerToken });
    const direct = await server.api('GET', `/api/v2/configuration-versions/${versionId}/download`, { token: world.ownerToken });
    assert.equal(viaRun.status, 200);
    assert.equal(viaRun.headers.get('content-type'), 'application/octet-stream');
    assert.ok(viaRun.text.length > 0);
    assert.equal(viaRun.text, direct.text, 'the same archive');
    for (const path of [`/runs/${run.id}/configuration-version`, `/runs/${run.id}/configuration-version/download`]) {
      assertError(await world.api('GET', path, world.strangerToken), 404);
    }
    assertError(await world.api('GET', '/runs/run-unknown/configuration-version', world.ownerToken), 404);
  });
});
