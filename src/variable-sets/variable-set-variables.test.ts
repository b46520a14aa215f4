import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { effectiveVariables } from './effective-service.js';
import { linkage, SECRET, tfVar, VariableSetWorld, varBody } from './testing.js';

forEachDatabase('variable set variables', (server) => {
  const w = new VariableSetWorld(server);
  before(() => w.setUp());

  it('adds, lists, shows, updates and deletes a set’s variables', async () => {
    const set = await w.createSet();
    const vars = `/varsets/${set.id}/relationships/vars`;
    const created = await w.api(
      'POST',
      vars,
      w.ownerToken,
      varBody({ key: 'image', value: 'ami-1', description: 'cheese', category: 'terraform', hcl: false }),
    );
    assert.equal(created.status, 201, created.text);
    const v = created.body.data;
    assert.match(v.id, /^var-/);
    assert.deepEqual(
      { ...v.attributes, 'created-at': undefined, 'version-id': undefined },
      {
        key: 'image',
        value: 'ami-1',
        description: 'cheese',
        sensitive: false,
        category: 'terraform',
        hcl: false,
        'created-at': undefined,
        'version-id': undefined,
      },
    );
    assert.match(v.attributes['created-at'], TIMESTAMP);
    assert.deepEqual(v.relationships.varset, { data: { id: set.id, type: 'varsets' }, links: { related: `/api/v2/varsets/${set.id}` } });
    const secret = await w.addVar(set.id, { key: 'AWS_SECRET', value: SECRET, category: 'env', sensitive: true });
    assert.equal(secret.attributes.value, null);

    const listed = await w.api('GET', vars, w.ownerToken);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.data.map((x: any) => [x.attributes.key, x.attributes.value]),
      [
        ['image', 'ami-1'],
        ['AWS_SECRET', null],
      ],
    );
    assert.equal(listed.body.meta.pagination['total-count'], 2);
    assert.ok(!listed.text.includes(SECRET));
    const paged = await w.api('GET', `${vars}?page%5Bsize%5D=1&page%5Bnumber%5D=2`, w.ownerToken);
    assert.deepEqual(
      paged.body.data.map((x: any) => x.id),
      [secret.id],
    );
    const shown = await w.api('GET', `${vars}/${v.id}`, w.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.attributes.key, 'image');

    const updated = await w.api('PATCH', `${vars}/${v.id}`, w.ownerToken, varBody({ value: 'ami-2', description: 'new cheese', hcl: true }));
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(
      [updated.body.data.attributes.value, updated.body.data.attributes.description, updated.body.data.attributes.hcl],
      ['ami-2', 'new cheese', true],
    );
    assert.notEqual(updated.body.data.attributes['version-id'], v.attributes['version-id']);
    const madeSensitive = await w.api('PATCH', `${vars}/${v.id}`, w.ownerToken, varBody({ sensitive: true }));
    assert.equal(madeSensitive.body.data.attributes.value, null);
    const row = await server.database.db.selectFrom('variables').select(['value', 'sealed_value']).where('id', '=', v.id).executeTakeFirstOrThrow();
    assert.equal(row.value, null);
    assert.ok(row.sealed_value);
    assertInvalid(await w.api('PATCH', `${vars}/${v.id}`, w.ownerToken, varBody({ sensitive: false })), '/data/attributes/sensitive');
    const newSecret = await w.api('PATCH', `${vars}/${secret.id}`, w.ownerToken, varBody({ value: `${SECRET}-2` }));
    assert.equal(newSecret.status, 200);
    assert.equal(newSecret.body.data.attributes.value, null);

    const deleted = await w.api('DELETE', `${vars}/${v.id}`, w.ownerToken);
    assert.equal(deleted.status, 204);
    assertError(await w.api('GET', `${vars}/${v.id}`, w.ownerToken), 404);
    assertError(await w.api('DELETE', `${vars}/${v.id}`, w.ownerToken), 404);
    const shownSet = await w.api('GET', `/varsets/${set.id}`, w.ownerToken);
    assert.equal(shownSet.body.data.attributes['var-count'], 1);
  });

  it('refuses bad variable requests', async () => {
    const set = await w.createSet();
    const other = await w.createSet();
    const vars = `/varsets/${set.id}/relationships/vars`;
    const existing = await w.addVar(set.id, tfVar('taken'));
    const foreign = await w.addVar(other.id, tfVar('elsewhere'));
    await w.addVar(set.id, tfVar('second'));
    assertError(await w.api('POST', vars, w.ownerToken, 'nope{'), 400);
    assertError(await w.api('POST', vars, w.ownerToken, varBody(tfVar('a'), 'varsets')), 400);
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ value: 'v', category: 'terraform' })), '/data/attributes/key');
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ key: '', value: 'v', category: 'terraform' })), '/data/attributes/key');
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ key: 'a\u0001b', value: 'v', category: 'terraform' })), '/data/attributes/key');
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ key: 'has-dash', value: 'v', category: 'env' })), '/data/attributes/key');
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ key: 'k'.repeat(129), value: 'v', category: 'terraform' })), '/data/attributes/key');
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ key: 'a', value: 'v' })), '/data/attributes/category');
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ key: 'a', value: 'v', category: 'policy-set' })), '/data/attributes/category');
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody({ key: 'a', value: 1, category: 'env' })), '/data/attributes/value');
    assertInvalid(
      await w.api('POST', vars, w.ownerToken, varBody({ key: 'a', value: 'v', category: 'env', description: 'd'.repeat(513) })),
      '/data/attributes/description',
    );
    assertInvalid(await w.api('POST', vars, w.ownerToken, varBody(tfVar('taken'))), '/data/attributes/key');
    assert.equal(
      (await w.api('POST', vars, w.ownerToken, varBody({ key: 'taken', value: 'v', category: 'env' }))).status,
      201,
      'another category is another variable',
    );
    assertInvalid(await w.api('PATCH', `${vars}/${existing.id}`, w.ownerToken, varBody({ key: 'second' })), '/data/attributes/key');
    assertInvalid(await w.api('PATCH', `${vars}/${existing.id}`, w.ownerToken, varBody({ category: 'nope' })), '/data/attributes/category');
    assertInvalid(await w.api('PATCH', `${vars}/${existing.id}`, w.ownerToken, varBody({ key: 'bad\nkey' })), '/data/attributes/key');
    assertError(await w.api('PATCH', `${vars}/${existing.id}`, w.ownerToken, '{'), 400);
    assertError(await w.api('PATCH', `${vars}/${existing.id}`, w.ownerToken, varBody({}, 'varsets')), 400);
    assertError(await w.api('GET', `${vars}/${foreign.id}`, w.ownerToken), 404);
    assertError(await w.api('PATCH', `${vars}/${foreign.id}`, w.ownerToken, varBody({ value: 'x' })), 404);
    assertError(await w.api('DELETE', `${vars}/${foreign.id}`, w.ownerToken), 404);
    assertError(await w.api('GET', `${vars}/var-unknown`, w.ownerToken), 404);
    assertError(await w.api('GET', '/varsets/varset-unknown/relationships/vars', w.ownerToken), 404);
    assertError(await w.api('POST', '/varsets/varset-unknown/relationships/vars', w.ownerToken, varBody(tfVar('a'))), 404);
    for (const token of [w.strangerToken, w.memberToken]) {
      assertError(await w.api('GET', vars, token), 404);
      assertError(await w.api('POST', vars, token, varBody(tfVar('a'))), 404);
      assertError(await w.api('PATCH', `${vars}/${existing.id}`, token, varBody({ value: 'x' })), 404);
      assertError(await w.api('DELETE', `${vars}/${existing.id}`, token), 404);
    }
    assertError(await w.api('GET', vars, w.expiredToken), 401);
    assertError(await w.api('GET', `${vars}?page%5Bsize%5D=500`, w.ownerToken), 422);
    const still = await w.api('GET', `${vars}/${existing.id}`, w.ownerToken);
    assert.equal(still.body.data.attributes.value, 'v');
  });

  it('computes a workspace’s effective variables with the documented precedence, opening sensitive values', async () => {
    const effOrg = unique('vs-eff');
    const effOrgId = await w.createOrganization(w.ownerToken, effOrg);
    const project = await w.defaultProjectOf(effOrgId);
    const ws = await w.insertWorkspace(project, effOrgId, 'app');
    const create = (name: string, attributes: Record<string, unknown>, relationships: Record<string, unknown>, vars: Record<string, unknown>[]) =>
      w.createSet({ name, ...attributes }, { ...relationships, vars: { data: vars.map((a) => ({ type: 'vars', attributes: a })) } }, effOrg);
    await create('global', { global: true }, {}, [tfVar('replicas', '6'), tfVar('only_global', 'g')]);
    await create('A_project', {}, { projects: linkage('projects', [project]) }, [tfVar('replicas', '5'), tfVar('lexical', 'A')]);
    await create('B_project', {}, { projects: linkage('projects', [project]) }, [tfVar('lexical', 'B')]);
    await create('org_workspace', {}, { workspaces: linkage('workspaces', [ws]) }, [tfVar('replicas', '3'), tfVar('var1', 'z')]);
    await create('priority', { priority: true }, { workspaces: linkage('workspaces', [ws]) }, [
      tfVar('region', 'us-east-1'),
      { key: 'AWS_SECRET_ACCESS_KEY', value: SECRET, category: 'env', sensitive: true },
    ]);
    await create('unapplied', {}, {}, [tfVar('region', 'never')]);
    const wsVar = async (attributes: Record<string, unknown>) => {
      const res = await w.api('POST', `/workspaces/${ws}/vars`, w.ownerToken, varBody(attributes));
      assert.equal(res.status, 201, res.text);
    };
    await wsVar(tfVar('var1', 'h'));
    await wsVar(tfVar('replicas', '1'));
    await wsVar({ key: 'AWS_SECRET_ACCESS_KEY', value: 'workspace-secret', category: 'env', sensitive: true });

    const ctx = server.adminCtx();
    const result = await effectiveVariables(ctx, ws, [
      { key: 'replicas', value: '9' },
      { key: 'region', value: '"us-west-2"' },
    ]);
    const byKey = Object.fromEntries(result.map((v) => [`${v.category}:${v.key}`, v]));
    assert.deepEqual(Object.fromEntries(Object.entries(byKey).map(([k, v]) => [k, v.value])), {
      'env:AWS_SECRET_ACCESS_KEY': SECRET,
      'terraform:lexical': 'A',
      'terraform:only_global': 'g',
      'terraform:region': 'us-east-1',
      'terraform:replicas': '9',
      'terraform:var1': 'h',
    });
    assert.deepEqual(byKey['terraform:replicas']?.source, { kind: 'run' });
    assert.equal(byKey['terraform:replicas']?.hcl, true);
    assert.deepEqual(byKey['terraform:var1']?.source, { kind: 'workspace' });
    assert.equal(byKey['env:AWS_SECRET_ACCESS_KEY']?.sensitive, true);
    const lexical = byKey['terraform:lexical']?.source;
    assert.ok(lexical?.kind === 'variable-set' && lexical.name === 'A_project' && lexical.scope === 'project' && lexical.owner === 'organization');

    const withoutRun = await effectiveVariables(ctx, ws);
    assert.equal(withoutRun.find((v) => v.key === 'replicas')?.value, '1');
    await assert.rejects(effectiveVariables(ctx, 'ws-unknown'), /not found/);

    const listed = await w.api('GET', `/workspaces/${ws}/varsets?include=vars`, w.ownerToken);
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(SECRET), 'no API answer carries a sensitive value');
  });

  it('shows a set’s variables in a workspace with what they overwrite and what overwrites them, and all the workspace’s variables', async () => {
    const ctxOrg = unique('vs-ctx');
    const ctxOrgId = await w.createOrganization(w.ownerToken, ctxOrg);
    const ws = await w.insertWorkspace(await w.defaultProjectOf(ctxOrgId), ctxOrgId, 'app');
    const low = await w.createSet(
      { name: 'B_low' },
      { workspaces: linkage('workspaces', [ws]), vars: { data: [{ type: 'vars', attributes: tfVar('shared', 'low') }] } },
      ctxOrg,
    );
    const high = await w.createSet({ name: 'A_high' }, { workspaces: linkage('workspaces', [ws]) }, ctxOrg);
    const highShared = await w.addVar(high.id, tfVar('shared', 'high'));
    const highMine = await w.addVar(high.id, tfVar('mine', 'x'));
    const wsRes = await w.api('POST', `/workspaces/${ws}/vars`, w.ownerToken, varBody(tfVar('mine', 'ws')));
    const wsVarId = wsRes.body.data.id;

    const res = await w.api('GET', `/workspaces/${ws}/varsets/${high.id}/relationships/vars`, w.ownerToken);
    assert.equal(res.status, 200, res.text);
    const byKey = Object.fromEntries(res.body.data.map((v: any) => [v.attributes.key, v]));
    assert.deepEqual(byKey.shared.relationships.overwritten.data, [{ id: low.relationships.vars.data[0].id, type: 'vars' }]);
    assert.deepEqual(byKey.shared.relationships.overwriter.data, null);
    assert.equal(byKey.shared.id, highShared.id);
    assert.deepEqual(byKey.mine.relationships.overwriter.data, { id: wsVarId, type: 'vars' });
    assert.deepEqual(byKey.mine.relationships.overwritten.data, []);
    assert.equal(byKey.mine.id, highMine.id);

    // All the variables the workspace's runs receive, one per key: its own `mine`, A_high's `shared`.
    const all = await w.api('GET', `/workspaces/${ws}/all-vars`, w.ownerToken);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(
      all.body.data.map((v: any) => [v.id, v.attributes.key, v.attributes.value]).sort(),
      [
        [highShared.id, 'shared', 'high'],
        [wsVarId, 'mine', 'ws'],
      ].sort(),
    );
    assertError(await w.api('GET', `/workspaces/${ws}/all-vars`, w.strangerToken), 404);
    assertError(await w.api('GET', '/workspaces/ws-unknown/all-vars', w.ownerToken), 404);

    const unapplied = await w.createSet({}, undefined, ctxOrg);
    assertError(await w.api('GET', `/workspaces/${ws}/varsets/${unapplied.id}/relationships/vars`, w.ownerToken), 404);
    assertError(await w.api('GET', `/workspaces/ws-unknown/varsets/${high.id}/relationships/vars`, w.ownerToken), 404);
    assertError(await w.api('GET', `/workspaces/${ws}/varsets/${high.id}/relationships/vars`, w.strangerToken), 404);
    assertError(await w.api('GET', `/workspaces/${ws}/varsets/${high.id}/relationships/vars`, 'nope'), 401);
  });

  it('moves updated-at forward when variables change', async () => {
    const set = await w.createSet();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await w.addVar(set.id, tfVar('later'));
    const shown = await w.api('GET', `/varsets/${set.id}`, w.ownerToken);
    assert.ok(shown.body.data.attributes['updated-at'] > set.attributes['updated-at']);
  });
});
