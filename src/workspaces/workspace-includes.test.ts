import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { StateWorld } from '../state-versions/testing.js';

/**
 * Includes that clients read instead of the separate endpoints (issue 16): the tfe provider reads a
 * workspace's tags only from `include=effective_tag_bindings` and its outputs only from
 * `include=outputs`; the relationships then name their members.
 */
forEachDatabase('workspace includes', (server) => {
  const world = new StateWorld(server);
  before(() => world.setUp());

  it('fills effective_tag_bindings, outputs and current_configuration_version on show and list', async () => {
    const ws = await world.createWorkspace();
    const bound = await world.api('PATCH', `/workspaces/${ws.id}/tag-bindings`, world.ownerToken, {
      data: [{ type: 'tag-bindings', attributes: { key: 'env', value: 'prod' } }],
    });
    assert.equal(bound.status, 200, bound.text);
    await world.lock(ws.id);
    await world.pushState(ws.id, {
      serial: 1,
      lineage: randomUUID(),
      outputs: { plain: { value: 'hello', type: 'string' }, secret: { value: 's3cr3t-out', type: 'string', sensitive: true } },
    });
    assert.equal((await world.unlock(ws.id)).status, 200);
    const cv = await world.api('POST', `/workspaces/${ws.id}/configuration-versions`, world.ownerToken, { data: { type: 'configuration-versions' } });
    assert.equal(cv.status, 201, cv.text);

    const query = 'include=effective_tag_bindings,outputs,current_configuration_version';
    const shown = await world.api('GET', `/workspaces/${ws.id}?${query}`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    const listed = await world.api('GET', `/organizations/${world.org}/workspaces?search%5Bname%5D=${ws.attributes.name}&${query}`, world.ownerToken);
    assert.equal(listed.status, 200, listed.text);
    for (const body of [shown.body, { data: listed.body.data[0], included: listed.body.included }]) {
      const included = (type: string) => body.included.filter((r: any) => r.type === type);
      const rel = body.data.relationships;
      const tags = included('effective-tag-bindings');
      assert.deepEqual(
        tags.map((t: any) => [t.attributes.key, t.attributes.value]),
        [['env', 'prod']],
      );
      assert.deepEqual(
        rel['effective-tag-bindings'].data,
        tags.map((t: any) => ({ type: 'effective-tag-bindings', id: t.id })),
      );
      const outputs = included('workspace-outputs');
      assert.deepEqual(outputs.map((o: any) => [o.attributes.name, o.attributes.sensitive, o.attributes['output-type'], o.attributes.value]).sort(), [
        ['plain', false, 'string', 'hello'],
        ['secret', true, 'string', null],
      ]);
      assert.deepEqual(rel.outputs.data.map((o: any) => o.id).sort(), outputs.map((o: any) => o.id).sort());
      assert.deepEqual(
        included('configuration-versions').map((v: any) => v.id),
        [cv.body.data.id],
      );
      assert.doesNotMatch(JSON.stringify(body), /s3cr3t-out/);
    }
    // The sensitive value is read through the output's own endpoint, as the tfe provider does.
    const secretId = shown.body.included.find((r: any) => r.type === 'workspace-outputs' && r.attributes.name === 'secret').id;
    const secret = await world.api('GET', `/state-version-outputs/${secretId}`, world.ownerToken);
    assert.equal(secret.status, 200, secret.text);

    // Without the include, the relationships stay links and the default empty list.
    const plain = await world.api('GET', `/workspaces/${ws.id}`, world.ownerToken);
    assert.deepEqual(plain.body.data.relationships.outputs, { data: [] });
    assert.equal(plain.body.included, undefined);
  });
});
