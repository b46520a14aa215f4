import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { base64, md5, rawState, StateWorld } from '../state-versions/testing.js';

const OUTPUTS = {
  fruits: { value: ['apple', 'pear'], type: ['tuple', ['string', 'string']] },
  flavor: { value: 'Peanut Butter', type: 'string' },
  recipe: { value: { secret: 'Frenzy' }, type: ['object', { secret: 'string' }], sensitive: true },
};

forEachDatabase('state version outputs', (server) => {
  const world = new StateWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);

  /** A workspace whose current state has OUTPUTS, given with json-state-outputs as the CLI does. */
  async function workspaceWithOutputs(jsonOutputs = true) {
    const wsId = await world.lockedWorkspace();
    const sv = await world.pushState(wsId, { serial: 1, lineage: unique('l'), outputs: OUTPUTS }, { jsonOutputs });
    return { wsId, sv };
  }

  const byName = (data: any[]): Record<string, any> => Object.fromEntries(data.map((o) => [o.attributes.name, o]));

  it('lists a version’s outputs with detailed-type, sensitive values null, paginated', async () => {
    const { sv } = await workspaceWithOutputs();
    const res = await api('GET', `/state-versions/${sv.id}/outputs`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((o: { type: string; attributes: { name: string } }) => [o.type, o.attributes.name]),
      [
        ['state-version-outputs', 'flavor'],
        ['state-version-outputs', 'fruits'],
        ['state-version-outputs', 'recipe'],
      ],
    );
    const outputs = byName(res.body.data);
    assert.deepEqual(outputs.fruits.attributes, {
      name: 'fruits',
      sensitive: false,
      type: 'array',
      value: ['apple', 'pear'],
      'detailed-type': ['tuple', ['string', 'string']],
    });
    assert.deepEqual(outputs.recipe.attributes, {
      name: 'recipe',
      sensitive: true,
      type: 'object',
      value: null,
      'detailed-type': ['object', { secret: 'string' }],
    });
    assert.equal(outputs.flavor.links.self, `/api/v2/state-version-outputs/${outputs.flavor.id}`);
    assert.equal(res.body.meta.pagination['total-count'], 3);

    const page = await api('GET', `/state-versions/${sv.id}/outputs?page%5Bsize%5D=2&page%5Bnumber%5D=2`, world.ownerToken);
    assert.deepEqual(
      page.body.data.map((o: { attributes: { name: string } }) => o.attributes.name),
      ['recipe'],
    );
    assert.equal(page.body.meta.pagination['prev-page'], 1);
  });

  it('shows a sensitive value to callers who may read the state, and stores it only sealed', async () => {
    const { sv } = await workspaceWithOutputs();
    const list = await api('GET', `/state-versions/${sv.id}/outputs`, world.ownerToken);
    const recipe = byName(list.body.data).recipe;
    const shown = await api('GET', `/state-version-outputs/${recipe.id}`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual(shown.body.data.attributes.value, { secret: 'Frenzy' });
    assert.equal(shown.body.data.type, 'state-version-outputs');
    assert.deepEqual((await api('GET', `/state-version-outputs/${recipe.id}`, world.orgToken)).body.data.attributes.value, { secret: 'Frenzy' });

    const row = await server.database.db.selectFrom('state_version_outputs').selectAll().where('id', '=', recipe.id).executeTakeFirstOrThrow();
    assert.equal(row.value, null);
    assert.match(row.sealed_value ?? '', /^v1\./);
    assert.doesNotMatch(row.sealed_value ?? '', /Frenzy/);
  });

  it('lists the current outputs for the CLI, unpaged and redacted; 404 without state, 503 while unprocessed', async () => {
    const { wsId, sv } = await workspaceWithOutputs();
    const res = await api('GET', `/workspaces/${wsId}/current-state-version-outputs`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.length, 3);
    assert.equal(byName(res.body.data).recipe.attributes.value, null);
    assert.equal(byName(res.body.data).flavor.attributes['detailed-type'], 'string');
    assert.equal(res.body.meta, undefined);

    // As just after an upload without json-state-outputs, once the background parse has stopped touching the row.
    await world.processed(sv.id);
    await server.database.db.updateTable('state_versions').set({ outputs_processed: false }).where('id', '=', sv.id).execute();
    const pending = await api('GET', `/workspaces/${wsId}/current-state-version-outputs`, world.ownerToken);
    // The CLI retries only on the lowercase text (cli-protocol.md §5.5).
    assertError(pending, 503, /service unavailable/);
    assert.equal(pending.body.errors[0].title, 'service unavailable');

    const empty = await world.createWorkspace();
    assertError(await api('GET', `/workspaces/${empty.id}/current-state-version-outputs`, world.ownerToken), 404);
  });

  it('fills outputs from the state itself when json-state-outputs is not sent', async () => {
    const { wsId, sv } = await workspaceWithOutputs(false);
    await world.processed(sv.id);
    const res = await api('GET', `/workspaces/${wsId}/current-state-version-outputs`, world.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(byName(res.body.data).fruits.attributes['detailed-type'], ['tuple', ['string', 'string']]);
    const recipe = byName(res.body.data).recipe;
    assert.deepEqual((await api('GET', `/state-version-outputs/${recipe.id}`, world.ownerToken)).body.data.attributes.value, { secret: 'Frenzy' });
  });

  it('keeps outputs given with base64 state in the body', async () => {
    const wsId = await world.lockedWorkspace();
    const lineage = unique('l');
    const raw = rawState({ serial: 1, lineage });
    const res = await world.createVersion(wsId, {
      serial: 1,
      lineage,
      md5: md5(raw),
      state: base64(raw),
      'json-state-outputs': base64(JSON.stringify({ only: { value: true, type: 'bool' } })),
    });
    assert.equal(res.status, 201, res.text);
    await world.processed(res.body.data.id);
    const outputs = await api('GET', `/workspaces/${wsId}/current-state-version-outputs`, world.ownerToken);
    assert.deepEqual(
      outputs.body.data.map((o: { attributes: unknown }) => o.attributes),
      [{ name: 'only', sensitive: false, type: 'boolean', value: true, 'detailed-type': 'bool' }],
    );
  });

  it('hides outputs from callers without access', async () => {
    const { wsId, sv } = await workspaceWithOutputs();
    const outputId = (await api('GET', `/state-versions/${sv.id}/outputs`, world.ownerToken)).body.data[0].id;
    for (const token of [world.memberToken, world.strangerToken]) {
      assertError(await api('GET', `/state-versions/${sv.id}/outputs`, token), 404);
      assertError(await api('GET', `/state-version-outputs/${outputId}`, token), 404);
      assertError(await api('GET', `/workspaces/${wsId}/current-state-version-outputs`, token), 404);
    }
    assertError(await api('GET', `/state-versions/${sv.id}/outputs`, 'bad-token'), 401);
    assertError(await api('GET', `/state-version-outputs/${outputId}`, world.expiredToken), 401);
    assertError(await api('GET', `/workspaces/${wsId}/current-state-version-outputs`, 'bad-token'), 401);
    assertError(await api('GET', '/state-versions/sv-unknown/outputs', world.ownerToken), 404);
    assertError(await api('GET', '/state-version-outputs/wsout-unknown', world.ownerToken), 404);
    assertError(await api('GET', '/workspaces/ws-unknown/current-state-version-outputs', world.ownerToken), 404);
  });
});
