import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, onePage, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { linkage, SECRET, setBody, tfVar, VariableSetWorld, varBody } from './testing.js';

forEachDatabase('variable sets', (server) => {
  const w = new VariableSetWorld(server);
  before(() => w.setUp());

  it('creates a variable set with the documented defaults and relationships', async () => {
    const name = unique('MyVarset');
    const res = await w.api('POST', `/organizations/${w.org}/varsets`, w.ownerToken, setBody({ name }));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    const data = res.body.data;
    assert.equal(data.type, 'varsets');
    assert.match(data.id, /^varset-[1-9A-Za-z]{16}$/);
    assert.match(data.attributes['updated-at'], TIMESTAMP);
    assert.deepEqual(
      { ...data.attributes, 'updated-at': undefined },
      {
        name,
        description: '',
        global: false,
        priority: false,
        'updated-at': undefined,
        'var-count': 0,
        'workspace-count': 0,
        'project-count': 0,
        permissions: { 'can-update': true },
      },
    );
    assert.deepEqual(data.relationships, {
      organization: { data: { id: w.org, type: 'organizations' } },
      vars: { data: [] },
      workspaces: { data: [] },
      projects: { data: [] },
      parent: { data: { id: w.org, type: 'organizations' } },
    });
    assert.equal(data.links.self, `/api/v2/varsets/${data.id}`);
    assert.equal('included' in res.body, false);
  });

  it('creates a set applied to workspaces and projects with its variables, sensitive ones sealed', async () => {
    const res = await w.api(
      'POST',
      `/organizations/${w.org}/varsets`,
      w.ownerToken,
      setBody(
        { name: unique('full'), description: 'Full of vars', priority: true },
        {
          workspaces: linkage('workspaces', [w.ws1]),
          projects: linkage('projects', [w.projectB]),
          vars: {
            data: [
              { type: 'vars', attributes: tfVar('region', 'us-east-1') },
              { type: 'vars', attributes: { key: 'TOKEN', value: SECRET, category: 'env', sensitive: true, description: 'api token' } },
            ],
          },
        },
      ),
    );
    assert.equal(res.status, 201, res.text);
    const data = res.body.data;
    assert.equal(data.attributes.priority, true);
    assert.equal(data.attributes.description, 'Full of vars');
    assert.deepEqual([data.attributes['var-count'], data.attributes['workspace-count'], data.attributes['project-count']], [2, 1, 1]);
    assert.deepEqual(data.relationships.workspaces.data, [{ id: w.ws1, type: 'workspaces' }]);
    assert.deepEqual(data.relationships.projects.data, [{ id: w.projectB, type: 'projects' }]);
    assert.equal(data.relationships.vars.data.length, 2);
    const included = res.body.included as any[];
    assert.deepEqual(included.map((v) => [v.type, v.attributes.key, v.attributes.value, v.attributes.sensitive]).sort(), [
      ['vars', 'TOKEN', null, true],
      ['vars', 'region', 'us-east-1', false],
    ]);
    assert.ok(!res.text.includes(SECRET));
    const token = included.find((v) => v.attributes.key === 'TOKEN');
    assert.deepEqual(token.relationships.varset.data, { id: data.id, type: 'varsets' });
    assert.equal(token.links.self, `/api/v2/varsets/${data.id}/relationships/vars/${token.id}`);
    assert.match(token.attributes['version-id'], /^[0-9a-f]{36}$/);
    const row = await server.database.db.selectFrom('variables').select(['value', 'sealed_value']).where('id', '=', token.id).executeTakeFirstOrThrow();
    assert.equal(row.value, null);
    assert.match(row.sealed_value ?? '', /^v1\./);
    assert.ok(!row.sealed_value?.includes(SECRET));
  });

  it('refuses bad create requests with 400, 404 and 422 and writes nothing', async () => {
    const before = await w.setCount();
    const post = (body: unknown, token = w.ownerToken, organization = w.org) => w.api('POST', `/organizations/${organization}/varsets`, token, body);
    assertError(await post('{"data": {'), 400);
    assertError(await post(setBody({ name: 'x' }, undefined, 'workspaces')), 400);
    assertError(await post({ data: [] }), 400);
    assertInvalid(await post(setBody({})), '/data/attributes/name');
    assertInvalid(await post(setBody({ name: '  ' })), '/data/attributes/name');
    assertError(await post(setBody({ name: 'nul\u0000' })), 400);
    assertInvalid(await post(setBody({ name: 'x', global: 'yes' })), '/data/attributes/global');
    assertInvalid(await post(setBody({ name: 'x', priority: 1 })), '/data/attributes/priority');
    assertInvalid(await post(setBody({ name: 'x' }, { workspaces: linkage('workspaces', ['ws-unknown']) })), '/data/relationships/workspaces/data/0/id');
    assertInvalid(await post(setBody({ name: 'x' }, { workspaces: linkage('workspaces', [w.ws1, w.theirWs]) })), '/data/relationships/workspaces/data/1/id');
    assertInvalid(await post(setBody({ name: 'x' }, { workspaces: linkage('projects', [w.ws1]) })), '/data/relationships/workspaces/data/0/type');
    assertInvalid(await post(setBody({ name: 'x' }, { workspaces: { data: { type: 'workspaces', id: w.ws1 } } })), '/data/relationships/workspaces');
    assertInvalid(await post(setBody({ name: 'x' }, { projects: linkage('projects', [w.otherDefaultProjectId]) })), '/data/relationships/projects/data/0/id');
    assertInvalid(await post(setBody({ name: 'x', global: true }, { workspaces: linkage('workspaces', [w.ws1]) })), '/data/relationships/workspaces/data/0/id');
    assertInvalid(await post(setBody({ name: 'x', global: true }, { projects: linkage('projects', [w.projectB]) })), '/data/relationships/projects/data/0/id');
    const vars = (...attributes: Record<string, unknown>[]) => ({ vars: { data: attributes.map((a) => ({ type: 'vars', attributes: a })) } });
    assertInvalid(await post(setBody({ name: 'x' }, vars(tfVar('ok'), tfVar('not\nvalid')))), '/data/relationships/vars/data/1/attributes/key');
    assertInvalid(await post(setBody({ name: 'x' }, vars({ key: 'A-B', value: 'v', category: 'env' }))), '/data/relationships/vars/data/0/attributes/key');
    assertInvalid(await post(setBody({ name: 'x' }, vars({ key: 'a', category: 'other' }))), '/data/relationships/vars/data/0/attributes/category');
    assertInvalid(await post(setBody({ name: 'x' }, vars({ value: 'v', category: 'env' }))), '/data/relationships/vars/data/0/attributes/key');
    assertInvalid(await post(setBody({ name: 'x' }, vars(tfVar('dup'), tfVar('dup')))), '/data/relationships/vars/data/1/attributes/key');
    assertInvalid(
      await post(setBody({ name: 'x' }, { vars: { data: [{ type: 'workspaces', attributes: tfVar('a') }] } })),
      '/data/relationships/vars/data/0/type',
    );
    assertInvalid(await post(setBody({ name: 'x' }, { vars: [] })), '/data/relationships/vars');
    assertInvalid(
      await post(setBody({ name: 'x' }, { parent: { data: { type: 'projects', id: w.otherDefaultProjectId } } })),
      '/data/relationships/parent/data',
    );
    assertInvalid(await post(setBody({ name: 'x' }, { parent: { data: { type: 'organizations', id: w.otherOrg } } })), '/data/relationships/parent/data');
    assertInvalid(await post(setBody({ name: 'x' }, { parent: { data: { type: 'teams', id: 'team-1' } } })), '/data/relationships/parent/data');
    assertInvalid(await post(setBody({ name: 'x' }, { parent: { data: null } })), '/data/relationships/parent');
    assertInvalid(await post(setBody({ name: 'x', global: true }, { parent: { data: { type: 'projects', id: w.projectB } } })), '/data/attributes/global');
    assertError(await post(setBody({ name: 'x' }), w.ownerToken, 'no-such-org'), 404);
    assertError(await post(setBody({ name: 'x' }), w.ownerToken, w.otherOrg), 404);
    assertError(await post(setBody({ name: 'x' }), w.strangerToken), 404);
    assertError(await post(setBody({ name: 'x' }), w.memberToken), 404);
    assertError(await post(setBody({ name: 'x' }), 'not-a-token'), 401);
    assertError(await post(setBody({ name: 'x' }), w.expiredToken), 401);
    assertError(await server.api('POST', `/api/v2/organizations/${w.org}/varsets`, { body: setBody({ name: 'x' }) }), 401);
    assert.equal(await w.setCount(), before);
  });

  it('refuses a duplicate name in the organization with 422, but allows it in another organization', async () => {
    const name = unique('dup');
    await w.createSet({ name });
    assertInvalid(await w.api('POST', `/organizations/${w.org}/varsets`, w.ownerToken, setBody({ name })), '/data/attributes/name');
    await w.createSet({ name }, undefined, w.otherOrg, server.adminToken);
  });

  it('lets the organization token manage variable sets', async () => {
    const set = await w.createSet({}, undefined, w.org, w.orgToken);
    assert.equal(set.attributes.permissions['can-update'], true);
    const res = await w.api('PATCH', `/varsets/${set.id}`, w.orgToken, setBody({ description: 'by org token' }));
    assert.equal(res.status, 200, res.text);
    assert.equal((await w.api('DELETE', `/varsets/${set.id}`, w.orgToken)).status, 204);
  });

  it('creates a project-owned set and keeps it inside its project', async () => {
    const set = await w.createSet({}, { parent: { data: { type: 'projects', id: w.projectB } } });
    assert.deepEqual(set.relationships.parent.data, { id: w.projectB, type: 'projects' });
    assert.deepEqual(set.relationships.organization.data, { id: w.org, type: 'organizations' });
    assertInvalid(await w.api('POST', `/varsets/${set.id}/relationships/workspaces`, w.ownerToken, linkage('workspaces', [w.ws1])), '/data/0/id');
    assertInvalid(await w.api('POST', `/varsets/${set.id}/relationships/projects`, w.ownerToken, linkage('projects', [w.defaultProjectId])), '/data/0/id');
    assert.equal((await w.api('POST', `/varsets/${set.id}/relationships/workspaces`, w.ownerToken, linkage('workspaces', [w.wsB]))).status, 204);
    assert.equal((await w.api('POST', `/varsets/${set.id}/relationships/projects`, w.ownerToken, linkage('projects', [w.projectB]))).status, 204);
    assertInvalid(await w.api('PATCH', `/varsets/${set.id}`, w.ownerToken, setBody({ global: true })), '/data/attributes/global');
  });

  it('shows a set, with its variables when included', async () => {
    const set = await w.createSet({ description: 'd' });
    const variable = await w.addVar(set.id, tfVar('shown', 'yes'));
    const res = await w.api('GET', `/varsets/${set.id}`, w.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes.description, 'd');
    assert.deepEqual(res.body.data.relationships.vars.data, [{ id: variable.id, type: 'vars' }]);
    assert.equal('included' in res.body, false);
    const included = await w.api('GET', `/varsets/${set.id}?include=vars`, w.ownerToken);
    assert.deepEqual(
      included.body.included.map((v: any) => [v.id, v.attributes.key, v.attributes.value]),
      [[variable.id, 'shown', 'yes']],
    );
    assert.equal((await w.api('POST', `/varsets/${set.id}/relationships/workspaces`, w.ownerToken, linkage('workspaces', [w.ws1]))).status, 204);
    assert.equal((await w.api('POST', `/varsets/${set.id}/relationships/projects`, w.ownerToken, linkage('projects', [w.projectB]))).status, 204);
    const forProvider = await w.api('GET', `/varsets/${set.id}?include=workspaces,projects`, w.ownerToken);
    assert.equal(forProvider.status, 200, 'the tfe provider reads with include=workspaces');
    assert.deepEqual(
      forProvider.body.included.map((r: any) => `${r.type}/${r.id}`),
      [`workspaces/${w.ws1}`, `projects/${w.projectB}`],
      'the applied workspaces and projects, whole',
    );
    assertError(await w.api('GET', `/varsets/${set.id}?include=secrets`, w.ownerToken), 400);
    assertError(await w.api('GET', '/varsets/varset-unknown', w.ownerToken), 404);
    assertError(await w.api('GET', '/varsets/%00', w.ownerToken), 400);
    assertError(await w.api('GET', `/varsets/${set.id}`, w.strangerToken), 404);
    assertError(await w.api('GET', `/varsets/${set.id}`, w.memberToken), 404);
    assertError(await w.api('GET', `/varsets/${set.id}`, 'not-a-token'), 401);
    assertError(await w.api('GET', `/varsets/${set.id}`, w.expiredToken), 401);
  });

  it('updates attributes with PATCH, PUT and POST, replaces assignments and adds variables', async () => {
    const set = await w.createSet({}, { workspaces: linkage('workspaces', [w.ws1]) });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const name = unique('renamed');
    const patched = await w.api('PATCH', `/varsets/${set.id}`, w.ownerToken, setBody({ name, description: 'new', priority: true }));
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.data.attributes.name, name);
    assert.equal(patched.body.data.attributes.description, 'new');
    assert.equal(patched.body.data.attributes.priority, true);
    assert.ok(patched.body.data.attributes['updated-at'] > set.attributes['updated-at']);
    assert.deepEqual(patched.body.data.relationships.workspaces.data, [{ id: w.ws1, type: 'workspaces' }], 'absent relationships are kept');

    const put = await w.api(
      'PUT',
      `/varsets/${set.id}`,
      w.ownerToken,
      setBody({ description: null }, { workspaces: linkage('workspaces', [w.ws2, w.ws2]), projects: linkage('projects', [w.projectB]) }),
    );
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.data.attributes.description, '');
    assert.deepEqual(put.body.data.relationships.workspaces.data, [{ id: w.ws2, type: 'workspaces' }]);
    assert.deepEqual(put.body.data.relationships.projects.data, [{ id: w.projectB, type: 'projects' }]);

    const posted = await w.api(
      'POST',
      `/varsets/${set.id}?include=vars`,
      w.ownerToken,
      setBody({}, { workspaces: linkage('workspaces', []), vars: { data: [{ type: 'vars', attributes: tfVar('added') }] } }),
    );
    assert.equal(posted.status, 200, posted.text);
    assert.deepEqual(posted.body.data.relationships.workspaces.data, []);
    assert.equal(posted.body.data.attributes['project-count'], 1);
    assert.deepEqual(
      posted.body.included.map((v: any) => v.attributes.key),
      ['added'],
    );
    assertInvalid(
      await w.api('PATCH', `/varsets/${set.id}`, w.ownerToken, setBody({}, { vars: { data: [{ type: 'vars', attributes: tfVar('added') }] } })),
      '/data/relationships/vars/data/0/attributes/key',
    );
  });

  it('refuses bad updates', async () => {
    const set = await w.createSet();
    const other = await w.createSet();
    const patch = (body: unknown, token = w.ownerToken, id = set.id) => w.api('PATCH', `/varsets/${id}`, token, body);
    assertError(await patch('{oops'), 400);
    assertError(await patch(setBody({ name: 'x' }, undefined, 'vars')), 400);
    assertInvalid(await patch(setBody({ name: '' })), '/data/attributes/name');
    assertInvalid(await patch(setBody({ name: other.attributes.name })), '/data/attributes/name');
    assertInvalid(await patch(setBody({ global: 'no' })), '/data/attributes/global');
    assertInvalid(await patch(setBody({}, { workspaces: linkage('workspaces', [w.theirWs]) })), '/data/relationships/workspaces/data/0/id');
    assertInvalid(await patch(setBody({}, { parent: { data: { type: 'projects', id: w.projectB } } })), '/data/relationships/parent/data');
    assertInvalid(await patch(setBody({ global: true }, { projects: linkage('projects', [w.projectB]) })), '/data/relationships/projects/data/0/id');
    assert.equal((await patch(setBody({}, { parent: { data: { type: 'organizations', id: w.org } } }))).status, 200, 'the same parent is fine');
    assertError(await patch(setBody({ name: 'x' }), w.ownerToken, 'varset-unknown'), 404);
    assertError(await patch(setBody({ name: 'x' }), w.strangerToken), 404);
    assertError(await patch(setBody({ name: 'x' }), w.memberToken), 404);
    assertError(await patch(setBody({ name: 'x' }), w.expiredToken), 401);
    const unchanged = await w.api('GET', `/varsets/${set.id}`, w.ownerToken);
    assert.equal(unchanged.body.data.attributes.name, set.attributes.name);
  });

  it('makes a set global: its assignments go, and global sets may not share a key and category', async () => {
    const first = await w.createSet({ global: true }, { vars: { data: [{ type: 'vars', attributes: tfVar('shared_key') }] } });
    assert.equal(first.attributes.global, true);
    const set = await w.createSet(
      {},
      {
        workspaces: linkage('workspaces', [w.ws1]),
        projects: linkage('projects', [w.projectB]),
        vars: { data: [{ type: 'vars', attributes: tfVar('shared_key') }] },
      },
    );
    assertInvalid(await w.api('PATCH', `/varsets/${set.id}`, w.ownerToken, setBody({ global: true })), '/data/attributes/global');
    assert.equal((await w.api('GET', `/varsets/${set.id}`, w.ownerToken)).body.data.attributes.global, false, 'nothing changed');

    // The same key in another category is no conflict.
    const clean = await w.createSet(
      {},
      { workspaces: linkage('workspaces', [w.ws1]), vars: { data: [{ type: 'vars', attributes: { key: 'shared_key', value: 'x', category: 'env' } }] } },
    );
    const made = await w.api('PATCH', `/varsets/${clean.id}`, w.ownerToken, setBody({ global: true }));
    assert.equal(made.status, 200, made.text);
    assert.equal(made.body.data.attributes.global, true);
    assert.deepEqual(made.body.data.relationships.workspaces.data, []);

    const before = await w.setCount();
    const conflicting = await w.api(
      'POST',
      `/organizations/${w.org}/varsets`,
      w.ownerToken,
      setBody(
        { name: unique('g'), global: true },
        {
          vars: {
            data: [
              { type: 'vars', attributes: tfVar('other') },
              { type: 'vars', attributes: tfVar('shared_key') },
            ],
          },
        },
      ),
    );
    assertInvalid(conflicting, '/data/relationships/vars/data/1/attributes/key');
    assert.equal(await w.setCount(), before);
    assertInvalid(
      await w.api('POST', `/varsets/${first.id}/relationships/vars`, w.ownerToken, varBody({ key: 'shared_key', value: 'x', category: 'env' })),
      '/data/attributes/key',
    );
    assertInvalid(await w.api('POST', `/varsets/${first.id}/relationships/workspaces`, w.ownerToken, linkage('workspaces', [w.ws1])), '/data/0/id');
    assertInvalid(await w.api('POST', `/varsets/${first.id}/relationships/projects`, w.ownerToken, linkage('projects', [w.projectB])), '/data/0/id');
    // A non-global set may repeat a global set's key.
    assert.equal((await w.api('POST', `/varsets/${set.id}/relationships/vars`, w.ownerToken, varBody(tfVar('other')))).status, 201);
  });

  it('deletes a set with its variables', async () => {
    const set = await w.createSet({}, { workspaces: linkage('workspaces', [w.ws1]) });
    const variable = await w.addVar(set.id, tfVar('gone'));
    assertError(await w.api('DELETE', `/varsets/${set.id}`, w.strangerToken), 404);
    assertError(await w.api('DELETE', `/varsets/${set.id}`, w.memberToken), 404);
    assertError(await w.api('DELETE', `/varsets/${set.id}`, 'nope'), 401);
    const res = await w.api('DELETE', `/varsets/${set.id}`, w.ownerToken);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assertError(await w.api('GET', `/varsets/${set.id}`, w.ownerToken), 404);
    assertError(await w.api('DELETE', `/varsets/${set.id}`, w.ownerToken), 404);
    const rows = await server.database.db.selectFrom('variables').select('id').where('id', '=', variable.id).execute();
    assert.deepEqual(rows, []);
  });

  it('lists an organization’s sets with search, filters and pagination', async () => {
    const listOrg = unique('vs-list');
    const listOrgId = await w.createOrganization(w.ownerToken, listOrg);
    const project = await w.defaultProjectOf(listOrgId);
    const names = ['alpha-one', 'alpha-two', 'Beta', 'gamma'];
    const ids: Record<string, string> = {};
    for (const name of names) ids[name] = (await w.createSet({ name, global: name === 'gamma' }, undefined, listOrg)).id;
    const owned = await w.createSet({ name: 'owned-by-project' }, { parent: { data: { type: 'projects', id: project } } }, listOrg);
    await w.addVar(ids['alpha-one'] as string, tfVar('x'));

    const all = await w.api('GET', `/organizations/${listOrg}/varsets`, w.ownerToken);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(
      all.body.data.map((s: any) => s.attributes.name),
      ['Beta', 'alpha-one', 'alpha-two', 'gamma', 'owned-by-project'],
    );
    assert.deepEqual(all.body.meta.pagination, onePage(5));
    assert.equal(all.body.data[1].attributes['var-count'], 1);

    const paged = await w.api('GET', `/organizations/${listOrg}/varsets?page%5Bsize%5D=2&page%5Bnumber%5D=2`, w.ownerToken);
    assert.deepEqual(
      paged.body.data.map((s: any) => s.attributes.name),
      ['alpha-two', 'gamma'],
    );
    assert.equal(paged.body.meta.pagination['total-pages'], 3);
    assert.equal(paged.body.meta.pagination['next-page'], 3);
    assert.match(paged.body.links.next, /page%5Bnumber%5D=3/);

    const searched = await w.api('GET', `/organizations/${listOrg}/varsets?q=ALPHA`, w.ownerToken);
    assert.deepEqual(
      searched.body.data.map((s: any) => s.attributes.name),
      ['alpha-one', 'alpha-two'],
    );
    const wildcard = await w.api('GET', `/organizations/${listOrg}/varsets?q=%25`, w.ownerToken);
    assert.equal(wildcard.body.meta.pagination['total-count'], 0, 'LIKE wildcards are literal');
    const global = await w.api('GET', `/organizations/${listOrg}/varsets?filter%5Bglobal%5D=true`, w.ownerToken);
    assert.deepEqual(
      global.body.data.map((s: any) => s.attributes.name),
      ['gamma'],
    );
    const notGlobal = await w.api('GET', `/organizations/${listOrg}/varsets?filter%5Bglobal%5D=false`, w.ownerToken);
    assert.equal(notGlobal.body.meta.pagination['total-count'], 4);
    const orgOwned = await w.api('GET', `/organizations/${listOrg}/varsets?scope=owned`, w.ownerToken);
    assert.ok(!orgOwned.body.data.some((s: any) => s.id === owned.id));
    assert.equal(orgOwned.body.meta.pagination['total-count'], 4);
    const withVars = await w.api('GET', `/organizations/${listOrg}/varsets?include=vars&q=alpha-one`, w.ownerToken);
    assert.deepEqual(
      withVars.body.included.map((v: any) => v.attributes.key),
      ['x'],
    );

    assertError(await w.api('GET', `/organizations/${listOrg}/varsets?filter%5Bglobal%5D=maybe`, w.ownerToken), 422);
    assertError(await w.api('GET', `/organizations/${listOrg}/varsets?scope=everything`, w.ownerToken), 422);
    assertError(await w.api('GET', `/organizations/${listOrg}/varsets?page%5Bsize%5D=0`, w.ownerToken), 422);
    assertError(await w.api('GET', `/organizations/${listOrg}/varsets?page%5Bsize%5D=101`, w.ownerToken), 422);
    assertError(await w.api('GET', `/organizations/${listOrg}/varsets?include=workspaces,nope`, w.ownerToken), 400);
    assertError(await w.api('GET', `/organizations/${listOrg}/varsets?q=a&q=b`, w.ownerToken), 400);
    assertError(await w.api('GET', `/organizations/${listOrg}/varsets`, w.strangerToken), 404);
    assertError(await w.api('GET', '/organizations/no-such-org/varsets', w.ownerToken), 404);
    assertError(await w.api('GET', `/organizations/${listOrg}/varsets`, 'nope'), 401);
    const orgTokenList = await w.api('GET', `/organizations/${listOrg}/varsets`, w.orgToken);
    assertError(orgTokenList, 404);
  });

  it('lists the sets of a project and of a workspace, global ones included', async () => {
    const scopeOrg = unique('vs-scope');
    const scopeOrgId = await w.createOrganization(w.ownerToken, scopeOrg);
    const prjA = await w.defaultProjectOf(scopeOrgId);
    const prjB = await w.insertProject(scopeOrgId, 'other');
    const wsA = await w.insertWorkspace(prjA, scopeOrgId, 'a');
    const wsOther = await w.insertWorkspace(prjA, scopeOrgId, 'b');
    const create = (name: string, attributes: Record<string, unknown>, relationships?: Record<string, unknown>) =>
      w.createSet({ name, ...attributes }, relationships, scopeOrg);
    await create('global', { global: true });
    await create('on-project', {}, { projects: linkage('projects', [prjA]) });
    await create('on-workspace', {}, { workspaces: linkage('workspaces', [wsA]) });
    await create('on-other-workspace', {}, { workspaces: linkage('workspaces', [wsOther]) });
    await create('on-other-project', {}, { projects: linkage('projects', [prjB]) });
    await create('owned-unapplied', {}, { parent: { data: { type: 'projects', id: prjA } } });
    await create('unused', {});

    const names = async (path: string) => {
      const res = await w.api('GET', path, w.ownerToken);
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((s: any) => s.attributes.name);
    };
    assert.deepEqual(await names(`/workspaces/${wsA}/varsets`), ['global', 'on-project', 'on-workspace']);
    assert.deepEqual(await names(`/workspaces/${wsA}/varsets?q=work`), ['on-workspace']);
    assert.deepEqual(await names(`/projects/${prjA}/varsets`), ['global', 'on-project', 'owned-unapplied']);
    assert.deepEqual(await names(`/projects/${prjA}/varsets?scope=owned`), ['owned-unapplied']);
    assert.deepEqual(await names(`/projects/${prjA}/varsets?scope=applied`), ['global', 'on-project']);
    assert.deepEqual(await names(`/projects/${prjA}/varsets?scope=shared`), ['global', 'on-project']);
    assert.deepEqual(await names(`/projects/${prjB}/varsets`), ['global', 'on-other-project']);

    assertError(await w.api('GET', `/projects/${prjA}/varsets?scope=mine`, w.ownerToken), 422);
    assertError(await w.api('GET', '/projects/prj-unknown/varsets', w.ownerToken), 404);
    assertError(await w.api('GET', `/projects/${prjA}/varsets`, w.strangerToken), 404);
    assertError(await w.api('GET', `/projects/${prjA}/varsets`, w.orgToken), 404);
    assertError(await w.api('GET', '/workspaces/ws-unknown/varsets', w.ownerToken), 404);
    assertError(await w.api('GET', `/workspaces/${wsA}/varsets`, w.strangerToken), 404);
    assertError(await w.api('GET', `/workspaces/${wsA}/varsets`, w.expiredToken), 401);
    assertError(await w.api('GET', `/workspaces/${wsA}/varsets?page%5Bnumber%5D=0`, w.ownerToken), 422);
  });

  it('applies a set to workspaces and projects and removes it', async () => {
    const set = await w.createSet();
    const path = (kind: string) => `/varsets/${set.id}/relationships/${kind}`;
    const applied = await w.api('POST', path('workspaces'), w.ownerToken, linkage('workspaces', [w.ws1, w.ws2]));
    assert.equal(applied.status, 204, applied.text);
    assert.equal((await w.api('POST', path('workspaces'), w.ownerToken, linkage('workspaces', [w.ws1]))).status, 204, 'applying twice is harmless');
    assert.equal((await w.api('POST', path('projects'), w.ownerToken, linkage('projects', [w.projectB]))).status, 204);
    let shown = (await w.api('GET', `/varsets/${set.id}`, w.ownerToken)).body.data;
    assert.deepEqual(shown.relationships.workspaces.data.map((w: any) => w.id).sort(), [w.ws1, w.ws2].sort());
    assert.deepEqual([shown.attributes['workspace-count'], shown.attributes['project-count']], [2, 1]);

    assert.equal((await w.api('DELETE', path('workspaces'), w.ownerToken, linkage('workspaces', [w.ws1, w.ws1]))).status, 204);
    assert.equal((await w.api('DELETE', path('projects'), w.ownerToken, linkage('projects', [w.projectB]))).status, 204);
    shown = (await w.api('GET', `/varsets/${set.id}`, w.ownerToken)).body.data;
    assert.deepEqual(shown.relationships.workspaces.data, [{ id: w.ws2, type: 'workspaces' }]);
    assert.deepEqual(shown.relationships.projects.data, []);

    for (const kind of ['workspaces', 'projects']) {
      for (const method of ['POST', 'DELETE']) {
        assertError(await w.api(method, path(kind), w.ownerToken, '{"data": ['), 400);
        assertError(await w.api(method, path(kind), w.ownerToken, { data: { type: kind, id: 'x' } }), 400);
        assertError(await w.api(method, path(kind), w.ownerToken, linkage(kind === 'workspaces' ? 'projects' : 'workspaces', ['x'])), 400);
        assertInvalid(await w.api(method, path(kind), w.ownerToken, { data: [{ type: kind }] }), '/data/0/id');
        assertInvalid(await w.api(method, path(kind), w.ownerToken, linkage(kind, [`${kind === 'workspaces' ? 'ws' : 'prj'}-unknown`])), '/data/0/id');
        assertInvalid(
          await w.api(method, path(kind), w.ownerToken, linkage(kind, [kind === 'workspaces' ? w.theirWs : w.otherDefaultProjectId])),
          '/data/0/id',
        );
        assertError(await w.api(method, `/varsets/varset-unknown/relationships/${kind}`, w.ownerToken, linkage(kind, [])), 404);
        assertError(await w.api(method, path(kind), w.strangerToken, linkage(kind, [])), 404);
        assertError(await w.api(method, path(kind), 'nope', linkage(kind, [])), 401);
      }
    }
  });
});

forEachDatabase('applicable variable sets', (server) => {
  const w = new VariableSetWorld(server);
  before(() => w.setUp());

  it('lists the sets a workspace could still get: not applied to it, not global, its organization’s or its project’s', async () => {
    const org = unique('applicable');
    const orgId = await w.createOrganization(w.ownerToken, org);
    const defaultProject = await w.defaultProjectOf(orgId);
    const otherProject = await w.insertProject(orgId);
    const ws = await w.insertWorkspace(defaultProject, orgId, 'app');
    const free = await w.createSet({ name: 'free' }, undefined, org);
    const ownProject = await w.createSet({ name: 'own-project' }, { parent: { data: { type: 'projects', id: defaultProject } } }, org);
    await w.createSet({ name: 'global', global: true }, undefined, org);
    await w.createSet({ name: 'on-workspace' }, { workspaces: linkage('workspaces', [ws]) }, org);
    await w.createSet({ name: 'on-project' }, { projects: linkage('projects', [defaultProject]) }, org);
    await w.createSet({ name: 'other-project' }, { parent: { data: { type: 'projects', id: otherProject } } }, org);

    const res = await w.api('GET', `/workspaces/${ws}/applicable-varsets`, w.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((s: any) => s.id),
      [free.id, ownProject.id],
    );
    const searched = await w.api('GET', `/workspaces/${ws}/applicable-varsets?q=own`, w.ownerToken);
    assert.deepEqual(
      searched.body.data.map((s: any) => s.id),
      [ownProject.id],
    );
    assertError(await w.api('GET', `/workspaces/${ws}/applicable-varsets`, w.strangerToken), 404);
    assertError(await w.api('GET', '/workspaces/ws-unknown/applicable-varsets', w.ownerToken), 404);
  });
});
