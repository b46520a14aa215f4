import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, assertInvalidParameter, onePage, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { binding, ProjectWorld, projectBody, RELATIONSHIP_POINTER, withBindings } from './testing.js';

forEachDatabase('projects', (server) => {
  const w = new ProjectWorld(server);
  before(() => w.setUp());

  it('creates a project with the documented attributes, relationships and links', async () => {
    const res = await w.api(
      'POST',
      `/organizations/${w.org}/projects`,
      w.ownerToken,
      projectBody({ name: 'Test Project', description: 'An example project.' }),
    );
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    const data = res.body.data;
    assert.equal(data.type, 'projects');
    assert.match(data.id, /^prj-[1-9A-Za-z]{16}$/);
    assert.match(data.attributes['created-at'], TIMESTAMP);
    assert.deepEqual(
      { ...data.attributes, 'created-at': undefined },
      {
        name: 'Test Project',
        description: 'An example project.',
        'created-at': undefined,
        'workspace-count': 0,
        'team-count': 0,
        'auto-destroy-activity-duration': null,
        'default-execution-mode': 'remote',
        'setting-overwrites': { 'default-execution-mode': false, 'default-agent-pool': false },
        permissions: {
          'can-read': true,
          'can-update': true,
          'can-destroy': true,
          'can-create-workspace': true,
          'can-move-workspace': true,
          'can-move-stack': false,
          'can-manage-stacks': false,
          'can-view-stacks': false,
          'can-update-stacks': false,
          'can-deploy-no-code-modules': false,
          'can-read-teams': true,
          'can-manage-teams': true,
          'can-manage-tags': true,
          'can-manage-varsets': true,
          'can-manage-ephemeral-workspace-for-projects': true,
        },
      },
    );
    const path = `/api/v2/projects/${data.id}`;
    assert.deepEqual(data.relationships, {
      organization: { data: { id: w.org, type: 'organizations' }, links: { related: `/api/v2/organizations/${w.org}` } },
      'tag-bindings': { links: { related: `${path}/tag-bindings` } },
      'effective-tag-bindings': { links: { related: `${path}/effective-tag-bindings` } },
      'default-agent-pool': { data: null },
    });
    assert.deepEqual(data.links, { self: path });

    const shown = await server.api('GET', path, { token: w.ownerToken });
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual(shown.body.data, data);
  });

  it('lists the default project that every organization starts with, which the CLI finds by name', async () => {
    const res = await w.api('GET', `/organizations/${w.otherOrg}/projects?filter%5Bnames%5D=Default+Project`, w.strangerToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.length, 1);
    const project = res.body.data[0];
    assert.equal(project.id, w.otherDefaultProjectId);
    assert.equal(project.attributes.name, 'Default Project');
    assert.equal(project.attributes.description, null);
    assert.equal(project.attributes.permissions['can-update'], true);
    assert.equal(project.attributes.permissions['can-destroy'], false, 'the default project cannot be deleted');
    assert.equal(res.body.meta['status-counts'].matching, 1);
    assert.deepEqual(res.body.meta.pagination, onePage(1));
  });

  it('accepts names with inner spaces, 3 to 40 characters', async () => {
    for (const name of ['abc', 'a'.repeat(40), `My Project ${unique('x')}`, `_-${unique('y')}-_`]) {
      const res = await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name }));
      assert.equal(res.status, 201, `${name}: ${res.text}`);
      assert.equal(res.body.data.attributes.name, name);
    }
  });

  it('refuses invalid names with a 422 pointing at the name', async () => {
    for (const name of ['ab', 'a'.repeat(41), ' leading', 'trailing ', 'a/b', 'dot.name', 'Ünïcode', 'tab\there', '', 123, null]) {
      const res = await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name }));
      assertInvalid(res, '/data/attributes/name');
    }
    assertInvalid(await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({})), '/data/attributes/name');
  });

  it('refuses a duplicate name in the same organization only', async () => {
    const name = unique('dup');
    await w.createProject({ name });
    assertInvalid(await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name })), '/data/attributes/name', /already been taken/);
    const elsewhere = await w.api('POST', `/organizations/${w.otherOrg}/projects`, w.strangerToken, projectBody({ name }));
    assert.equal(elsewhere.status, 201, elsewhere.text);
  });

  it('checks the description and auto-destroy-activity-duration', async () => {
    assertInvalid(
      await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name: unique('p'), description: 'd'.repeat(257) })),
      '/data/attributes/description',
    );
    assertInvalid(
      await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name: unique('p'), description: 5 })),
      '/data/attributes/description',
    );
    for (const duration of ['0d', '14', '14x', '12345h', '1.5d', '-1d', 'd', '']) {
      const res = await w.api(
        'POST',
        `/organizations/${w.org}/projects`,
        w.ownerToken,
        projectBody({ name: unique('p'), 'auto-destroy-activity-duration': duration }),
      );
      assertInvalid(res, '/data/attributes/auto-destroy-activity-duration');
    }
    const project = await w.createProject({ description: 'd'.repeat(256), 'auto-destroy-activity-duration': '9999h' });
    assert.equal(project.attributes['auto-destroy-activity-duration'], '9999h');
    assert.equal(project.attributes.description.length, 256);
  });

  it('follows the organization default execution mode and refuses project-level overrides', async () => {
    const restated = await w.createProject({ 'default-execution-mode': 'remote', 'setting-overwrites': { 'default-execution-mode': false } });
    assert.equal(restated.attributes['default-execution-mode'], 'remote');
    const create = (attributes: Record<string, unknown>) =>
      w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name: unique('p'), ...attributes }));
    assertInvalid(await create({ 'default-execution-mode': 'local' }), '/data/attributes/default-execution-mode', /organization/);
    assertInvalid(await create({ 'default-execution-mode': 'sideways' }), '/data/attributes/default-execution-mode');
    assertInvalid(await create({ 'setting-overwrites': { 'default-execution-mode': true } }), '/data/attributes/setting-overwrites/default-execution-mode');
    assertInvalid(await create({ 'default-agent-pool-id': 'apool-123' }), '/data/attributes/default-agent-pool-id');
  });

  it('updates name, description and duration, and replaces tag bindings when they are given', async () => {
    const project = await w.createProject({ description: 'old', 'auto-destroy-activity-duration': '2d' }, withBindings(binding('a', '1'), binding('b', '2')));
    const name = unique('renamed');
    const res = await w.api('PATCH', `/projects/${project.id}`, w.ownerToken, projectBody({ name, description: null, 'auto-destroy-activity-duration': null }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes.name, name);
    assert.equal(res.body.data.attributes.description, null);
    assert.equal(res.body.data.attributes['auto-destroy-activity-duration'], null);
    assert.deepEqual(await w.bindingsOf(project.id), [
      ['a', '1'],
      ['b', '2'],
    ]);

    const replaced = await w.api('PATCH', `/projects/${project.id}`, w.ownerToken, projectBody({ description: 'new' }, withBindings(binding('c', '3'))));
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.body.data.attributes.name, name, 'unchanged');
    assert.equal(replaced.body.data.attributes.description, 'new');
    assert.deepEqual(await w.bindingsOf(project.id), [['c', '3']]);

    // The tfe provider removes every binding with an empty list and no attributes (go-tfe DeleteAllTagBindings).
    const cleared = await w.api('PATCH', `/projects/${project.id}`, w.ownerToken, { data: { type: 'projects', relationships: withBindings() } });
    assert.equal(cleared.status, 200, cleared.text);
    assert.deepEqual(await w.bindingsOf(project.id), []);
  });

  it('refuses invalid updates and leaves the project unchanged', async () => {
    const taken = await w.createProject();
    const project = await w.createProject({ description: 'keep' }, withBindings(binding('keep', 'me')));
    const patch = (body: unknown, token = w.ownerToken) => w.api('PATCH', `/projects/${project.id}`, token, body);
    assertInvalid(await patch(projectBody({ name: taken.attributes.name })), '/data/attributes/name', /already been taken/);
    assertInvalid(await patch(projectBody({ name: 'x' })), '/data/attributes/name');
    assertInvalid(await patch(projectBody({ description: 'd'.repeat(257) })), '/data/attributes/description');
    assertInvalid(await patch(projectBody({ 'auto-destroy-activity-duration': '0h' })), '/data/attributes/auto-destroy-activity-duration');
    assertInvalid(await patch(projectBody({ description: 'changed' }, withBindings(binding('hcp:x')))), `${RELATIONSHIP_POINTER}/0/attributes/key`);
    assertError(await patch(projectBody({ name: unique('p') }, undefined, 'workspaces')), 400);
    assertError(await patch('{"data": {'), 400);
    assertError(await patch(projectBody({ name: unique('p') }), w.memberToken), 404);
    assertError(await patch(projectBody({ name: unique('p') }), w.strangerToken), 404);
    assertError(await w.api('PATCH', '/projects/prj-unknown', w.ownerToken, projectBody({ name: unique('p') })), 404);

    const after = await w.api('GET', `/projects/${project.id}`, w.ownerToken);
    assert.equal(after.body.data.attributes.name, project.attributes.name);
    assert.equal(after.body.data.attributes.description, 'keep');
    assert.deepEqual(await w.bindingsOf(project.id), [['keep', 'me']]);
  });

  it('searches with q, filters by exact names ignoring case, and sorts by name', async () => {
    const stem = unique('srch');
    const names = [`${stem} Alpha`, `${stem} beta`, `${stem}_Gamma`];
    for (const name of names) await w.createProject({ name });
    const list = async (query: string) => {
      const res = await w.api('GET', `/organizations/${w.org}/projects?${query}`, w.ownerToken);
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((p: any) => p.attributes.name);
    };
    assert.deepEqual(await list(`q=${stem.toUpperCase()}`), [names[0], names[1], names[2]]);
    assert.deepEqual(await list(`q=${stem}&sort=-name`), [names[2], names[1], names[0]]);
    assert.deepEqual(await list(`q=${stem}+b`), [names[1]]);
    assert.deepEqual(await list(`filter%5Bnames%5D=${encodeURIComponent(`${stem} ALPHA`)},${stem}_gamma`), [names[0], names[2]]);
    assert.deepEqual(await list(`filter%5Bnames%5D=${stem}`), [], 'names match whole names');
    assert.deepEqual(await list(`q=nothing-matches&filter%5Bnames%5D=${stem}_Gamma`), [names[2]], 'filter[names] wins over q');
    assert.deepEqual(await list('q=%25'), [], 'LIKE wildcards match themselves');

    const paged = await w.api('GET', `/organizations/${w.org}/projects?q=${stem}&page%5Bsize%5D=2&page%5Bnumber%5D=2`, w.ownerToken);
    assert.deepEqual(
      paged.body.data.map((p: any) => p.attributes.name),
      [names[2]],
    );
    assert.deepEqual(paged.body.meta.pagination, { 'current-page': 2, 'page-size': 2, 'prev-page': 1, 'next-page': null, 'total-pages': 2, 'total-count': 3 });
    assert.equal(paged.body.meta['status-counts'].matching, 3);
    assert.ok(paged.body.meta['status-counts'].total > 3);
    assert.match(paged.body.links.prev, /page%5Bnumber%5D=1(&|$)/);
  });

  it('refuses bad list parameters', async () => {
    const path = `/organizations/${w.org}/projects`;
    assertInvalidParameter(await w.api('GET', `${path}?sort=created-at`, w.ownerToken), 'sort');
    assertInvalidParameter(await w.api('GET', `${path}?page%5Bsize%5D=101`, w.ownerToken), 'page[size]');
    assertInvalidParameter(await w.api('GET', `${path}?page%5Bsize%5D=0`, w.ownerToken), 'page[size]');
    assertInvalidParameter(await w.api('GET', `${path}?page%5Bnumber%5D=-1`, w.ownerToken), 'page[number]');
    assertError(await w.api('GET', `${path}?q=a&q=b`, w.ownerToken), 400);
  });

  it('counts the workspaces of a project and refuses to delete it until it is empty', async () => {
    const project = await w.createProject();
    const workspace = await w.insertWorkspace(project.id);
    const shown = await w.api('GET', `/projects/${project.id}`, w.ownerToken);
    assert.equal(shown.body.data.attributes['workspace-count'], 1);
    assertError(await w.api('DELETE', `/projects/${project.id}`, w.ownerToken), 409, /workspaces/);
    assert.equal((await w.api('GET', `/projects/${project.id}`, w.ownerToken)).status, 200);

    await server.database.db.deleteFrom('workspaces').where('id', '=', workspace).execute();
    const deleted = await w.api('DELETE', `/projects/${project.id}`, w.orgToken);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    assertError(await w.api('GET', `/projects/${project.id}`, w.ownerToken), 404);
    assertError(await w.api('GET', `/projects/${project.id}/tag-bindings`, w.ownerToken), 404);
    assertError(await w.api('DELETE', `/projects/${project.id}`, w.ownerToken), 404);
  });

  it('never deletes the default project', async () => {
    assertError(await w.api('DELETE', `/projects/${w.defaultProjectId}`, w.ownerToken), 409, /default project/);
    assertError(await w.api('DELETE', `/projects/${w.defaultProjectId}`, server.adminToken), 409, /default project/);
    assert.equal((await w.api('GET', `/projects/${w.defaultProjectId}`, w.ownerToken)).status, 200);
  });

  it('lets the organization token and a site admin manage projects', async () => {
    const created = await w.api('POST', `/organizations/${w.org}/projects`, w.orgToken, projectBody({ name: unique('by-token') }));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.data.attributes.permissions['can-update'], true);
    const listed = await w.api('GET', `/organizations/${w.org}/projects`, server.adminToken);
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.body.data.some((p: any) => p.id === created.body.data.id));
    const updated = await w.api('PATCH', `/projects/${created.body.data.id}`, server.adminToken, projectBody({ description: 'by admin' }));
    assert.equal(updated.status, 200, updated.text);
    assert.equal((await w.api('DELETE', `/projects/${created.body.data.id}`, server.adminToken)).status, 204);
  });

  it('hides projects from members without access, from strangers and from other organizations (404)', async () => {
    const project = await w.createProject({}, withBindings(binding('secret', 'x')));
    const memberList = await w.api('GET', `/organizations/${w.org}/projects`, w.memberToken);
    assert.equal(memberList.status, 200, memberList.text);
    assert.deepEqual(memberList.body.data, [], 'a member without project access sees none');
    assert.deepEqual(memberList.body.meta['status-counts'], { total: 0, matching: 0 }, 'nor how many there are');
    assertError(await w.api('GET', `/organizations/${w.org}/projects`, w.strangerToken), 404);
    for (const token of [w.memberToken, w.strangerToken]) {
      assertError(await w.api('POST', `/organizations/${w.org}/projects`, token, projectBody({ name: unique('p') })), 404);
      assertError(await w.api('GET', `/projects/${project.id}`, token), 404);
      assertError(await w.api('GET', `/projects/${project.id}/tag-bindings`, token), 404);
      assertError(await w.api('GET', `/projects/${project.id}/effective-tag-bindings`, token), 404);
      assertError(await w.api('DELETE', `/projects/${project.id}`, token), 404);
    }
    // The organization token of one organization sees nothing of another.
    assertError(await w.api('GET', `/projects/${w.otherDefaultProjectId}`, w.orgToken), 404);
    assertError(await w.api('GET', `/organizations/${w.otherOrg}/projects`, w.orgToken), 404);
    assertError(await w.api('POST', `/organizations/${w.otherOrg}/projects`, w.orgToken, projectBody({ name: unique('p') })), 404);
    assertError(await w.api('GET', '/organizations/no-such-org/projects', w.ownerToken), 404);
    assertError(await w.api('GET', '/projects/prj-unknown', w.ownerToken), 404);
    assertError(await w.api('GET', '/projects/prj-unknown/effective-tag-bindings', w.ownerToken), 404);
    assert.equal((await w.api('GET', `/projects/${project.id}`, w.ownerToken)).status, 200, 'still there');
  });

  it('answers 401 for a bad or expired token, and 400 for malformed or mistyped documents', async () => {
    for (const token of ['not-a-token', w.expiredToken]) {
      assertError(await w.api('GET', `/organizations/${w.org}/projects`, token), 401);
      assertError(await w.api('GET', `/projects/${w.defaultProjectId}`, token), 401);
      assertError(await w.api('POST', `/organizations/${w.org}/projects`, token, projectBody({ name: unique('p') })), 401);
    }
    assertError(await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, '{"data": {'), 400);
    assertError(await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name: unique('p') }, undefined, 'project')), 400);
    assertError(await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, { data: [] }), 400);
    assertError(await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken), 400);
  });
});
