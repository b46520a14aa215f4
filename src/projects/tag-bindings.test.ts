import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, assertInvalidParameter, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { binding, ProjectWorld, projectBody, RELATIONSHIP_POINTER, withBindings } from './testing.js';

forEachDatabase('project tag bindings', (server) => {
  const w = new ProjectWorld(server);
  before(() => w.setUp());

  it('creates a project with tag bindings, listed as its tag bindings and its effective ones', async () => {
    const project = await w.createProject({}, withBindings(binding('env', 'prod'), binding('cost-center', '123'), binding('team'), binding('owner', null)));
    assert.deepEqual(await w.bindingsOf(project.id), [
      ['cost-center', '123'],
      ['env', 'prod'],
      ['owner', ''],
      ['team', ''],
    ]);
    const listed = await w.api('GET', `/projects/${project.id}/tag-bindings`, w.ownerToken);
    const first = listed.body.data[0];
    assert.equal(first.type, 'tag-bindings');
    assert.match(first.id, /^tb-/);
    assert.match(first.attributes['created-at'], TIMESTAMP);

    const effective = await w.api('GET', `/projects/${project.id}/effective-tag-bindings`, w.orgToken);
    assert.equal(effective.status, 200, effective.text);
    assert.deepEqual(
      effective.body.data.map((b: any) => [b.type, b.id, b.attributes]),
      listed.body.data.map((b: any) => ['effective-tag-bindings', b.id, { key: b.attributes.key, value: b.attributes.value }]),
    );
  });

  it('includes effective tag bindings when asked, on show and on list', async () => {
    const project = await w.createProject({}, withBindings(binding('tier', 'gold')));
    const shown = await w.api('GET', `/projects/${project.id}?include=effective_tag_bindings`, w.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    const [included] = shown.body.included;
    assert.deepEqual(shown.body.data.relationships['effective-tag-bindings'].data, [{ id: included.id, type: 'effective-tag-bindings' }]);
    assert.deepEqual(included.attributes, { key: 'tier', value: 'gold' });

    const listed = await w.api(
      'GET',
      `/organizations/${w.org}/projects?include=effective_tag_bindings&filter%5Bnames%5D=${project.attributes.name}`,
      w.ownerToken,
    );
    assert.equal(listed.body.data.length, 1);
    assert.deepEqual(listed.body.included, shown.body.included);

    assertError(await w.api('GET', `/projects/${project.id}?include=organization`, w.ownerToken), 400, /Invalid include parameter/);
    assertError(await w.api('GET', `/organizations/${w.org}/projects?include=secrets`, w.ownerToken), 400, /Invalid include parameter/);
  });

  it('refuses invalid and reserved tag binding keys and values with a pointer', async () => {
    const cases: [unknown[], string][] = [
      [[binding('hc:owner', 'x')], `${RELATIONSHIP_POINTER}/0/attributes/key`],
      [[binding('HCP:thing')], `${RELATIONSHIP_POINTER}/0/attributes/key`],
      [[binding('ok'), binding('has space')], `${RELATIONSHIP_POINTER}/1/attributes/key`],
      [[binding('')], `${RELATIONSHIP_POINTER}/0/attributes/key`],
      [[binding('k'.repeat(129))], `${RELATIONSHIP_POINTER}/0/attributes/key`],
      [[{ type: 'tag-bindings', attributes: { value: 'no key' } }], `${RELATIONSHIP_POINTER}/0/attributes/key`],
      [[{ type: 'tag-bindings', attributes: { key: 7 } }], `${RELATIONSHIP_POINTER}/0/attributes/key`],
      [[binding('env', 'v'.repeat(257))], `${RELATIONSHIP_POINTER}/0/attributes/value`],
      [[binding('env', 'not ok')], `${RELATIONSHIP_POINTER}/0/attributes/value`],
      [[binding('env', 'a'), binding('env', 'b')], `${RELATIONSHIP_POINTER}/1/attributes/key`],
      [Array.from({ length: 11 }, (_, i) => binding(`k${i}`)), `${RELATIONSHIP_POINTER}/10`],
      [[{ type: 'tags', attributes: { key: 'env' } }], `${RELATIONSHIP_POINTER}/0/type`],
    ];
    for (const [bindings, pointer] of cases) {
      const res = await w.api('POST', `/organizations/${w.org}/projects`, w.ownerToken, projectBody({ name: unique('p') }, withBindings(...bindings)));
      assertInvalid(res, pointer);
    }
    const notAList = await w.api(
      'POST',
      `/organizations/${w.org}/projects`,
      w.ownerToken,
      projectBody({ name: unique('p') }, { 'tag-bindings': { data: null } }),
    );
    assertInvalid(notAList, RELATIONSHIP_POINTER);
    const accepted = await w.createProject({}, withBindings(binding('a-b_c.d=e+f@g:h', 'A-b_c.d=e+f@g:h'), binding('k'.repeat(128), 'v'.repeat(256))));
    assert.equal((await w.bindingsOf(accepted.id)).length, 2);
  });

  it('adds and updates tag bindings through PATCH tag-bindings without removing any', async () => {
    const project = await w.createProject({}, withBindings(binding('env', 'dev'), binding('team', 'a')));
    const res = await w.api('PATCH', `/projects/${project.id}/tag-bindings`, w.orgToken, { data: [binding('env', 'prod'), binding('region', 'eu')] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((b: any) => [b.type, b.attributes.key, b.attributes.value]),
      [
        ['tag-bindings', 'env', 'prod'],
        ['tag-bindings', 'region', 'eu'],
      ],
    );
    assert.deepEqual(await w.bindingsOf(project.id), [
      ['env', 'prod'],
      ['region', 'eu'],
      ['team', 'a'],
    ]);
  });

  it('adds and updates tag bindings through POST relationships/tag-bindings, answering 204', async () => {
    const project = await w.createProject({}, withBindings(binding('env', 'dev'), binding('team', 'a')));
    const post = (body: unknown, token = w.orgToken) => w.api('POST', `/projects/${project.id}/relationships/tag-bindings`, token, body);
    const res = await post({ data: [binding('env', 'prod'), binding('region')] });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.deepEqual(await w.bindingsOf(project.id), [
      ['env', 'prod'],
      ['region', ''],
      ['team', 'a'],
    ]);
    assertInvalid(await post({ data: [binding('hcp:x')] }), '/data/0/attributes/key');
    assertInvalid(await post({ data: Array.from({ length: 8 }, (_, i) => binding(`n${i}`)) }), '/data', /at most 10/);
    assertError(await post({ data: binding('x') }), 400);
    assertError(await post({ data: [binding('x')] }, w.memberToken), 404);
    assertError(await post({ data: [binding('x')] }, w.strangerToken), 404);
    assertError(await post({ data: [binding('x')] }, 'not-a-token'), 401);
    assertError(await w.api('POST', '/projects/prj-unknown/relationships/tag-bindings', w.ownerToken, { data: [binding('x')] }), 404);
    assert.equal((await w.bindingsOf(project.id)).length, 3, 'the refused requests changed nothing');
  });

  it('lists bindings with GET and replaces them all with PATCH relationships/tag-bindings (204)', async () => {
    const project = await w.createProject({}, withBindings(binding('env', 'dev'), binding('team', 'a')));
    const path = `/projects/${project.id}/relationships/tag-bindings`;
    const listed = await w.api('GET', path, w.ownerToken);
    assert.deepEqual(
      listed.body.data.map((b: any) => b.attributes.key),
      ['env', 'team'],
    );
    const res = await w.api('PATCH', path, w.orgToken, { data: [binding('region', 'eu')] });
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await w.bindingsOf(project.id), [['region', 'eu']]);
    assertInvalid(await w.api('PATCH', path, w.ownerToken, { data: [binding('hcp:x')] }), '/data/0/attributes/key');
    assertError(await w.api('PATCH', path, w.memberToken, { data: [binding('x')] }), 404);
    assert.deepEqual(await w.bindingsOf(project.id), [['region', 'eu']], 'the refused requests changed nothing');
  });

  it('refuses bad PATCH tag-bindings requests, and more than 10 bindings in all', async () => {
    const project = await w.createProject({}, withBindings(...Array.from({ length: 9 }, (_, i) => binding(`k${i}`, 'v'))));
    const patch = (body: unknown, token = w.ownerToken) => w.api('PATCH', `/projects/${project.id}/tag-bindings`, token, body);
    assertInvalid(await patch({ data: [binding('k0', 'changed'), binding('new1'), binding('new2')] }), '/data', /at most 10/);
    assertInvalid(await patch({ data: [binding('hc:nope')] }), '/data/0/attributes/key');
    assertInvalid(await patch({ data: [binding('ok', 'bad value')] }), '/data/0/attributes/value');
    assertError(await patch({ data: [{ type: 'projects', attributes: { key: 'x' } }] }), 400);
    assertError(await patch({ data: binding('x') }), 400);
    assertError(await patch('{"data": ['), 400);
    assertError(await patch(undefined), 400);
    assertError(await patch({ data: [binding('x')] }, w.memberToken), 404);
    assertError(await w.api('PATCH', '/projects/prj-unknown/tag-bindings', w.ownerToken, { data: [binding('x')] }), 404);
    const bindings = await w.bindingsOf(project.id);
    assert.equal(bindings.length, 9);
    assert.deepEqual(bindings[0], ['k0', 'v'], 'the refused request changed nothing');
    const tenth = await patch({ data: [binding('k0', 'changed'), binding('tenth')] });
    assert.equal(tenth.status, 200, tenth.text);
    assert.equal((await w.bindingsOf(project.id)).length, 10);
  });

  it('filters by tag bindings and by the caller permissions', async () => {
    const tagged = await w.createProject({}, withBindings(binding('stage', 'blue'), binding('solo')));
    await w.createProject({}, withBindings(binding('stage', 'green')));
    const ids = async (query: string) => {
      const res = await w.api('GET', `/organizations/${w.org}/projects?${query}`, w.ownerToken);
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((p: any) => p.id);
    };
    assert.deepEqual(await ids('filter%5Btagged%5D%5B0%5D%5Bkey%5D=stage&filter%5Btagged%5D%5B0%5D%5Bvalue%5D=blue'), [tagged.id]);
    assert.deepEqual(await ids('filter%5Btagged%5D%5B0%5D%5Bkey%5D=solo&filter%5Btagged%5D%5B1%5D%5Bkey%5D=stage'), [tagged.id]);
    assertInvalidParameter(
      await w.api('GET', `/organizations/${w.org}/projects?filter%5Btagged%5D%5B0%5D%5Bvalue%5D=blue`, w.ownerToken),
      'filter[tagged][0][key]',
    );
    assertInvalidParameter(await w.api('GET', `/organizations/${w.org}/projects?filter%5Btagged%5D%5Bkey%5D=x`, w.ownerToken), 'filter[tagged][key]');
    const all = await ids('page%5Bsize%5D=100');
    assert.deepEqual(await ids('page%5Bsize%5D=100&filter%5Bpermissions%5D%5Bupdate%5D=true&filter%5Bpermissions%5D%5Bcreate-workspace%5D'), all);
  });
});
