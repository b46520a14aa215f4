import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { assertError, assertInvalid, TIMESTAMP, unique } from '../../test/fixtures.js';
import { base64, md5, rawState, StateWorld, svBody, terraformData } from './testing.js';

forEachDatabase('state versions', (server) => {
  const world = new StateWorld(server);
  before(() => world.setUp());
  const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);
  const lineage = () => unique('lineage');

  it('takes the CLI’s write: a pending version, parallel uploads, then finalized and current', async () => {
    const wsId = await world.lockedWorkspace();
    const l = lineage();
    const state = {
      serial: 1,
      lineage: l,
      outputs: { greeting: { value: 'hello', type: 'string' }, secret: { value: 's3cret', type: 'string', sensitive: true } },
      resources: [terraformData('one')],
    };
    const raw = rawState(state);
    const created = await world.createVersion(wsId, {
      serial: 1,
      lineage: l,
      md5: md5(raw),
      force: false,
      'json-state-outputs': base64(JSON.stringify(state.outputs)),
    });
    assert.equal(created.status, 201, created.text);
    const sv = created.body.data;
    assert.equal(sv.type, 'state-versions');
    assert.match(sv.id, /^sv-[1-9A-Za-z]{16}$/);
    assert.equal(sv.attributes.status, 'pending');
    assert.equal(sv.attributes.serial, 1);
    assert.match(sv.attributes['created-at'], TIMESTAMP);
    assert.equal(sv.attributes['hosted-state-download-url'], null);
    assert.match(sv.attributes['hosted-state-upload-url'], new RegExp(`^${server.url}/_blobs/state-versions/${sv.id}/state/upload/\\d+/[\\w-]+$`));
    assert.match(sv.attributes['hosted-json-state-upload-url'], new RegExp(`^${server.url}/_blobs/state-versions/${sv.id}/json-state/upload/`));
    assert.equal(sv.relationships.outputs.data.length, 2);
    assert.deepEqual(sv.relationships.workspace.data, { id: wsId, type: 'workspaces' });
    assert.deepEqual(sv.relationships['created-by'].data, { id: world.ownerId, type: 'users' });
    // Until the upload arrives there is no current state (cli-protocol.md §5.1: 404 means none).
    assertError(await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken), 404);

    const json = '{"format_version":"1.0","values":{}}';
    const uploads = await Promise.all([
      world.put(sv.attributes['hosted-state-upload-url'], raw),
      world.put(sv.attributes['hosted-json-state-upload-url'], json),
    ]);
    assert.deepEqual(
      uploads.map((r) => r.status),
      [200, 200],
    );

    const shown = await api('GET', `/state-versions/${sv.id}`, world.ownerToken);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.attributes.status, 'finalized');
    assert.equal(shown.body.data.attributes.size, Buffer.byteLength(raw));
    assert.equal(shown.body.data.attributes['hosted-state-upload-url'], null);
    assert.equal(shown.body.data.attributes['hosted-json-state-upload-url'], null);

    const current = await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken);
    assert.equal(current.status, 200, current.text);
    assert.equal(current.body.data.id, sv.id);
    const downloadUrl = current.body.data.attributes['hosted-state-download-url'];
    assert.match(downloadUrl, new RegExp(`^${server.url}/_blobs/state-versions/${sv.id}/state/\\d+/`));
    // The CLI sends its token and Accept: application/json to the download URL; a client without a token works too.
    const withToken = await server.api('GET', downloadUrl, { token: world.ownerToken, headers: { accept: 'application/json' } });
    assert.equal(withToken.status, 200);
    assert.equal(withToken.text, raw);
    assert.match(withToken.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal((await server.api('GET', downloadUrl)).text, raw);
    assert.equal((await server.api('GET', current.body.data.attributes['hosted-json-state-download-url'])).text, json);

    const processed = await world.processed(sv.id);
    const a = processed.attributes;
    assert.equal(a['terraform-version'], '1.11.4');
    assert.equal(a['state-version'], 4);
    assert.deepEqual(a.resources, [{ name: 'one', type: 'terraform_data', count: 1, module: 'root', provider: 'provider["terraform.io/builtin/terraform"]' }]);
    assert.deepEqual(a.providers, { 'provider["terraform.io/builtin/terraform"]': { 'terraform-data': 1 } });
    assert.deepEqual(a.modules, { root: { 'terraform-data': 1 } });

    const ws = await api('GET', `/workspaces/${wsId}?include=current_state_version`, world.ownerToken);
    assert.deepEqual(ws.body.data.relationships['current-state-version'].data, { id: sv.id, type: 'state-versions' });
    assert.equal(ws.body.data.attributes['resource-count'], 1);
    assert.deepEqual(
      ws.body.included.map((r: { type: string; id: string }) => [r.type, r.id]),
      [['state-versions', sv.id]],
    );
    assert.equal((await world.unlock(wsId)).status, 200);
  });

  it('creates a finalized, current version from base64 state in the body, and includes its outputs', async () => {
    const wsId = await world.lockedWorkspace();
    const l = lineage();
    const raw = rawState({ serial: 3, lineage: l, outputs: { n: { value: [1, 2], type: ['list', 'number'] } }, resources: [terraformData('a', 2)] });
    const json = '{"format_version":"1.0"}';
    const res = await world.createVersion(wsId, { serial: 3, lineage: l, md5: md5(raw).toUpperCase(), state: base64(raw), 'json-state': base64(json) });
    assert.equal(res.status, 201, res.text);
    const a = res.body.data.attributes;
    assert.equal(a.status, 'finalized');
    assert.equal(a['hosted-state-upload-url'], null);
    assert.equal(a['hosted-json-state-upload-url'], null);
    assert.equal((await server.api('GET', a['hosted-state-download-url'])).text, raw);
    assert.equal((await server.api('GET', a['hosted-json-state-download-url'])).text, json);
    assert.equal((await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken)).body.data.id, res.body.data.id);

    await world.processed(res.body.data.id);
    const included = await api('GET', `/workspaces/${wsId}/current-state-version?include=outputs`, world.ownerToken);
    assert.equal(included.status, 200, included.text);
    assert.equal(included.body.included.length, 1);
    assert.equal(included.body.included[0].type, 'state-version-outputs');
    assert.deepEqual(included.body.included[0].attributes, { name: 'n', sensitive: false, type: 'array', value: [1, 2], 'detailed-type': ['list', 'number'] });
    assert.deepEqual(included.body.data.relationships.outputs.data, [{ id: included.body.included[0].id, type: 'state-version-outputs' }]);
    assert.equal((await api('GET', `/workspaces/${wsId}`, world.ownerToken)).body.data.attributes['resource-count'], 2);
    const withCreator = await api('GET', `/workspaces/${wsId}/current-state-version?include=created_by,run`, world.ownerToken);
    assert.equal(withCreator.status, 200, withCreator.text);
    assert.deepEqual(
      withCreator.body.included.map((r: any) => [r.type, r.id]),
      [['users', world.ownerId]],
    );
    assert.deepEqual(withCreator.body.data.relationships['created-by'].data, { id: world.ownerId, type: 'users' });
    assertError(await api('GET', `/workspaces/${wsId}/current-state-version?include=secrets`, world.ownerToken), 400, /Invalid include parameter/);
  });

  it('keeps serial and lineage as sent when they differ from the state file’s, as go-tfe clients expect', async () => {
    const wsId = await world.lockedWorkspace();
    const raw = rawState({ serial: 5, lineage: lineage() });
    const res = await world.createVersion(wsId, { serial: 1, lineage: 'as-sent', md5: md5(raw), state: base64(raw) });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.data.attributes.serial, 1);
    const shown = await api('GET', `/state-versions/${res.body.data.id}`, world.ownerToken);
    assert.equal(shown.body.data.attributes.serial, 1);
    assert.equal((await server.api('GET', res.body.data.attributes['hosted-state-download-url'])).text, raw);
    // What would corrupt the workspace stays refused: an older serial, another lineage (without force).
    assertError(await world.createVersion(wsId, { serial: 1, lineage: 'as-sent', md5: md5(raw), state: base64(raw) }), 409, /serial 1 must be greater/);
    assertError(await world.createVersion(wsId, { serial: 2, lineage: 'changed', md5: md5(raw), state: base64(raw) }), 409, /lineage/);
  });

  it('refuses malformed bodies with 400/422 and changes nothing', async () => {
    const wsId = await world.lockedWorkspace();
    const l = lineage();
    const raw = rawState({ serial: 1, lineage: l });
    const ok = { serial: 1, lineage: l, md5: md5(raw) };
    assertInvalid(await world.createVersion(wsId, { ...ok, state: 'not base64!' }), '/data/attributes/state', /base64/);
    assertInvalid(await world.createVersion(wsId, { ...ok, state: base64(raw).slice(1) }), '/data/attributes/state');
    assertInvalid(await world.createVersion(wsId, { ...ok, md5: md5('other'), state: base64(raw) }), '/data/attributes/md5', /does not match/);
    assertInvalid(await world.createVersion(wsId, { ...ok, md5: md5('x'), state: base64('not json') }), '/data/attributes/md5');
    assertInvalid(await world.createVersion(wsId, { ...ok, md5: md5('[1]'), serial: 1, state: base64('[1]') }), '/data/attributes/state', /state document/);
    assertInvalid(await world.createVersion(wsId, { ...ok, md5: 'abc' }), '/data/attributes/md5', /32 hexadecimal/);
    assertInvalid(await world.createVersion(wsId, { lineage: l, md5: md5(raw) }), '/data/attributes/serial');
    assertInvalid(await world.createVersion(wsId, { ...ok, serial: -1 }), '/data/attributes/serial');
    assertInvalid(await world.createVersion(wsId, { ...ok, serial: '1' }), '/data/attributes/serial');
    assertInvalid(await world.createVersion(wsId, { serial: 1 }), '/data/attributes/md5');
    assertInvalid(await world.createVersion(wsId, { ...ok, state: base64(raw), 'json-state': '***' }), '/data/attributes/json-state', /base64/);
    assertInvalid(await world.createVersion(wsId, { ...ok, 'json-state': base64('{}') }), '/data/attributes/json-state', /accepted with state/);
    assertInvalid(await world.createVersion(wsId, { ...ok, 'json-state-outputs': '%%%' }), '/data/attributes/json-state-outputs');
    assertInvalid(await world.createVersion(wsId, { ...ok, 'json-state-outputs': base64('[]') }), '/data/attributes/json-state-outputs');
    assertInvalid(await world.createVersion(wsId, { ...ok, 'json-state-outputs': base64('{"x": 1}') }), '/data/attributes/json-state-outputs');
    assertInvalid(
      await world.createVersion(wsId, { ...ok, 'json-state-outputs': base64('{"x": {"value": 1, "sensitive": "yes"}}') }),
      '/data/attributes/json-state-outputs',
    );
    assertInvalid(
      await api('POST', `/workspaces/${wsId}/state-versions`, world.ownerToken, svBody(ok, { run: { data: { type: 'runs', id: 'run-nope' } } })),
      '/data/relationships/run',
    );
    assertError(await api('POST', `/workspaces/${wsId}/state-versions`, world.ownerToken, { data: { type: 'workspaces', attributes: ok } }), 400);
    assertError(await api('POST', `/workspaces/${wsId}/state-versions`, world.ownerToken, '{"data":'), 400);
    const list = await api(
      'GET',
      `/state-versions?filter[workspace][name]=${await workspaceName(wsId)}&filter[organization][name]=${world.org}`,
      world.ownerToken,
    );
    assert.equal(list.body.meta.pagination['total-count'], 0);
    assertError(await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken), 404);
  });

  async function workspaceName(wsId: string): Promise<string> {
    return (await api('GET', `/workspaces/${wsId}`, world.ownerToken)).body.data.attributes.name;
  }

  it('needs the caller’s lock, a growing serial and the same lineage (unless forced)', async () => {
    const ws = await world.createWorkspace();
    const l = lineage();
    const body = (serial: number, lin = l) => {
      const raw = rawState({ serial, lineage: lin });
      return { serial, lineage: lin, md5: md5(raw), state: base64(raw) };
    };
    assertError(await world.createVersion(ws.id, body(1)), 409, /must be locked by the caller/);
    await world.lock(ws.id, server.adminToken);
    assertError(await world.createVersion(ws.id, body(1)), 409, /locked by another holder \(users /);
    assert.equal((await api('POST', `/workspaces/${ws.id}/actions/force-unlock`, server.adminToken)).status, 200);

    // A team token holds the lock as its team: the team may write, the owner (a user) may not.
    await world.lock(ws.id, world.ownersTeamToken);
    assertError(await world.createVersion(ws.id, body(1)), 409, /locked by another holder \(teams /);
    const byTeam = await world.createVersion(ws.id, body(5), world.ownersTeamToken);
    assert.equal(byTeam.status, 201, byTeam.text);
    assert.deepEqual(byTeam.body.data.relationships['created-by'].data, null);
    assert.equal((await world.unlock(ws.id, world.ownersTeamToken)).status, 200);

    await world.lock(ws.id);
    assertError(await world.createVersion(ws.id, body(4)), 409, /serial 4 must be greater than the serial of the current state version \(5\)/);
    assertError(await world.createVersion(ws.id, body(5)), 409, /serial 5 must be greater/);
    assertError(await world.createVersion(ws.id, body(6, 'another-lineage')), 409, /The lineage provided in the state file does not match/);
    assertError(
      await world.createVersion(ws.id, { ...body(6), state: undefined, lineage: 'another-lineage', md5: md5('x') }),
      409,
      /lineage provided in the state file does not match/,
    );
    assert.equal((await api('GET', `/workspaces/${ws.id}/current-state-version`, world.ownerToken)).body.data.id, byTeam.body.data.id);

    // force skips the serial and lineage checks, as init -migrate-state needs.
    const forced = await world.createVersion(ws.id, { ...body(2, 'another-lineage'), force: true });
    assert.equal(forced.status, 201, forced.text);
    const grown = await world.createVersion(ws.id, body(3, 'another-lineage'));
    assert.equal(grown.status, 201, grown.text);
    assert.equal((await api('GET', `/workspaces/${ws.id}/current-state-version`, world.ownerToken)).body.data.id, grown.body.data.id);
  });

  it('discards an upload whose MD5 does not match and keeps the previous state current', async () => {
    const wsId = await world.lockedWorkspace();
    const l = lineage();
    const first = await world.pushState(wsId, { serial: 1, lineage: l });
    const raw = rawState({ serial: 2, lineage: l });
    const created = await world.createVersion(wsId, { serial: 2, lineage: l, md5: md5(raw) });
    const res = await world.put(created.body.data.attributes['hosted-state-upload-url'], raw.replace('"serial": 2', '"serial": 9'));
    assertError(res, 422, /MD5 .* does not match/);
    const shown = await api('GET', `/state-versions/${created.body.data.id}`, world.ownerToken);
    assert.equal(shown.body.data.attributes.status, 'discarded');
    assert.equal(shown.body.data.attributes['hosted-state-download-url'], null);
    assert.equal(await server.blobs.stat(`state-versions/${created.body.data.id}/state`), undefined);
    assert.equal((await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken)).body.data.id, first.id);
    assertError(await world.put(created.body.data.attributes['hosted-state-upload-url'], raw), 409, /discarded/);
    // Nothing is pending any more: the unlock goes through.
    assert.equal((await world.unlock(wsId)).status, 200);
  });

  it('accepts each upload once, and refuses to unlock while the latest version is pending', async () => {
    const wsId = await world.lockedWorkspace();
    const l = lineage();
    const raw = rawState({ serial: 1, lineage: l });
    const created = await world.createVersion(wsId, { serial: 1, lineage: l, md5: md5(raw) });
    const a = created.body.data.attributes;
    // A non-409 error containing the text the CLI retries on (cli-protocol.md §5.3).
    assertError(await world.unlock(wsId), 412, /latest state version is still pending/);
    assert.equal((await world.put(a['hosted-json-state-upload-url'], '{}')).status, 200);
    assertError(await world.put(a['hosted-json-state-upload-url'], '{}'), 409, /already has its JSON state/);
    assert.equal((await world.put(a['hosted-state-upload-url'], raw)).status, 200);
    assertError(await world.put(a['hosted-state-upload-url'], raw), 409, /finalized/);
    assert.equal((await world.unlock(wsId)).status, 200);
  });

  it('discards a pending version superseded by a newer one, and pending versions on force-unlock', async () => {
    const wsId = await world.lockedWorkspace();
    const l = lineage();
    const older = await world.createVersion(wsId, { serial: 1, lineage: l, md5: md5('a') });
    const newer = await world.createVersion(wsId, { serial: 1, lineage: l, md5: md5('b') });
    assert.equal((await api('GET', `/state-versions/${older.body.data.id}`, world.ownerToken)).body.data.attributes.status, 'discarded');
    assert.equal((await api('GET', `/state-versions/${newer.body.data.id}`, world.ownerToken)).body.data.attributes.status, 'pending');
    assertError(await world.put(older.body.data.attributes['hosted-state-upload-url'], 'a'), 409, /discarded/);

    // After a failed upload the CLI keeps the lock; force-unlock is the way out and must not leave the workspace stuck.
    assert.equal((await api('POST', `/workspaces/${wsId}/actions/force-unlock`, world.ownerToken)).status, 200);
    assert.equal((await api('GET', `/state-versions/${newer.body.data.id}`, world.ownerToken)).body.data.attributes.status, 'discarded');
    await world.lock(wsId);
    assert.equal((await world.unlock(wsId)).status, 200);
  });

  it('lists a workspace’s versions newest first, filtered by status and paginated', async () => {
    const wsId = await world.lockedWorkspace();
    const name = await workspaceName(wsId);
    const l = lineage();
    const ids: string[] = [];
    for (const serial of [1, 2, 3]) ids.push((await world.pushState(wsId, { serial, lineage: l })).id);
    await world.createVersion(wsId, { serial: 4, lineage: l, md5: md5('pending') });
    const path = (query: string) => `/state-versions?filter%5Bworkspace%5D%5Bname%5D=${name}&filter%5Borganization%5D%5Bname%5D=${world.org}${query}`;

    const all = await api('GET', path(''), world.ownerToken);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(
      all.body.data.map((sv: { attributes: { serial: number } }) => sv.attributes.serial),
      [4, 3, 2, 1],
    );
    const finalized = await api('GET', path('&filter%5Bstatus%5D=finalized&page%5Bsize%5D=2'), world.ownerToken);
    assert.deepEqual(
      finalized.body.data.map((sv: { id: string }) => sv.id),
      [ids[2], ids[1]],
    );
    assert.deepEqual(finalized.body.meta.pagination, {
      'current-page': 1,
      'page-size': 2,
      'prev-page': null,
      'next-page': 2,
      'total-pages': 2,
      'total-count': 3,
    });
    const withOutputs = await api('GET', path('&include=outputs'), world.ownerToken);
    assert.equal(withOutputs.status, 200);

    assertError(await api('GET', `/state-versions?filter%5Borganization%5D%5Bname%5D=${world.org}`, world.ownerToken), 422);
    assertError(await api('GET', `/state-versions?filter%5Bworkspace%5D%5Bname%5D=${name}`, world.ownerToken), 422);
    assertError(await api('GET', path('&filter%5Bstatus%5D=lost'), world.ownerToken), 422);
    assertError(await api('GET', path('&page%5Bsize%5D=0'), world.ownerToken), 422);
    assertError(
      await api('GET', `/state-versions?filter%5Bworkspace%5D%5Bname%5D=nope&filter%5Borganization%5D%5Bname%5D=${world.org}`, world.ownerToken),
      404,
    );
    assertError(await api('GET', path(''), world.strangerToken), 404);
    assertError(await api('GET', path(''), 'bad-token'), 401);
  });

  it('rolls back by duplicating an earlier version as the new current one', async () => {
    const wsId = await world.lockedWorkspace();
    const l = lineage();
    const first = await world.pushState(wsId, { serial: 1, lineage: l, resources: [terraformData('a')] });
    await world.pushState(wsId, { serial: 2, lineage: l, resources: [terraformData('a'), terraformData('b')] });
    const rollbackBody = (id: string) => svBody({}, { 'rollback-state-version': { data: { type: 'state-versions', id } } });

    const res = await api('PATCH', `/workspaces/${wsId}/state-versions`, world.ownerToken, rollbackBody(first.id));
    assert.equal(res.status, 201, res.text);
    const copy = res.body.data;
    assert.notEqual(copy.id, first.id);
    assert.equal(copy.attributes.serial, 1);
    assert.equal(copy.attributes.status, 'finalized');
    assert.deepEqual(copy.relationships['rollback-state-version'].data, { id: first.id, type: 'state-versions' });
    assert.equal((await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken)).body.data.id, copy.id);
    const original = await server.api(
      'GET',
      (await api('GET', `/state-versions/${first.id}`, world.ownerToken)).body.data.attributes['hosted-state-download-url'],
    );
    assert.match(original.text, /"serial": 1/);
    assert.equal((await server.api('GET', copy.attributes['hosted-state-download-url'])).text, original.text);
    await world.processed(copy.id);
    assert.equal((await api('GET', `/workspaces/${wsId}`, world.ownerToken)).body.data.attributes['resource-count'], 1);
    // The next write grows from the restored serial.
    assert.equal((await world.pushState(wsId, { serial: 2, lineage: l })).attributes.serial, 2);

    assertInvalid(
      await api('PATCH', `/workspaces/${wsId}/state-versions`, world.ownerToken, rollbackBody('sv-unknown')),
      '/data/relationships/rollback-state-version',
    );
    const other = await world.lockedWorkspace();
    const foreign = await world.pushState(other, { serial: 1, lineage: lineage() });
    assertInvalid(
      await api('PATCH', `/workspaces/${wsId}/state-versions`, world.ownerToken, rollbackBody(foreign.id)),
      '/data/relationships/rollback-state-version',
    );
    assertInvalid(await api('PATCH', `/workspaces/${wsId}/state-versions`, world.ownerToken, svBody({})), '/data/relationships/rollback-state-version');
    assert.equal((await world.unlock(wsId)).status, 200);
    assertError(await api('PATCH', `/workspaces/${wsId}/state-versions`, world.ownerToken, rollbackBody(first.id)), 409, /must be locked/);
    assertError(await api('PATCH', `/workspaces/${wsId}/state-versions`, world.orgToken, rollbackBody(first.id)), 404);
  });

  it('hides state from callers without access and refuses writes to the organization token', async () => {
    const wsId = await world.lockedWorkspace();
    const sv = await world.pushState(wsId, { serial: 1, lineage: lineage() });
    // The organization token reads state but cannot upload it (api-tokens.mdx "Access Levels").
    assert.equal((await api('GET', `/state-versions/${sv.id}`, world.orgToken)).status, 200);
    assert.equal((await api('GET', `/workspaces/${wsId}/current-state-version`, world.orgToken)).status, 200);
    assertError(await world.createVersion(wsId, { serial: 2, md5: md5('x') }, world.orgToken), 404);
    for (const token of [world.memberToken, world.strangerToken]) {
      assertError(await api('GET', `/state-versions/${sv.id}`, token), 404);
      assertError(await api('GET', `/workspaces/${wsId}/current-state-version`, token), 404);
      assertError(await world.createVersion(wsId, { serial: 2, md5: md5('x') }, token), 404);
    }
    for (const token of ['bad-token', world.expiredToken]) {
      assertError(await api('GET', `/state-versions/${sv.id}`, token), 401);
      assertError(await world.createVersion(wsId, { serial: 2, md5: md5('x') }, token), 401);
    }
    assertError(await api('GET', '/state-versions/sv-unknown', world.ownerToken), 404);
    // Deleting the workspace takes its versions along.
    assert.equal((await api('DELETE', `/workspaces/${wsId}`, world.ownerToken)).status, 204);
    assertError(await api('GET', `/state-versions/${sv.id}`, world.ownerToken), 404);
    assertError(await api('GET', '/workspaces/ws-unknown/current-state-version', world.ownerToken), 404);
    assertError(await world.createVersion('ws-unknown', { serial: 1, md5: md5('x') }), 404);
  });
});
