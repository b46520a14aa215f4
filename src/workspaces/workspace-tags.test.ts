import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, assertInvalidParameter, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { newId } from '../ids.js';
import { WorkspaceWorld, wsBody } from './testing.js';

const tagLinkage = (...names: string[]) => ({ data: names.map((name) => ({ type: 'tags', attributes: { name } })) });
const bindingLinkage = (bindings: Record<string, string | undefined>) => ({
  data: Object.entries(bindings).map(([key, value]) => ({ type: 'tag-bindings', attributes: value === undefined ? { key } : { key, value } })),
});

forEachDatabase('workspace tags', (server) => {
  const world = new WorkspaceWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);

  async function projectBinding(projectId: string, key: string, value: string): Promise<string> {
    const id = newId('tb');
    await server.database.db.insertInto('project_tag_bindings').values({ id, project_id: projectId, key, value }).execute();
    return id;
  }

  async function listNames(org: string, query: string): Promise<string[]> {
    const res = await api('GET', `/organizations/${org}/workspaces?${query}`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    return res.body.data.map((w: any) => w.attributes.name).sort();
  }

  it('follows the CLI set form: create with tag names, then sync the key-only binding', async () => {
    const name = unique('app1');
    // The CLI's create body: tag linkage with attributes and no id (cli-protocol.md §4.2).
    const res = await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, wsBody({ name }, { tags: tagLinkage('app', 'web') }));
    assert.equal(res.status, 201, res.text);
    const ws = res.body.data;
    assert.deepEqual(ws.attributes['tag-names'], ['app', 'web']);

    let bindings = await api('GET', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken);
    assert.equal(bindings.status, 200);
    assert.deepEqual(bindings.body, { data: [], links: { target: `/api/v2/workspaces/${ws.id}` } });
    bindings = await api('PATCH', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken, bindingLinkage({ app: undefined }));
    assert.equal(bindings.status, 200, bindings.text);
    assert.equal(bindings.body.data.length, 1);
    const [binding] = bindings.body.data;
    assert.equal(binding.type, 'tag-bindings');
    assert.match(binding.id, /^tb-/);
    assert.deepEqual({ ...binding.attributes, 'created-at': 0 }, { key: 'app', value: '', 'created-at': 0 });
    assert.match(binding.attributes['created-at'], TIMESTAMP);

    const tags = await api('GET', `/workspaces/${ws.id}/relationships/tags`, world.ownerToken);
    assert.equal(tags.status, 200);
    assert.deepEqual(
      tags.body.data.map((t: any) => [t.type, t.attributes.name, t.attributes['instance-count'], t.relationships.organization.data.id]),
      [
        ['tags', 'app', 1, world.org],
        ['tags', 'web', 1, world.org],
      ],
    );
    assert.equal(tags.body.meta.pagination['total-count'], 2);
    assert.ok((await listNames(world.org, 'search[tags]=app')).includes(name));
    assert.ok((await listNames(world.org, 'search%5Btags%5D=app%2Cweb')).includes(name));
  });

  it('follows the CLI map form: create with bindings, then list with filter[tagged] and the junk TagBindings parameter', async () => {
    const org = unique('map');
    await world.createOrganization(world.ownerToken, org);
    const prod = await world.createWorkspace({ name: 'prod' }, { 'tag-bindings': bindingLinkage({ env: 'prod', team: 'core' }) }, org);
    await world.createWorkspace({ name: 'dev' }, { 'tag-bindings': bindingLinkage({ env: 'dev' }) }, org);
    await world.createWorkspace({ name: 'flat' }, { tags: tagLinkage('env') }, org);
    assert.deepEqual(prod.attributes['tag-names'], [], 'bindings are not flat tags');
    const query = 'TagBindings=%7B+env+prod%7D&filter%5Btagged%5D%5B0%5D%5Bkey%5D=env&filter%5Btagged%5D%5B0%5D%5Bvalue%5D=prod&search%5Btags%5D=env';
    assert.deepEqual(await listNames(org, query), ['prod']);
    assert.deepEqual(await listNames(org, 'search[tags]=env'), ['dev', 'flat', 'prod'], 'search[tags] matches binding keys and flat tags');
    assert.deepEqual(await listNames(org, 'filter[tagged][0][key]=env'), ['dev', 'flat', 'prod']);
    assert.deepEqual(await listNames(org, 'filter[tagged][0][key]=env&filter[tagged][0][value]='), ['flat']);
    assert.deepEqual(await listNames(org, 'filter[tagged][1][key]=team&filter[tagged][0][key]=env&filter[tagged][0][value]=prod'), ['prod']);
    assert.deepEqual(await listNames(org, 'filter[tagged][0][key]=team&filter[tagged][1][key]=env&filter[tagged][1][value]=dev'), []);
    assert.deepEqual(await listNames(org, 'search[tags]=env,team'), ['prod']);
    assert.deepEqual(await listNames(org, 'search[exclude-tags]=team'), ['dev', 'flat']);
    assert.deepEqual(await listNames(org, 'search[exclude-tags]=team,nothing&search[tags]=env'), ['dev', 'flat']);
    assert.deepEqual(await listNames(org, 'search[tags]=nothing'), []);
    for (const name of ['filter[tagged][0][value]=prod', 'filter[tagged][a][key]=env', 'filter[tagged][0][name]=env', 'filter[tagged]=env']) {
      const res = await api('GET', `/organizations/${org}/workspaces?${name}`, world.ownerToken);
      assertInvalidParameter(res, res.body.errors[0].source.parameter);
      assert.match(res.body.errors[0].source.parameter, /^filter\[tagged\]/);
    }
  });

  it('counts search[tags] matches: flat tags alone, with other filters, and with bindings of the key', async () => {
    const org = unique('count');
    await world.createOrganization(world.ownerToken, org);
    await world.createWorkspace({ name: 'both' }, { tags: tagLinkage('x', 'y') }, org);
    await world.createWorkspace({ name: 'only-x' }, { tags: tagLinkage('x') }, org);
    await world.createWorkspace({ name: 'only-y' }, { tags: tagLinkage('y') }, org);
    const bound = await world.createWorkspace({ name: 'bound' }, {}, org);
    const count = async (query: string) => {
      const res = await api('GET', `/organizations/${org}/workspaces?page%5Bsize%5D=1&${query}`, world.ownerToken);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.length, Math.min(1, res.body.meta.pagination['total-count']));
      return res.body.meta.pagination['total-count'];
    };
    assert.equal(await count('search%5Btags%5D=x'), 2);
    assert.equal(await count('search%5Btags%5D=x,y'), 1);
    assert.equal(await count('search%5Btags%5D=x,x'), 2);
    assert.equal(await count('search%5Btags%5D=x,nothing'), 0);
    assert.equal(await count('search%5Btags%5D=x&search%5Bname%5D=only'), 1);
    assert.equal(await count('search%5Btags%5D=x&search%5Bexclude-tags%5D=y'), 1);
    const res = await api('PATCH', `/workspaces/${bound.id}/tag-bindings`, world.ownerToken, bindingLinkage({ x: 'yes' }));
    assert.equal(res.status, 200, res.text);
    assert.equal(await count('search%5Btags%5D=x'), 3);
    assert.equal(await count('search%5Btags%5D=x,y'), 1);
  });

  it('inherits project bindings: in effective-tag-bindings, in search[tags] and filter[tagged], overridden by the workspace', async () => {
    const org = unique('inherit');
    const orgId = await world.createOrganization(world.ownerToken, org);
    const project = await world.insertProject(orgId);
    await projectBinding(project, 'dept', 'r+d');
    await projectBinding(project, 'env', 'prod');
    const inheriting = await world.createWorkspace({ name: 'inheriting' }, { project: { data: { type: 'projects', id: project } } }, org);
    const overriding = await world.createWorkspace(
      { name: 'overriding' },
      { project: { data: { type: 'projects', id: project } }, 'tag-bindings': bindingLinkage({ env: 'dev', costcenter: '123' }) },
      org,
    );
    await world.createWorkspace({ name: 'outside' }, undefined, org);

    const effective = await api('GET', `/workspaces/${overriding.id}/effective-tag-bindings`, world.ownerToken);
    assert.equal(effective.status, 200, effective.text);
    assert.deepEqual(
      effective.body.data.map((b: any) => [b.type, b.attributes.key, b.attributes.value, b.links?.['inherited-from'] ?? null]),
      [
        ['effective-tag-bindings', 'costcenter', '123', null],
        ['effective-tag-bindings', 'dept', 'r+d', `/api/v2/projects/${project}`],
        ['effective-tag-bindings', 'env', 'dev', null],
      ],
    );
    const own = await api('GET', `/workspaces/${overriding.id}/tag-bindings`, world.ownerToken);
    assert.deepEqual(
      own.body.data.map((b: any) => b.attributes.key),
      ['costcenter', 'env'],
    );
    assert.equal((await api('GET', `/workspaces/${inheriting.id}/effective-tag-bindings`, world.ownerToken)).body.data.length, 2);

    assert.deepEqual(await listNames(org, 'search[tags]=dept'), ['inheriting', 'overriding']);
    assert.deepEqual(await listNames(org, 'filter[tagged][0][key]=env&filter[tagged][0][value]=prod'), ['inheriting']);
    assert.deepEqual(await listNames(org, 'filter[tagged][0][key]=env&filter[tagged][0][value]=dev'), ['overriding']);
    assert.deepEqual(await listNames(org, 'search[exclude-tags]=dept'), ['outside']);
  });

  it('adds and changes bindings with PATCH tag-bindings; replaces them all with PATCH on the workspace', async () => {
    const ws = await world.createWorkspace({}, { 'tag-bindings': bindingLinkage({ a: '1', b: '2' }) });
    let res = await api('PATCH', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken, bindingLinkage({ b: '20', c: '3' }));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((b: any) => `${b.attributes.key}=${b.attributes.value}`),
      ['a=1', 'b=20', 'c=3'],
    );
    res = await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({}, { 'tag-bindings': bindingLinkage({ z: 'last' }) }));
    assert.equal(res.status, 200, res.text);
    res = await api('GET', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken);
    assert.deepEqual(
      res.body.data.map((b: any) => `${b.attributes.key}=${b.attributes.value}`),
      ['z=last'],
    );
    res = await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({}, { 'tag-bindings': { data: [] } }));
    assert.deepEqual((await api('GET', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken)).body.data, []);
  });

  it('adds and changes bindings with POST relationships/tag-bindings, answering 204', async () => {
    const ws = await world.createWorkspace({}, { 'tag-bindings': bindingLinkage({ a: '1', b: '2' }) });
    const post = (body: unknown, token = world.ownerToken) => api('POST', `/workspaces/${ws.id}/relationships/tag-bindings`, token, body);
    const res = await post(bindingLinkage({ b: '20', c: undefined }));
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    const listed = await api('GET', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken);
    assert.deepEqual(
      listed.body.data.map((b: any) => `${b.attributes.key}=${b.attributes.value}`),
      ['a=1', 'b=20', 'c='],
    );
    assertInvalid(await post(bindingLinkage({ 'bad key': 'x' })), '/data/0/attributes/key');
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`n${i}`, '']));
    assertInvalid(await post(bindingLinkage(eight)), '/data', /at most 10/);
    assertError(await post({ data: { type: 'tag-bindings', attributes: { key: 'x' } } }), 400);
    assertError(await post(bindingLinkage({ x: '' }), world.strangerToken), 404);
    assertError(await post(bindingLinkage({ x: '' }), 'not-a-token'), 401);
    assertError(await api('POST', '/workspaces/ws-unknown/relationships/tag-bindings', world.ownerToken, bindingLinkage({ x: '' })), 404);
    assert.equal((await api('GET', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken)).body.data.length, 3, 'the refused requests changed nothing');
  });

  it('lists bindings with GET and replaces them all with PATCH relationships/tag-bindings (204)', async () => {
    const ws = await world.createWorkspace({}, { 'tag-bindings': bindingLinkage({ a: '1', b: '2' }) });
    const path = `/workspaces/${ws.id}/relationships/tag-bindings`;
    const pairs = async () => (await api('GET', path, world.ownerToken)).body.data.map((b: any) => `${b.attributes.key}=${b.attributes.value}`);
    assert.deepEqual(await pairs(), ['a=1', 'b=2']);
    const res = await api('PATCH', path, world.ownerToken, bindingLinkage({ c: '3' }));
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await pairs(), ['c=3'], 'the others are gone');
    assertInvalid(await api('PATCH', path, world.ownerToken, bindingLinkage({ 'bad key': 'x' })), '/data/0/attributes/key');
    assertError(await api('PATCH', path, world.strangerToken, bindingLinkage({ x: '' })), 404);
    assert.equal((await api('PATCH', path, world.ownerToken, { data: [] })).status, 204);
    assert.deepEqual(await pairs(), []);
  });

  it('refuses invalid, reserved, repeated and too many tag bindings with 422', async () => {
    const ws = await world.createWorkspace();
    const patch = (body: unknown) => api('PATCH', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken, body);
    const cases: [Record<string, string | undefined>, string, RegExp][] = [
      [{ 'bad key': 'x' }, '/data/0/attributes/key', /keys are/],
      [{ '': 'x' }, '/data/0/attributes/key', /keys are/],
      [{ ['k'.repeat(129)]: 'x' }, '/data/0/attributes/key', /keys are/],
      [{ ok: 'bad value' }, '/data/0/attributes/value', /values are/],
      [{ ok: 'v'.repeat(257) }, '/data/0/attributes/value', /values are/],
      [{ fine: 'x', 'hc:owner': 'x' }, '/data/1/attributes/key', /reserved/],
      [{ 'HCP:owner': 'x' }, '/data/0/attributes/key', /reserved/],
    ];
    for (const [bindings, pointer, detail] of cases) assertInvalid(await patch(bindingLinkage(bindings)), pointer, detail);
    assert.equal((await patch(bindingLinkage({ [`k${'_.=+-@:'}`]: 'v'.repeat(256) }))).status, 200, 'every documented character');
    assertInvalid(
      await patch({
        data: [
          { type: 'tag-bindings', attributes: { key: 'dup', value: '1' } },
          { type: 'tag-bindings', attributes: { key: 'dup', value: '2' } },
        ],
      }),
      '/data/1/attributes/key',
      /twice/,
    );
    assertInvalid(await patch({ data: [{ type: 'tag-bindings', attributes: { value: 'x' } }] }), '/data/0/attributes/key');
    assertInvalid(await patch({ data: [{ type: 'tag-bindings', attributes: { key: 'k', value: 7 } }] }), '/data/0/attributes/value');
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`n${i}`, `${i}`]));
    assert.equal((await patch(bindingLinkage(nine))).status, 200, 'ten with the one above');
    assertInvalid(await patch(bindingLinkage({ eleventh: 'x' })), '/data', /at most 10/);
    assert.equal((await patch(bindingLinkage({ n0: 'changed' }))).status, 200, 'changing a value adds no key');
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, '']));
    assertInvalid(
      await api(
        'POST',
        `/organizations/${world.org}/workspaces`,
        world.ownerToken,
        wsBody({ name: unique('many') }, { 'tag-bindings': bindingLinkage(eleven) }),
      ),
      '/data/relationships/tag-bindings/data/10',
      /at most 10/,
    );
    assertInvalid(
      await api(
        'POST',
        `/organizations/${world.org}/workspaces`,
        world.ownerToken,
        wsBody({ name: unique('res') }, { 'tag-bindings': bindingLinkage({ 'hc:x': '' }) }),
      ),
      '/data/relationships/tag-bindings/data/0/attributes/key',
      /reserved/,
    );
    assertInvalid(
      await api(
        'POST',
        `/organizations/${world.org}/workspaces`,
        world.ownerToken,
        wsBody({ name: unique('res') }, { 'tag-bindings': { data: [{ type: 'tags', attributes: { key: 'a' } }] } }),
      ),
      '/data/relationships/tag-bindings/data/0/type',
    );
    assertError(await patch({ data: { type: 'tag-bindings', attributes: { key: 'a' } } }), 400);
    assertError(await patch({ data: [{ type: 'tags', attributes: { key: 'a' } }] }), 400);
    assertError(await patch('{"data": ['), 400);
    assertError(await api('PATCH', '/workspaces/ws-unknown/tag-bindings', world.ownerToken, bindingLinkage({ a: 'b' })), 404);
  });

  it('adds flat tags by name and id, removes them, and drops organization tags no workspace carries', async () => {
    const ws = await world.createWorkspace();
    const other = await world.createWorkspace({}, { tags: tagLinkage('shared') });
    const path = `/workspaces/${ws.id}/relationships/tags`;
    assert.equal((await api('POST', path, world.ownerToken, tagLinkage('alpha', 'shared', 'alpha'))).status, 204);
    const sharedId = (
      await server.database.db.selectFrom('tags').select('id').where('organization_id', '=', world.orgId).where('name', '=', 'shared').executeTakeFirstOrThrow()
    ).id;
    assert.equal((await api('POST', path, world.orgToken, { data: [{ type: 'tags', id: sharedId }] })).status, 204, 'adding again is harmless');
    let shown = await api('GET', `/workspaces/${ws.id}`, world.ownerToken);
    assert.deepEqual(shown.body.data.attributes['tag-names'], ['alpha', 'shared']);
    const listed = await api('GET', `${path}?page[size]=1&page[number]=2`, world.ownerToken);
    assert.deepEqual(
      listed.body.data.map((t: any) => [t.attributes.name, t.attributes['instance-count']]),
      [['shared', 2]],
    );
    assert.equal(listed.body.meta.pagination['total-count'], 2);

    assert.equal(
      (
        await api('DELETE', path, world.ownerToken, {
          data: [
            { type: 'tags', attributes: { name: 'alpha' } },
            { type: 'tags', id: sharedId },
          ],
        })
      ).status,
      204,
    );
    assert.equal((await api('DELETE', path, world.ownerToken, tagLinkage('never-existed'))).status, 204, 'an unknown name is ignored');
    shown = await api('GET', `/workspaces/${ws.id}`, world.ownerToken);
    assert.deepEqual(shown.body.data.attributes['tag-names'], []);
    const remaining = await server.database.db
      .selectFrom('tags')
      .select('name')
      .where('organization_id', '=', world.orgId)
      .where('name', 'in', ['alpha', 'shared'])
      .execute();
    assert.deepEqual(
      remaining.map((r) => r.name),
      ['shared'],
      'alpha had no other workspace and is gone; shared is still on another',
    );
    assert.deepEqual((await api('GET', `/workspaces/${other.id}`, world.ownerToken)).body.data.attributes['tag-names'], ['shared']);

    assertInvalid(await api('POST', path, world.ownerToken, { data: [{ type: 'tags', id: 'tag-unknown' }] }), '/data/0/id', /not found/);
    assertInvalid(await api('DELETE', path, world.ownerToken, { data: [{ type: 'tags', id: 'tag-unknown' }] }), '/data/0/id', /not found/);
    for (const name of ['has space', 'dot.ted', '', 't'.repeat(256)]) {
      assertInvalid(await api('POST', path, world.ownerToken, tagLinkage('ok', name)), '/data/1/attributes/name');
    }
    assertInvalid(await api('POST', path, world.ownerToken, { data: [{ type: 'tags' }] }), '/data/0', /id or attributes.name/);
    assertError(await api('POST', path, world.ownerToken, { data: [{ type: 'tag-bindings', attributes: { name: 'x' } }] }), 400);
    assertError(await api('POST', path, world.ownerToken, { data: { type: 'tags', attributes: { name: 'x' } } }), 400);
    assertInvalid(
      await api('POST', `/organizations/${world.org}/workspaces`, world.ownerToken, wsBody({ name: unique('t') }, { tags: tagLinkage('bad tag') })),
      '/data/relationships/tags/data/0/attributes/name',
    );
    assertInvalid(
      await api('PATCH', `/workspaces/${ws.id}`, world.ownerToken, wsBody({}, { tags: tagLinkage('x') })),
      '/data/relationships/tags',
      /relationships\/tags/,
    );
    const theirTag = await world.createWorkspace({}, { tags: tagLinkage('theirs') }, world.otherOrg, world.strangerToken);
    const theirTagId = (
      await server.database.db
        .selectFrom('tags')
        .select('id')
        .where('organization_id', '=', world.otherOrgId)
        .where('name', '=', 'theirs')
        .executeTakeFirstOrThrow()
    ).id;
    assert.ok(theirTag);
    assertInvalid(await api('POST', path, world.ownerToken, { data: [{ type: 'tags', id: theirTagId }] }), '/data/0/id', /not found/);
  });

  it('hides tags and bindings from callers without access', async () => {
    const ws = await world.createWorkspace({}, { tags: tagLinkage('secret'), 'tag-bindings': bindingLinkage({ k: 'v' }) });
    const reads = ['relationships/tags', 'tag-bindings', 'effective-tag-bindings'];
    for (const token of [world.memberToken, world.strangerToken]) {
      for (const path of reads) assertError(await api('GET', `/workspaces/${ws.id}/${path}`, token), 404);
      assertError(await api('POST', `/workspaces/${ws.id}/relationships/tags`, token, tagLinkage('x')), 404);
      assertError(await api('DELETE', `/workspaces/${ws.id}/relationships/tags`, token, tagLinkage('secret')), 404);
      assertError(await api('PATCH', `/workspaces/${ws.id}/tag-bindings`, token, bindingLinkage({ k: 'x' })), 404);
    }
    for (const path of reads) {
      assert.equal((await api('GET', `/workspaces/${ws.id}/${path}`, world.orgToken)).status, 200);
      assertError(await api('GET', `/workspaces/${ws.id}/${path}`, world.expiredToken), 401);
      assertError(await api('GET', `/workspaces/ws-unknown/${path}`, world.ownerToken), 404);
    }
    assert.equal((await api('PATCH', `/workspaces/${ws.id}/tag-bindings`, world.orgToken, bindingLinkage({ k: 'org' }))).status, 200);
    assertError(await api('GET', `/workspaces/${ws.id}/relationships/tags?page[size]=500`, world.ownerToken), 422);
  });
});
