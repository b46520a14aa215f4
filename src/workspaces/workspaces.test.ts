import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, assertInvalidParameter, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { installedTerraformVersion } from './terraform-version.js';
import { WorkspaceWorld, wsBody } from './testing.js';

forEachDatabase('workspaces', (server) => {
  const world = new WorkspaceWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);

  it('creates a workspace with the documented defaults in the default project', async () => {
    const name = unique('w');
    const res = await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, wsBody({ name }));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    const ws = res.body.data;
    assert.equal(ws.type, 'workspaces');
    assert.match(ws.id, /^ws-[1-9A-Za-z]{16}$/);
    const a = ws.attributes;
    assert.match(a['created-at'], TIMESTAMP);
    assert.match(a['updated-at'], TIMESTAMP);
    assert.match(a['latest-change-at'], TIMESTAMP);
    assert.deepEqual(
      { ...a, 'created-at': 0, 'updated-at': 0, 'latest-change-at': 0, permissions: 0 },
      {
        name,
        description: null,
        environment: 'default',
        'created-at': 0,
        'updated-at': 0,
        'latest-change-at': 0,
        locked: false,
        'locked-reason': '',
        'execution-mode': 'remote',
        operations: true,
        'setting-overwrites': { 'execution-mode': false, 'agent-pool': false },
        'terraform-version': await installedTerraformVersion(),
        'working-directory': '',
        'allow-destroy-plan': true,
        'assessments-enabled': false,
        'auto-apply': false,
        'auto-apply-run-trigger': false,
        'auto-destroy-at': null,
        'auto-destroy-activity-duration': null,
        'auto-destroy-status': null,
        'file-triggers-enabled': true,
        'global-remote-state': false,
        'queue-all-runs': false,
        'speculative-enabled': true,
        'structured-run-output-enabled': true,
        'trigger-patterns': [],
        'trigger-prefixes': [],
        'vcs-repo': null,
        'vcs-repo-identifier': null,
        'resource-count': 0,
        'apply-duration-average': null,
        'plan-duration-average': null,
        'policy-check-failures': 0,
        'run-failures': 0,
        'workspace-kpis-runs-count': 0,
        'last-assessment-result-at': null,
        source: 'tfe-api',
        'source-name': null,
        'source-url': null,
        'tag-names': [],
        permissions: 0,
        actions: { 'is-destroyable': true },
      },
    );
    assert.equal(a['terraform-version'], '1.11.4', 'the terraform on the PATH');
    assert.ok(Object.values(a.permissions).every((v) => typeof v === 'boolean'));
    for (const key of ['can-update', 'can-destroy', 'can-queue-run', 'can-queue-apply', 'can-lock', 'can-unlock', 'can-force-unlock', 'can-force-delete']) {
      assert.equal(a.permissions[key], true, key);
    }
    assert.equal(a.permissions['can-manage-run-tasks'], true, 'owners manage the workspace’s run tasks');
    const r = ws.relationships;
    assert.deepEqual(r.organization, { data: { id: world.org, type: 'organizations' } });
    assert.deepEqual(r.project, { data: { id: world.defaultProjectId, type: 'projects' } });
    for (const name of ['current-run', 'latest-run', 'current-state-version', 'current-configuration-version', 'locked-by', 'readme', 'agent-pool']) {
      assert.deepEqual(r[name], { data: null }, name);
    }
    assert.deepEqual(r.outputs, { data: [] });
    assert.equal(r['remote-state-consumers'].links.related, `/api/v2/workspaces/${ws.id}/relationships/remote-state-consumers`);
    assert.equal(r['tag-bindings'].links.related, `/api/v2/workspaces/${ws.id}/tag-bindings`);
    assert.equal(r['effective-tag-bindings'].links.related, `/api/v2/workspaces/${ws.id}/effective-tag-bindings`);
    assert.deepEqual(ws.links, { self: `/api/v2/organizations/${world.org}/workspaces/${name}`, 'self-html': `/app/${world.org}/workspaces/${name}` });
  });

  it('stores every documented setting and shows it by id and by name', async () => {
    const project = await world.insertProject();
    const ws = await world.createWorkspace(
      {
        description: 'networking',
        'execution-mode': 'local',
        'allow-destroy-plan': false,
        'auto-apply': true,
        'auto-apply-run-trigger': true,
        'auto-destroy-at': '2040-01-02T03:04:05Z',
        'auto-destroy-activity-duration': '14d',
        'file-triggers-enabled': false,
        'global-remote-state': true,
        'queue-all-runs': true,
        'source-name': 'ci',
        'source-url': 'https://ci.example.com',
        'speculative-enabled': false,
        'structured-run-output-enabled': false,
        'terraform-version': '~> 1.10.0',
        'trigger-patterns': ['/modules/**/*.tf'],
        'trigger-prefixes': ['/vendor'],
        'working-directory': 'networking',
        'updated-at': '2017-11-29T19:18:09.976Z',
      },
      { project: { data: { type: 'projects', id: project } } },
    );
    for (const path of [`/workspaces/${ws.id}`, `/organizations/${world.org}/workspaces/${ws.attributes.name}`]) {
      const res = await api('GET', path, world.ownerToken);
      assert.equal(res.status, 200, res.text);
      const a = res.body.data.attributes;
      assert.equal(res.body.data.id, ws.id);
      assert.deepEqual(
        [a.description, a['execution-mode'], a.operations, a['setting-overwrites'], a['allow-destroy-plan'], a['auto-apply'], a['auto-apply-run-trigger']],
        ['networking', 'local', false, { 'execution-mode': true, 'agent-pool': true }, false, true, true],
      );
      assert.deepEqual(
        [a['auto-destroy-at'], a['auto-destroy-activity-duration'], a['file-triggers-enabled'], a['global-remote-state'], a['queue-all-runs']],
        ['2040-01-02T03:04:05.000Z', '14d', false, true, true],
      );
      assert.deepEqual(
        [a['source-name'], a['source-url'], a['speculative-enabled'], a['structured-run-output-enabled'], a['terraform-version']],
        ['ci', 'https://ci.example.com', false, false, '~> 1.10.0'],
      );
      assert.deepEqual([a['trigger-patterns'], a['trigger-prefixes'], a['working-directory']], [['/modules/**/*.tf'], ['/vendor'], 'networking']);
      assert.notEqual(a['updated-at'], '2017-11-29T19:18:09.976Z', 'read-only attributes are ignored');
      assert.equal(res.body.data.relationships.project.data.id, project);
    }
  });

  it('follows the organization default execution mode until the workspace overwrites it', async () => {
    const org = unique('defaults');
    await world.createOrganization(world.ownerToken, org);
    const patchOrg = (mode: string) =>
      api('PATCH', `/organizations/${org}`, world.ownerToken, { data: { type: 'organizations', attributes: { 'default-execution-mode': mode } } });
    assert.equal((await patchOrg('local')).status, 200);
    const ws = await world.createWorkspace({ 'setting-overwrites': { 'execution-mode': false, 'agent-pool': false } }, undefined, org);
    assert.equal(ws.attributes['execution-mode'], 'local');
    assert.equal(ws.attributes.operations, false);
    assert.deepEqual(ws.attributes['setting-overwrites'], { 'execution-mode': false, 'agent-pool': false });
    assert.equal((await patchOrg('remote')).status, 200);
    let res = await api('GET', `/workspaces/${ws.id}`, world.ownerToken);
    assert.equal(res.body.data.attributes['execution-mode'], 'remote');

    res = await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({ operations: false }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes['execution-mode'], 'local');
    assert.deepEqual(res.body.data.attributes['setting-overwrites'], { 'execution-mode': true, 'agent-pool': true });
    res = await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({ 'setting-overwrites': { 'execution-mode': true } }));
    assert.equal(res.body.data.attributes['execution-mode'], 'local', 'an overwritten mode needs no repeating');
    res = await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({ 'setting-overwrites': { 'execution-mode': false } }));
    assert.equal(res.body.data.attributes['execution-mode'], 'remote');
    assert.deepEqual(res.body.data.attributes['setting-overwrites'], { 'execution-mode': false, 'agent-pool': false });
  });

  it('refuses invalid attributes on create with 422 and a pointer, and creates nothing', async () => {
    const name = unique('bad');
    const create = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>) =>
      api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, wsBody({ name, ...attributes }, relationships));
    for (const bad of ['has space', 'dot.ted', 'x'.repeat(91), 'slash/name', '', 'ünï']) {
      assertInvalid(await create({ name: bad }), '/data/attributes/name', /letters, digits/);
    }
    assertInvalid(await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, wsBody({})), '/data/attributes/name', /required/);
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ name: 42 }, 'name'],
      [{ 'vcs-repo': { identifier: 'example/repo', 'oauth-token-id': 'ot-1' } }, 'vcs-repo', /VCS connections are not supported/],
      [{ 'execution-mode': 'agent', 'agent-pool-id': 'apool-1' }, 'agent-pool-id', /not found in this organization/],
      [{ 'execution-mode': 'agent' }, 'agent-pool-id', /required/],
      [{ 'execution-mode': 'cloud' }, 'execution-mode'],
      [{ 'agent-pool-id': 'apool-1' }, 'agent-pool-id', /must not be given when the execution mode is remote/],
      [{ 'execution-mode': 'local', operations: false }, 'operations', /must not be given with execution-mode/],
      [{ 'setting-overwrites': { 'execution-mode': true } }, 'execution-mode', /required/],
      [{ 'setting-overwrites': { 'execution-mode': false }, 'execution-mode': 'local' }, 'setting-overwrites/execution-mode'],
      [{ 'setting-overwrites': { 'execution-mode': 'no' } }, 'setting-overwrites/execution-mode'],
      [{ 'terraform-version': 'junk' }, 'terraform-version'],
      [{ 'terraform-version': '' }, 'terraform-version'],
      [{ 'terraform-version': 1.5 }, 'terraform-version'],
      [{ 'auto-destroy-activity-duration': '14w' }, 'auto-destroy-activity-duration'],
      [{ 'auto-destroy-activity-duration': '12345d' }, 'auto-destroy-activity-duration'],
      [{ 'auto-destroy-at': 'tomorrow' }, 'auto-destroy-at'],
      [{ 'assessments-enabled': true }, 'assessments-enabled', /not available/],
      [{ 'auto-apply': 'yes' }, 'auto-apply'],
      [{ 'trigger-prefixes': 'modules' }, 'trigger-prefixes'],
      [{ 'trigger-patterns': [1] }, 'trigger-patterns'],
    ];
    for (const [attributes, attribute, detail] of cases) assertInvalid(await create(attributes), `/data/attributes/${attribute}`, detail);
    for (const version of ['1.11.4', 'latest', '~> 1.0.0', '>= 1.2, < 2.0', '1.12.0-alpha20250101']) {
      const res = await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, wsBody({ name: unique('v'), 'terraform-version': version }));
      assert.equal(res.status, 201, `${version}: ${res.text}`);
    }

    const foreignProject = await world.insertProject(world.otherOrgId);
    for (const id of ['prj-unknown', foreignProject]) {
      assertInvalid(await create({}, { project: { data: { type: 'projects', id } } }), '/data/relationships/project', /not found/);
    }
    assertInvalid(await create({}, { project: { data: { type: 'teams', id: world.defaultProjectId } } }), '/data/relationships/project');
    assertError(await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, wsBody({ name }, undefined, 'projects')), 400);
    assertError(await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, '{"data": {'), 400);
    assertError(await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, { data: [] }), 400);
    assertError(await api('GET', `/organizations/${world.org}/workspaces/${name}`, world.ownerToken), 404);
  });

  it('refuses a taken name with 422 on create and on rename, in any project', async () => {
    const ws = await world.createWorkspace();
    const other = await world.createWorkspace();
    const project = await world.insertProject();
    const res = await api(
      'POST',
      `/organizations/${world.org}/workspaces`,
      world.ownerToken,
      wsBody({ name: ws.attributes.name }, { project: { data: { type: 'projects', id: project } } }),
    );
    assertInvalid(res, '/data/attributes/name', /already been taken/);
    assertInvalid(await api('PATCH', `/workspaces/${other.id}`, world.ownerToken, wsBody({ name: ws.attributes.name })), '/data/attributes/name', /taken/);
    // The same name in another organization is fine.
    const elsewhere = await api('POST', `/organizations/${world.otherOrg}/workspaces`, world.strangerToken, wsBody({ name: ws.attributes.name }));
    assert.equal(elsewhere.status, 201, elsewhere.text);
  });

  it('updates by id and by organization and name, renames, and moves between projects', async () => {
    const ws = await world.createWorkspace();
    let res = await api('PATCH', `/organizations/${world.org}/workspaces/${ws.attributes.name}`, world.ownerToken, wsBody({ 'terraform-version': '1.11.4' }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes['terraform-version'], '1.11.4');
    assert.ok(res.body.data.attributes['updated-at'] >= ws.attributes['updated-at']);

    const renamed = unique('renamed');
    const project = await world.insertProject();
    res = await api(
      'PATCH',
      `/workspaces/${ws.id}`,
      world.ownerToken,
      wsBody({ name: renamed, description: null, 'working-directory': null, 'vcs-repo': null }, { project: { data: { type: 'projects', id: project } } }),
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes.name, renamed);
    assert.equal(res.body.data.relationships.project.data.id, project);
    assert.equal(res.body.data.links.self, `/api/v2/organizations/${world.org}/workspaces/${renamed}`);
    assertError(await api('GET', `/organizations/${world.org}/workspaces/${ws.attributes.name}`, world.ownerToken), 404);
    assert.equal((await api('GET', `/organizations/${world.org}/workspaces/${renamed}`, world.ownerToken)).status, 200);

    assertInvalid(await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({ name: 'bad name' })), '/data/attributes/name');
    assertInvalid(await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({ 'vcs-repo': { identifier: 'a/b' } })), '/data/attributes/vcs-repo');
    assertInvalid(
      await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({}, { project: { data: { type: 'projects', id: 'prj-nope' } } })),
      '/data/relationships/project',
    );
    assertError(await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({}, undefined, 'vars')), 400);
    assertError(await api('PATCH', '/workspaces/ws-unknown', world.ownerToken, wsBody({})), 404);
    assertError(await api('PATCH', `/organizations/${world.org}/workspaces/nope`, world.ownerToken, wsBody({})), 404);
  });

  it('lists with search, wildcard, project filter, sort and pagination', async () => {
    const org = unique('list');
    await world.createOrganization(world.ownerToken, org);
    const project = await world.insertProject(
      (await server.database.db.selectFrom('organizations').select('id').where('name', '=', org).executeTakeFirstOrThrow()).id,
    );
    for (const name of ['app-prod', 'app-staging', 'db-prod', 'Web-Prod', 'zeta']) {
      await world.createWorkspace({ name }, name === 'zeta' ? { project: { data: { type: 'projects', id: project } } } : undefined, org);
    }
    const names = async (query: string) => {
      const res = await api('GET', `/organizations/${org}/workspaces${query}`, world.ownerToken);
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((w: any) => w.attributes.name);
    };
    assert.deepEqual(await names(''), ['Web-Prod', 'app-prod', 'app-staging', 'db-prod', 'zeta']);
    assert.deepEqual(await names('?sort=-name'), ['zeta', 'db-prod', 'app-staging', 'app-prod', 'Web-Prod']);
    assert.deepEqual(await names('?search%5Bname%5D=prod'), ['Web-Prod', 'app-prod', 'db-prod']);
    assert.deepEqual(await names('?search[name]=APP'), ['app-prod', 'app-staging']);
    assert.deepEqual(await names('?search[name]=%25'), []);
    assert.deepEqual(await names('?search[wildcard-name]=*-prod'), ['Web-Prod', 'app-prod', 'db-prod']);
    assert.deepEqual(await names('?search[wildcard-name]=app-*'), ['app-prod', 'app-staging']);
    assert.deepEqual(await names('?search[wildcard-name]=*-stag*'), ['app-staging']);
    assert.deepEqual(await names('?search[wildcard-name]=zeta'), ['zeta']);
    assert.deepEqual(await names('?search[wildcard-name]=zet'), []);
    assert.deepEqual(await names(`?filter[project][id]=${project}`), ['zeta']);
    assert.deepEqual(await names('?filter[project][id]=prj-unknown'), []);
    assert.deepEqual(await names('?filter[current-run][status]=planned,applied'), [], 'no workspace has a current run yet');
    assert.deepEqual(await names('?sort=current-run.created-at'), ['Web-Prod', 'app-prod', 'app-staging', 'db-prod', 'zeta']);
    assert.deepEqual((await names('?sort=-latest-change-at'))[0], 'zeta');
    assert.deepEqual((await names('?sort=latest-change-at'))[0], 'app-prod');

    const res = await api('GET', `/organizations/${org}/workspaces?page[size]=2&page[number]=2&search[name]=a`, world.ownerToken);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((w: any) => w.attributes.name),
      ['zeta'],
    );
    assert.deepEqual(res.body.meta.pagination, { 'current-page': 2, 'page-size': 2, 'prev-page': 1, 'next-page': null, 'total-pages': 2, 'total-count': 3 });
    assert.match(res.body.links.first, /search%5Bname%5D=a/);

    for (const query of ['page[size]=0', 'page[size]=101', 'page[number]=0', 'page[size]=x']) {
      assertInvalidParameter(await api('GET', `/organizations/${org}/workspaces?${query}`, world.ownerToken), query.split('=')[0] as string);
    }
    for (const sort of ['size', '--name', 'created-at', 'constructor', '__proto__'])
      assertInvalidParameter(await api('GET', `/organizations/${org}/workspaces?sort=${sort}`, world.ownerToken), 'sort');
    assertError(await api('GET', `/organizations/${org}/workspaces?search[name]=a&search[name]=b`, world.ownerToken), 400);
    assertError(await api('GET', `/organizations/${org}/workspaces?include=secrets`, world.ownerToken), 400, /Invalid include parameter/);
    assertError(await api('GET', '/organizations/no-such-org/workspaces', world.ownerToken), 404);
  });

  it('includes the organization, the project and the lock holder on request, and accepts the documented includes', async () => {
    const ws = await world.createWorkspace();
    assert.equal((await api('POST', `/workspaces/${ws.id}/actions/lock`, world.ownerToken, { reason: 'x' })).status, 200);
    const res = await api(
      'GET',
      `/workspaces/${ws.id}?include=organization,locked_by,project,current_run,current_state_version,readme,outputs`,
      world.ownerToken,
    );
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.included.map((r: any) => `${r.type}/${r.id}`),
      // In the order the include names them.
      [`organizations/${world.org}`, `users/${world.ownerId}`, `projects/${world.defaultProjectId}`],
    );
    assert.equal(res.body.included[2].attributes.name, 'Default Project');
    assert.equal(res.body.included[0].attributes.permissions['can-create-workspace'], true);
    const list = await api('GET', `/organizations/${world.org}/workspaces?include=organization`, world.ownerToken);
    assert.equal(list.body.included.length, 1, 'one organization for the whole page');
    assert.equal('included' in (await api('GET', `/workspaces/${ws.id}`, world.ownerToken)).body, false);
  });

  it('safe-deletes only a workspace that manages no resources and is not locked', async () => {
    const ws = await world.createWorkspace();
    await server.database.db.updateTable('workspaces').set({ resource_count: 3 }).where('id', '=', ws.id).execute();
    let res = await api('POST', `/workspaces/${ws.id}/actions/safe-delete`, world.ownerToken);
    assertError(res, 409, /not safe to delete because it is managing 3 resources/);
    assert.equal((await api('GET', `/workspaces/${ws.id}`, world.ownerToken)).body.data.attributes.actions['is-destroyable'], false);
    await server.database.db.updateTable('workspaces').set({ resource_count: 0 }).where('id', '=', ws.id).execute();
    assert.equal((await api('POST', `/workspaces/${ws.id}/actions/lock`, world.ownerToken)).status, 200);
    res = await api('POST', `/organizations/${world.org}/workspaces/${ws.attributes.name}/actions/safe-delete`, world.ownerToken);
    assertError(res, 409, /locked/);
    assert.equal((await api('POST', `/workspaces/${ws.id}/actions/unlock`, world.ownerToken)).status, 200);
    res = await api('POST', `/organizations/${world.org}/workspaces/${ws.attributes.name}/actions/safe-delete`, world.ownerToken);
    assert.equal(res.status, 204, res.text);
    assertError(await api('GET', `/workspaces/${ws.id}`, world.ownerToken), 404);
    assertError(await api('POST', `/workspaces/${ws.id}/actions/safe-delete`, world.ownerToken), 404);

    const other = await world.createWorkspace();
    assert.equal((await api('POST', `/workspaces/${other.id}/actions/safe-delete`, world.orgToken)).status, 204, 'organization tokens delete workspaces');
  });

  it('force-deletes for owners; others need the organization setting (403 otherwise)', async () => {
    const a = await world.createWorkspace();
    await server.database.db.updateTable('workspaces').set({ resource_count: 5 }).where('id', '=', a.id).execute();
    assert.equal((await api('DELETE', `/workspaces/${a.id}`, world.ownerToken)).status, 204);
    assertError(await api('GET', `/workspaces/${a.id}`, world.ownerToken), 404);

    const b = await world.createWorkspace();
    const shown = await api('GET', `/workspaces/${b.id}`, world.orgToken);
    assert.equal(shown.body.data.attributes.permissions['can-force-delete'], false);
    assert.equal(shown.body.data.attributes.permissions['can-destroy'], true);
    assertError(await api('DELETE', `/organizations/${world.org}/workspaces/${b.attributes.name}`, world.orgToken), 403, /safe-delete/);
    assertError(await api('DELETE', `/workspaces/${b.id}`, world.memberToken), 404);
    assertError(await api('DELETE', `/workspaces/${b.id}`, world.strangerToken), 404);

    const org = unique('force');
    const orgId = await world.createOrganization(world.ownerToken, org);
    const patched = await api('PATCH', `/organizations/${org}`, world.ownerToken, {
      data: { type: 'organizations', attributes: { 'allow-force-delete-workspaces': true } },
    });
    assert.equal(patched.status, 200);
    const c = await world.createWorkspace({}, undefined, org);
    const orgToken = await world.insertToken({ kind: 'organization', organizationId: orgId });
    assert.equal((await api('GET', `/workspaces/${c.id}`, orgToken)).body.data.attributes.permissions['can-force-delete'], true);
    assert.equal((await api('DELETE', `/organizations/${org}/workspaces/${c.attributes.name}`, orgToken)).status, 204);
    assertError(await api('DELETE', '/workspaces/ws-unknown', world.ownerToken), 404);
  });

  it('shows workspaces to the organization token with its permissions, hides them from others', async () => {
    const ws = await world.createWorkspace();
    const res = await api('GET', `/organizations/${world.org}/workspaces/${ws.attributes.name}`, world.orgToken);
    assert.equal(res.status, 200);
    const p = res.body.data.attributes.permissions;
    assert.deepEqual(
      [
        p['can-update'],
        p['can-read-variable'],
        p['can-update-variable'],
        p['can-queue-run'],
        p['can-queue-apply'],
        p['can-lock'],
        p['can-create-state-versions'],
      ],
      [true, true, true, false, false, false, false],
    );
    const created = await api('POST', `/organizations/${world.org}/workspaces`, world.orgToken, wsBody({ name: unique('by-token') }));
    assert.equal(created.status, 201, created.text);

    for (const token of [world.memberToken, world.strangerToken]) {
      assertError(await api('GET', `/workspaces/${ws.id}`, token), 404);
      assertError(await api('GET', `/organizations/${world.org}/workspaces/${ws.attributes.name}`, token), 404);
      assertError(await api('PATCH', `/workspaces/${ws.id}`, token, wsBody({ description: 'x' })), 404);
      assertError(await api('POST', `/workspaces/${ws.id}/actions/safe-delete`, token), 404);
    }
    assertError(await api('POST', `/organizations/${world.org}/workspaces`, world.memberToken, wsBody({ name: unique('m') })), 404);
    assertError(await api('POST', `/organizations/${world.org}/workspaces`, world.strangerToken, wsBody({ name: unique('s') })), 404);
    const memberList = await api('GET', `/organizations/${world.org}/workspaces`, world.memberToken);
    assert.equal(memberList.status, 200);
    assert.deepEqual(memberList.body.data, [], 'a member without workspace access sees none');
    assertError(await api('GET', `/organizations/${world.org}/workspaces`, world.strangerToken), 404);
    const theirs = await world.createWorkspace({}, undefined, world.otherOrg, world.strangerToken);
    assertError(await api('GET', `/workspaces/${theirs.id}`, world.orgToken), 404);

    for (const token of ['not-a-token', world.expiredToken]) {
      assertError(await api('GET', `/workspaces/${ws.id}`, token), 401);
      assertError(await api('GET', `/organizations/${world.org}/workspaces`, token), 401);
      assertError(await api('POST', `/organizations/${world.org}/workspaces`, token, wsBody({ name: unique('x') })), 401);
    }
    assertError(await server.api('GET', `/api/v2/workspaces/${ws.id}`), 401);
  });

  it('shows what was written through the API at once, though shows are cached, and checks the caller on every show', async () => {
    const ws = await world.createWorkspace();
    const byName = (name: string) => `/organizations/${world.org}/workspaces/${name}`;
    for (let i = 0; i < 2; i++) {
      assert.equal((await api('GET', `/workspaces/${ws.id}`, world.ownerToken)).body.data.attributes.locked, false);
      assert.equal((await api('GET', byName(ws.attributes.name), world.ownerToken)).status, 200);
    }
    // The cache holds the workspace, not who may see it.
    assertError(await api('GET', `/workspaces/${ws.id}`, world.memberToken), 404);

    const renamed = unique('renamed');
    assert.equal((await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({ name: renamed }))).status, 200);
    assert.equal((await api('GET', `/workspaces/${ws.id}`, world.ownerToken)).body.data.attributes.name, renamed);
    assertError(await api('GET', byName(ws.attributes.name), world.ownerToken), 404);
    assert.equal((await api('GET', byName(renamed), world.ownerToken)).body.data.id, ws.id);

    assert.equal((await api('POST', `/workspaces/${ws.id}/actions/lock`, world.ownerToken, { reason: 'cached?' })).status, 200);
    const locked = (await api('GET', byName(renamed), world.ownerToken)).body.data.attributes;
    assert.deepEqual([locked.locked, locked['locked-reason']], [true, 'cached?']);
    assert.equal((await api('POST', `/workspaces/${ws.id}/actions/force-unlock`, world.ownerToken)).status, 200);
    assert.equal((await api('DELETE', `/workspaces/${ws.id}`, world.ownerToken)).status, 204);
    assertError(await api('GET', `/workspaces/${ws.id}`, world.ownerToken), 404);
    assertError(await api('GET', byName(renamed), world.ownerToken), 404);
  });
});
