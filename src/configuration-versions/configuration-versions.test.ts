import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { assertError, assertInvalid, assertInvalidParameter, TIMESTAMP } from '../../test/fixtures.js';
import { runBody } from '../runs/testing.js';
import { ConfigurationVersionWorld, uploadSuite } from './testing.js';

const UPLOAD_URL = /^https:\/\/localhost:\d+\/_blobs\/configuration-versions\/cv-[1-9A-HJ-NP-Za-km-z]{16}\/upload\/\d+\/[\w-]+$/;

forEachDatabase('configuration versions', (server) => {
  const world = new ConfigurationVersionWorld(server);
  const uploads = uploadSuite(server, world);
  const { uploader } = uploads;
  const api = (method: string, path: string, token = world.ownerToken, body?: unknown) => world.api(method, path, token, body);

  /** A version uploaded with the real tarball. */
  async function uploadedVersion(workspaceId: string, attributes: Record<string, unknown> = {}) {
    const cv = await world.createVersion(workspaceId, attributes);
    const res = await uploader.put(cv.attributes['upload-url'], uploads.tarball);
    assert.equal(res.status, 200, res.text);
    return cv;
  }

  it('creates a pending version with the documented defaults and every attribute', async () => {
    const ws = await world.createWorkspace();
    const res = await api('POST', `/workspaces/${ws.id}/configuration-versions`, world.ownerToken, { data: { type: 'configuration-versions' } });
    assert.equal(res.status, 201, res.text);
    const cv = res.body.data;
    assert.equal(cv.type, 'configuration-versions');
    assert.match(cv.id, /^cv-/);
    const { 'upload-url': uploadUrl, ...attributes } = cv.attributes;
    assert.deepEqual(attributes, {
      'auto-queue-runs': true,
      error: null,
      'error-message': null,
      source: 'tfe-api',
      speculative: false,
      provisional: false,
      status: 'pending',
      'status-timestamps': {},
      'changed-files': [],
    });
    assert.match(uploadUrl, UPLOAD_URL);
    assert.ok(uploadUrl.includes(`/${cv.id}/upload/`));
    assert.deepEqual(cv.relationships, {
      'ingress-attributes': { data: null, links: { related: `/api/v2/configuration-versions/${cv.id}/ingress-attributes` } },
    });
    assert.deepEqual(cv.links, { self: `/api/v2/configuration-versions/${cv.id}`, download: `/api/v2/configuration-versions/${cv.id}/download` });

    const shown = await api('GET', `/configuration-versions/${cv.id}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.data.attributes.status, 'pending');
    // Only the create response carries the upload URL, as on the service.
    assert.equal(shown.body.data.attributes['upload-url'], null);
    const listed = await api('GET', `/workspaces/${ws.id}/configuration-versions`);
    assert.equal(listed.body.data[0].attributes['upload-url'], null);
    // The workspace's current version from its creation on.
    const workspace = await api('GET', `/workspaces/${ws.id}`);
    assert.deepEqual(workspace.body.data.relationships['current-configuration-version'].data, { id: cv.id, type: 'configuration-versions' });
  });

  it('takes each option as given, including the bodies the CLI sends', async () => {
    const ws = await world.createWorkspace();
    // cli-protocol.md §6.1: plan, plan -out, apply.
    for (const attributes of [
      { 'auto-queue-runs': false, provisional: false, speculative: true },
      { 'auto-queue-runs': false, provisional: true, speculative: false },
      { 'auto-queue-runs': false, provisional: false, speculative: false },
    ]) {
      const cv = await world.createVersion(ws.id, attributes);
      assert.equal(cv.attributes['auto-queue-runs'], false);
      assert.equal(cv.attributes.speculative, attributes.speculative);
      assert.equal(cv.attributes.provisional, attributes.provisional);
    }
  });

  it('refuses malformed bodies', async () => {
    const ws = await world.createWorkspace();
    const path = `/workspaces/${ws.id}/configuration-versions`;
    assertError(await api('POST', path, world.ownerToken, { data: { type: 'workspaces', attributes: {} } }), 400, /configuration-versions/);
    assertError(await api('POST', path, world.ownerToken, {}), 400);
    assertInvalid(
      await api('POST', path, world.ownerToken, { data: { type: 'configuration-versions', attributes: { speculative: 'yes' } } }),
      '/data/attributes/speculative',
    );
    assertInvalid(
      await api('POST', path, world.ownerToken, { data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': 1 } } }),
      '/data/attributes/auto-queue-runs',
    );
  });

  it('uploads, shows, downloads the same bytes, and makes the version current', async () => {
    const ws = await world.createWorkspace();
    const cv = await uploadedVersion(ws.id);
    const shown = await api('GET', `/configuration-versions/${cv.id}`);
    assert.equal(shown.status, 200, shown.text);
    const attributes = shown.body.data.attributes;
    assert.equal(attributes.status, 'uploaded');
    assert.equal(attributes['upload-url'], null, 'no upload URL once uploaded');
    assert.deepEqual(Object.keys(attributes['status-timestamps']), ['uploaded-at']);
    assert.match(attributes['status-timestamps']['uploaded-at'], TIMESTAMP);
    assert.equal(attributes.error, null);

    const download = await uploader.getBytes(`/api/v2/configuration-versions/${cv.id}/download`, world.ownerToken);
    assert.equal(download.status, 200);
    assert.equal(download.contentType, 'application/octet-stream');
    assert.deepEqual(download.bytes, uploads.tarball);

    const row = await server.database.db.selectFrom('workspaces').select('current_configuration_version_id').where('id', '=', ws.id).executeTakeFirstOrThrow();
    assert.equal(row.current_configuration_version_id, cv.id);
  });

  it('keeps speculative, provisional and older versions from becoming current', async () => {
    const ws = await world.createWorkspace();
    const currentOf = async () =>
      (await server.database.db.selectFrom('workspaces').select('current_configuration_version_id').where('id', '=', ws.id).executeTakeFirstOrThrow())
        .current_configuration_version_id;
    const older = await world.createVersion(ws.id);
    const current = await uploadedVersion(ws.id);
    await uploadedVersion(ws.id, { speculative: true });
    await uploadedVersion(ws.id, { provisional: true });
    assert.equal(await currentOf(), current.id);
    assert.equal((await uploader.put(older.attributes['upload-url'], uploads.tarball)).status, 200);
    assert.equal(await currentOf(), current.id, 'a version created before the current one does not replace it');
  });

  it('lists a workspace’s versions newest first, paginated', async () => {
    const ws = await world.createWorkspace();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await world.createVersion(ws.id)).id);
    const other = await world.createWorkspace();
    await world.createVersion(other.id);

    let res = await api('GET', `/workspaces/${ws.id}/configuration-versions`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((cv: { id: string }) => cv.id),
      [...ids].reverse(),
    );
    assert.equal(res.body.meta.pagination['total-count'], 3);

    res = await api('GET', `/workspaces/${ws.id}/configuration-versions?page%5Bsize%5D=2&page%5Bnumber%5D=2`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.data.map((cv: { id: string }) => cv.id),
      [ids[0]],
    );
    assert.deepEqual(res.body.meta.pagination, {
      'current-page': 2,
      'page-size': 2,
      'prev-page': 1,
      'next-page': null,
      'total-pages': 2,
      'total-count': 3,
    });
    assert.ok(res.body.links.first.includes('page%5Bnumber%5D=1'));

    const empty = await world.createWorkspace();
    res = await api('GET', `/workspaces/${empty.id}/configuration-versions`);
    assert.deepEqual(res.body.data, []);
    assert.equal(res.body.meta.pagination['total-pages'], 1);
    assertInvalidParameter(await api('GET', `/workspaces/${ws.id}/configuration-versions?page%5Bsize%5D=0`), 'page[size]');
  });

  it('has no ingress attributes without VCS', async () => {
    const ws = await world.createWorkspace();
    const cv = await world.createVersion(ws.id);
    const res = await api('GET', `/configuration-versions/${cv.id}/ingress-attributes`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { data: null });
    for (const include of ['ingress_attributes', 'ingress-attributes']) {
      const shown = await api('GET', `/configuration-versions/${cv.id}?include=${include}`);
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.body.included, undefined);
    }
    assertError(await api('GET', `/configuration-versions/${cv.id}?include=workspace`), 400, /Invalid include parameter/);
  });

  it('archives only uploaded versions that are not current', async () => {
    const ws = await world.createWorkspace();
    const archive = (id: string, token = world.ownerToken) => api('POST', `/configuration-versions/${id}/actions/archive`, token);
    // No runs: an unfinished run keeps its version (the next test).
    const noRuns = { 'auto-queue-runs': false };

    const pending = await world.createVersion(ws.id);
    assertError(await archive(pending.id), 409, /^transition not allowed: .*pending/);

    const first = await uploadedVersion(ws.id, noRuns);
    assertError(await archive(first.id), 409, /^configuration could not be archived because it is current/);

    const second = await uploadedVersion(ws.id, noRuns);
    const stored = await server.database.db.selectFrom('configuration_versions').select('blob_key').where('id', '=', first.id).executeTakeFirstOrThrow();
    assert.ok(stored.blob_key && (await server.blobs.stat(stored.blob_key)), 'the uploaded file is stored');
    assertError(await archive(first.id, world.memberToken), 404);
    const res = await archive(first.id);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.text, '');
    const shown = await api('GET', `/configuration-versions/${first.id}`);
    assert.equal(shown.body.data.attributes.status, 'archived');
    assert.match(shown.body.data.attributes['status-timestamps']['archived-at'], TIMESTAMP);
    assert.match(shown.body.data.attributes['status-timestamps']['uploaded-at'], TIMESTAMP);
    assertError(await api('GET', `/configuration-versions/${first.id}/download`), 404, /not uploaded/);
    assertError(await archive(first.id), 409, /archived/);
    assertError(await archive(second.id), 409, /current/);
    assert.equal(await server.blobs.stat(stored.blob_key), undefined, 'archiving discards the file');

    const speculative = await uploadedVersion(ws.id, { ...noRuns, speculative: true });
    assert.equal((await archive(speculative.id)).status, 202);
    assertError(await archive('cv-doesnotexist12'), 404);
  });

  it('refuses to archive a version while a run of it is not finished', async () => {
    const ws = await world.createWorkspace();
    const archive = (id: string) => api('POST', `/configuration-versions/${id}/actions/archive`);
    const first = await uploadedVersion(ws.id, { 'auto-queue-runs': false });
    const created = await api('POST', '/runs', world.ownerToken, runBody(ws.id, {}, first.id));
    assert.equal(created.status, 201, created.text);
    const run = created.body.data;
    await uploadedVersion(ws.id, { 'auto-queue-runs': false });
    const shown = await api('GET', `/runs/${run.id}`);
    assert.equal(shown.body.data.attributes.status, 'plan_queued');

    assertError(await archive(first.id), 409, new RegExp(`used by run ${run.id}, which is not finished`));
    assert.equal((await api('GET', `/configuration-versions/${first.id}`)).body.data.attributes.status, 'uploaded');
    assert.equal((await api('GET', `/configuration-versions/${first.id}/download`)).status, 200, 'the files are kept');

    assert.equal((await api('POST', `/runs/${run.id}/actions/cancel`)).status, 202);
    assert.equal((await api('GET', `/runs/${run.id}`)).body.data.attributes.status, 'canceled');
    assert.equal((await archive(first.id)).status, 202);
    assert.equal((await api('GET', `/configuration-versions/${first.id}`)).body.data.attributes.status, 'archived');
  });

  it('answers 404 for versions and workspaces the caller may not see, and 401 without a valid token', async () => {
    const ws = await world.createWorkspace();
    const cv = await uploadedVersion(ws.id);
    const paths: [string, string][] = [
      ['POST', `/workspaces/${ws.id}/configuration-versions`],
      ['GET', `/workspaces/${ws.id}/configuration-versions`],
      ['GET', `/configuration-versions/${cv.id}`],
      ['GET', `/configuration-versions/${cv.id}/ingress-attributes`],
      ['GET', `/configuration-versions/${cv.id}/download`],
      ['POST', `/configuration-versions/${cv.id}/actions/archive`],
    ];
    const body = { data: { type: 'configuration-versions', attributes: {} } };
    for (const [method, path] of paths) {
      for (const token of [world.strangerToken, world.memberToken]) assertError(await api(method, path, token, method === 'POST' ? body : undefined), 404);
      assertError(await api(method, path, world.expiredToken, method === 'POST' ? body : undefined), 401);
      assertError(await api(method, path, 'nope.terrace.bad', method === 'POST' ? body : undefined), 401);
      assertError(await server.api(method, `/api/v2${path}`), 401);
    }
    assertError(await api('GET', '/configuration-versions/cv-unknown0000000'), 404);
    assertError(await api('GET', '/workspaces/ws-unknown0000000/configuration-versions'), 404);
    assertError(await api('POST', '/workspaces/ws-unknown0000000/configuration-versions', world.ownerToken, body), 404);

    // Organization tokens read runs but cannot create configuration versions (configuration-versions.mdx).
    assertError(await api('POST', `/workspaces/${ws.id}/configuration-versions`, world.orgToken, body), 404);
    const listed = await api('GET', `/workspaces/${ws.id}/configuration-versions`, world.orgToken);
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.body.data.length, 1);
    const download = await uploader.getBytes(`/api/v2/configuration-versions/${cv.id}/download`, world.orgToken);
    assert.equal(download.status, 200);
    assert.deepEqual(download.bytes, uploads.tarball);
  });
});
