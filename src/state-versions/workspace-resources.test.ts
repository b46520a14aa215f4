import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { StateWorld, terraformData } from './testing.js';

forEachDatabase('workspace resources', (server) => {
  const world = new StateWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);

  type Row = { id: string; type: string; attributes: Record<string, unknown> };
  const byAddress = (data: Row[]) => Object.fromEntries(data.map((r) => [r.attributes.address, r]));

  it('lists the current state’s managed instances and follows each new state', async () => {
    const wsId = await world.lockedWorkspace();
    const lineage = unique('l');
    const kept = terraformData('kept');
    const first = await world.pushState(wsId, { serial: 1, lineage, resources: [kept, terraformData('gone'), terraformData('many', 2, 'module.m')] });
    await world.processed(first.id);

    let res = await api('GET', `/workspaces/${wsId}/resources`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((r: Row) => r.attributes.address),
      ['module.m.terraform_data.many[0]', 'module.m.terraform_data.many[1]', 'terraform_data.gone', 'terraform_data.kept'],
    );
    const many0 = byAddress(res.body.data)['module.m.terraform_data.many[0]'] as Row;
    assert.equal(many0.type, 'resources');
    assert.match(many0.id, /^wsr-/);
    assert.deepEqual(
      { ...many0.attributes, 'created-at': 0, 'updated-at': 0 },
      {
        address: 'module.m.terraform_data.many[0]',
        name: 'many',
        'created-at': 0,
        'updated-at': 0,
        module: 'module.m',
        provider: 'terraform.io/builtin/terraform',
        'provider-type': 'terraform_data',
        'modified-by-state-version-id': first.id,
        'name-index': '0',
      },
    );
    assert.match(many0.attributes['created-at'] as string, /^\d{4}-\d\d-\d\d$/);
    assert.equal((await api('GET', `/workspaces/${wsId}`, world.ownerToken)).body.data.attributes['resource-count'], 4);

    const second = await world.pushState(wsId, { serial: 2, lineage, resources: [kept, terraformData('many', 2, 'module.m'), terraformData('new')] });
    await world.processed(second.id);
    res = await api('GET', `/workspaces/${wsId}/resources?page%5Bsize%5D=3`, world.ownerToken);
    const rows = byAddress(res.body.data);
    assert.deepEqual(Object.keys(rows), ['module.m.terraform_data.many[0]', 'module.m.terraform_data.many[1]', 'terraform_data.kept']);
    assert.equal(rows['terraform_data.kept']?.attributes['modified-by-state-version-id'], first.id, 'unchanged instance keeps its modifier');
    assert.equal(rows['module.m.terraform_data.many[0]']?.attributes['modified-by-state-version-id'], second.id, 'new ids: modified');
    assert.equal(rows['module.m.terraform_data.many[0]']?.id, many0.id, 'the same address keeps its id');
    assert.equal(res.body.meta.pagination['total-count'], 4);
    const next = await api('GET', `/workspaces/${wsId}/resources?page%5Bsize%5D=3&page%5Bnumber%5D=2`, world.ownerToken);
    assert.deepEqual(
      next.body.data.map((r: Row) => r.attributes.address),
      ['terraform_data.new'],
    );
    assert.equal((await api('GET', `/workspaces/${wsId}`, world.ownerToken)).body.data.attributes['resource-count'], 4);

    const emptied = await world.pushState(wsId, { serial: 3, lineage });
    await world.processed(emptied.id);
    assert.deepEqual((await api('GET', `/workspaces/${wsId}/resources`, world.ownerToken)).body.data, []);
    assert.equal((await api('GET', `/workspaces/${wsId}`, world.ownerToken)).body.data.attributes['resource-count'], 0);
  });

  it('completes the parse of content that is not a state, with nothing in it', async () => {
    const wsId = await world.lockedWorkspace();
    const created = await world.createVersion(wsId, { serial: 1, md5: 'acbd18db4cc2f85cedef654fccc4a4d8' });
    assert.equal((await world.put(created.body.data.attributes['hosted-state-upload-url'], 'foo')).status, 200);
    const processed = await world.processed(created.body.data.id);
    assert.deepEqual(processed.attributes.resources, []);
    assert.deepEqual((await api('GET', `/workspaces/${wsId}/current-state-version-outputs`, world.ownerToken)).body.data, []);
  });

  it('hides resources from callers who cannot read the workspace', async () => {
    const wsId = await world.lockedWorkspace();
    assert.deepEqual((await api('GET', `/workspaces/${wsId}/resources`, world.orgToken)).body.data, []);
    assertError(await api('GET', `/workspaces/${wsId}/resources`, world.memberToken), 404);
    assertError(await api('GET', `/workspaces/${wsId}/resources`, world.strangerToken), 404);
    assertError(await api('GET', `/workspaces/${wsId}/resources`, 'bad-token'), 401);
    assertError(await api('GET', '/workspaces/ws-unknown/resources', world.ownerToken), 404);
    assertError(await api('GET', `/workspaces/${wsId}/resources?page%5Bnumber%5D=0`, world.ownerToken), 422);
  });
});
