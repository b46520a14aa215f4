import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { TaskService } from '../task-stages/testing.js';
import { WorkspaceWorld } from '../workspaces/testing.js';

/** Run tasks and their workspace associations (issue 17, run-tasks.mdx), as go-tfe and the tfe provider send them. */

const HMAC_KEY = 'run-task-hmac-s3cret';

/** The URL of the suite's loopback task service, which answers the verification request of every task created. */
let taskUrl = '';

const taskBody = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>) => ({
  data: { type: 'tasks', attributes: { url: taskUrl, category: 'task', ...attributes }, ...(relationships ? { relationships } : {}) },
});
const workspaceTaskBody = (taskId: string | undefined, attributes: Record<string, unknown>) => ({
  data: { type: 'workspace-tasks', attributes, ...(taskId ? { relationships: { task: { data: { type: 'tasks', id: taskId } } } } : {}) },
});

forEachDatabase('run tasks', (server) => {
  const world = new WorkspaceWorld(server);
  const service = new TaskService(server);
  before(async () => {
    await world.setUp();
    await service.start();
    taskUrl = `${service.url}/hook`;
  });
  after(() => service.stop());

  async function createTask(attributes: Record<string, unknown> = {}) {
    const res = await world.api('POST', `/organizations/${world.org}/tasks`, world.ownerToken, taskBody({ name: unique('task'), ...attributes }));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  it('creates, shows, lists, updates and deletes an organization run task; the HMAC key is write-only and sealed', async () => {
    const name = unique('checker');
    const created = await world.api(
      'POST',
      `/organizations/${world.org}/tasks`,
      world.ownerToken,
      taskBody({
        name,
        description: 'Simple description',
        'hmac-key': HMAC_KEY,
        // The docs' sample payload quotes the boolean.
        enabled: 'true',
        'global-configuration': { enabled: true, stages: ['pre_plan'], 'enforcement-level': 'mandatory' },
      }),
    );
    assert.equal(created.status, 201, created.text);
    const task = created.body.data;
    assert.match(task.id, /^task-/);
    assert.deepEqual(task.attributes, {
      name,
      url: taskUrl,
      description: 'Simple description',
      category: 'task',
      enabled: true,
      'hmac-key': null,
      'global-configuration': { enabled: true, stages: ['pre_plan'], 'enforcement-level': 'mandatory' },
      'created-at': task.attributes['created-at'],
    });
    assert.deepEqual(task.relationships.organization.data, { type: 'organizations', id: world.org });
    // The verification request went to the URL first, signed with the key (run-tasks-integration.mdx).
    const verification = service.verifications.at(-1);
    assert.equal(verification?.payload.access_token, 'test-token');
    assert.equal(verification?.payload.organization_name, world.org);
    assert.equal(verification?.signature, createHmac('sha512', HMAC_KEY).update(JSON.stringify(verification?.payload)).digest('hex'));
    assert.equal(task.links.self, `/api/v2/tasks/${task.id}`);
    const row = await server.database.db.selectFrom('run_tasks').select('sealed_hmac_key').where('id', '=', task.id).executeTakeFirstOrThrow();
    assert.ok(row.sealed_hmac_key && !row.sealed_hmac_key.includes(HMAC_KEY), 'sealed at rest');

    const listed = await world.api('GET', `/organizations/${world.org}/tasks?page[size]=100`, world.ownerToken);
    assert.equal(listed.status, 200);
    assert.ok(listed.body.data.some((t: any) => t.id === task.id));
    assert.equal(listed.body.meta.pagination['page-size'], 100);

    const updated = await world.api('PATCH', `/tasks/${task.id}`, world.ownerToken, {
      data: { type: 'tasks', attributes: { enabled: false, 'hmac-key': null, 'global-configuration': { enabled: false } } },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.data.attributes.enabled, false);
    assert.equal(updated.body.data.attributes.name, name, 'unchanged');
    assert.equal(updated.body.data.attributes['global-configuration'].enabled, false);
    const cleared = await server.database.db.selectFrom('run_tasks').select('sealed_hmac_key').where('id', '=', task.id).executeTakeFirstOrThrow();
    assert.equal(cleared.sealed_hmac_key, null, 'a null key removes it');

    assert.equal((await world.api('DELETE', `/tasks/${task.id}`, world.ownerToken)).status, 204);
    assert.equal((await world.api('GET', `/tasks/${task.id}`, world.ownerToken)).status, 404);
  });

  it('refuses a URL that does not accept the verification request, on create and on update, and writes nothing', async () => {
    service.behaviours.set('/refuses', 'refuse');
    const name = unique('refused');
    const refused = await world.api('POST', `/organizations/${world.org}/tasks`, world.ownerToken, taskBody({ name, url: `${service.url}/refuses` }));
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body.errors[0].source.pointer, '/data/attributes/url');
    assert.match(refused.body.errors[0].detail, /verification request: it answered 401/);
    const listed = await world.api('GET', `/organizations/${world.org}/tasks?page[size]=100`, world.ownerToken);
    assert.ok(!listed.body.data.some((t: any) => t.attributes.name === name), 'nothing created');

    const task = await createTask();
    const moved = await world.api('PATCH', `/tasks/${task.id}`, world.ownerToken, { data: { type: 'tasks', attributes: { url: `${service.url}/refuses` } } });
    assert.equal(moved.status, 422, moved.text);
    assert.equal((await world.api('GET', `/tasks/${task.id}`, world.ownerToken)).body.data.attributes.url, taskUrl, 'unchanged');
  });

  it('refuses what the docs do not allow, with a pointer', async () => {
    const taken = await createTask();
    const cases: [Record<string, unknown>, string, Record<string, unknown>?][] = [
      [{ name: 'has space' }, '/data/attributes/name'],
      [{ name: taken.attributes.name.toUpperCase() }, '/data/attributes/name'],
      [{ name: unique('t'), url: 'ftp://example.com' }, '/data/attributes/url'],
      [{ name: unique('t'), category: 'policy' }, '/data/attributes/category'],
      [{ name: unique('t'), description: 'x'.repeat(301) }, '/data/attributes/description'],
      [{ name: unique('t'), 'global-configuration': { stages: ['during_plan'] } }, '/data/attributes/global-configuration/stages/0'],
      [{ name: unique('t') }, '/data/relationships/agent-pool', { 'agent-pool': { data: { type: 'agent-pools', id: 'apool-x' } } }],
    ];
    for (const [attributes, pointer, relationships] of cases) {
      const res = await world.api('POST', `/organizations/${world.org}/tasks`, world.ownerToken, taskBody(attributes, relationships));
      assert.equal(res.status, 422, `${JSON.stringify(attributes)}: ${res.text}`);
      assert.equal(res.body.errors[0].source.pointer, pointer, res.text);
    }
    const noUrl = await world.api('POST', `/organizations/${world.org}/tasks`, world.ownerToken, {
      data: { type: 'tasks', attributes: { name: unique('t'), category: 'task' } },
    });
    assert.equal(noUrl.status, 422);
  });

  it('associates a task with a workspace, with stages (the deprecated stage too), and includes the associations from the task', async () => {
    const task = await createTask();
    const ws = await world.createWorkspace();
    const created = await world.api('POST', `/workspaces/${ws.id}/tasks`, world.ownerToken, workspaceTaskBody(task.id, { 'enforcement-level': 'advisory' }));
    assert.equal(created.status, 201, created.text);
    const association = created.body.data;
    assert.equal(association.type, 'workspace-tasks');
    assert.match(association.id, /^wstask-/);
    assert.deepEqual(
      [association.attributes['enforcement-level'], association.attributes.stage, association.attributes.stages],
      ['advisory', 'post_plan', ['post_plan']],
      'post_plan by default',
    );
    assert.deepEqual(association.relationships.task.data, { type: 'tasks', id: task.id });
    assert.deepEqual(association.relationships.workspace.data, { type: 'workspaces', id: ws.id });

    const again = await world.api('POST', `/workspaces/${ws.id}/tasks`, world.ownerToken, workspaceTaskBody(task.id, { 'enforcement-level': 'advisory' }));
    assert.equal(again.status, 422, 'once per workspace');

    const path = `/workspaces/${ws.id}/tasks/${association.id}`;
    const deprecated = await world.api('PATCH', path, world.ownerToken, {
      data: { type: 'workspace-tasks', attributes: { stage: 'pre_plan', 'enforcement-level': 'mandatory' } },
    });
    assert.equal(deprecated.status, 200, deprecated.text);
    assert.deepEqual(deprecated.body.data.attributes.stages, ['pre_plan']);
    assert.equal(deprecated.body.data.attributes['enforcement-level'], 'mandatory');
    const both = await world.api('PATCH', path, world.ownerToken, { data: { type: 'workspace-tasks', attributes: { stages: ['pre_apply', 'post_apply'] } } });
    assert.deepEqual(both.body.data.attributes.stages, ['pre_apply', 'post_apply']);
    assert.equal(both.body.data.attributes['enforcement-level'], 'mandatory', 'unchanged');

    const listed = await world.api('GET', `/workspaces/${ws.id}/tasks`, world.ownerToken);
    assert.deepEqual(
      listed.body.data.map((a: any) => a.id),
      [association.id],
    );
    const withAssociations = await world.api('GET', `/tasks/${task.id}?include=workspace_tasks.workspace`, world.ownerToken);
    assert.equal(withAssociations.status, 200, withAssociations.text);
    assert.deepEqual(withAssociations.body.data.relationships['workspace-tasks'].data, [{ type: 'workspace-tasks', id: association.id }]);
    assert.deepEqual(
      withAssociations.body.included.map((r: any) => `${r.type}/${r.id}`).sort(),
      [`workspace-tasks/${association.id}`, `workspaces/${ws.id}`].sort(),
    );

    assert.equal((await world.api('DELETE', path, world.ownerToken)).status, 204);
    assert.equal((await world.api('GET', path, world.ownerToken)).status, 404);
  });

  it('refuses an association without a level, with an unknown stage, or with another organization’s task', async () => {
    const task = await createTask();
    const ws = await world.createWorkspace();
    const post = (body: unknown) => world.api('POST', `/workspaces/${ws.id}/tasks`, world.ownerToken, body);
    assert.equal((await post(workspaceTaskBody(task.id, {}))).status, 422);
    assert.equal((await post(workspaceTaskBody(task.id, { 'enforcement-level': 'strict' }))).status, 422);
    assert.equal((await post(workspaceTaskBody(task.id, { 'enforcement-level': 'advisory', stages: ['later'] }))).status, 422);
    assert.equal((await post(workspaceTaskBody(task.id, { 'enforcement-level': 'advisory', stages: [] }))).status, 422);
    assert.equal((await post(workspaceTaskBody(undefined, { 'enforcement-level': 'advisory' }))).status, 422);
    const other = new WorkspaceWorld(server);
    await other.setUp();
    const foreign = await other.api('POST', `/organizations/${other.org}/tasks`, other.ownerToken, taskBody({ name: unique('foreign') }));
    assert.equal((await post(workspaceTaskBody(foreign.body.data.id, { 'enforcement-level': 'advisory' }))).status, 404);
    // Deleting a task removes its associations.
    const kept = await post(workspaceTaskBody(task.id, { 'enforcement-level': 'advisory' }));
    assert.equal(kept.status, 201);
    assert.equal((await world.api('DELETE', `/tasks/${task.id}`, world.ownerToken)).status, 204);
    assert.equal((await world.api('GET', `/workspaces/${ws.id}/tasks/${kept.body.data.id}`, world.ownerToken)).status, 404);
  });
});
