import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { forEachDatabase } from '../../test/harness.js';
import { signedUrl } from '../blobs/signed-url.js';
import { randomBase58 } from '../ids.js';
import { assertError, TIMESTAMP } from '../../test/fixtures.js';
import { ConfigurationVersionWorld, craftedTarball, type RawEntry, uploadSuite } from './testing.js';

const LIMIT = 64 * 1024;

forEachDatabase(
  'configuration version uploads',
  (server) => {
    const world = new ConfigurationVersionWorld(server);
    const uploads = uploadSuite(server, world);
    const { uploader } = uploads;
    let workspaceId = '';
    before(async () => {
      workspaceId = (await world.createWorkspace()).id;
    });
    const show = async (id: string) => {
      const res = await world.api('GET', `/configuration-versions/${id}`, world.ownerToken);
      assert.equal(res.status, 200, res.text);
      return res.body.data.attributes;
    };

    it('accepts the upload without a token, whatever the content type, once', async () => {
      const variants: Record<string, string>[] = [
        {},
        { 'content-type': 'application/x-gzip' },
        { 'content-type': 'application/json' },
        { authorization: 'Bearer not-a-token' },
      ];
      for (const headers of variants) {
        const cv = await world.createVersion(workspaceId);
        const res = await uploader.put(cv.attributes['upload-url'], uploads.tarball, headers);
        assert.equal(res.status, 200, res.text);
        assert.equal((await show(cv.id)).status, 'uploaded');
        // The upload queued a run (auto-queue-runs): the files no longer change.
        const again = await uploader.put(cv.attributes['upload-url'], uploads.tarball);
        assertError(again, 409, /uploaded: .*replaced until a run uses them/);
      }
    });

    it('replaces the files of an uploaded version that no run used, as the service does, and keeps them once a run does', async () => {
      const cv = await world.createVersion(workspaceId, { 'auto-queue-runs': false });
      const second = craftedTarball([{ path: 'main.tf', body: 'locals { second = true }\n' }]);
      assert.equal((await uploader.put(cv.attributes['upload-url'], uploads.tarball)).status, 200);
      assert.equal((await uploader.put(cv.attributes['upload-url'], second)).status, 200);
      const download = async () => (await uploader.getBytes(`/api/v2/configuration-versions/${cv.id}/download`, world.ownerToken)).bytes;
      assert.deepEqual(await download(), second);
      // A refused archive leaves the uploaded version as it was.
      assertError(await uploader.put(cv.attributes['upload-url'], Buffer.from('not an archive')), 422, /gzip/);
      assert.equal((await show(cv.id)).status, 'uploaded');
      assert.deepEqual(await download(), second);
      const run = await world.api('POST', '/runs', world.ownerToken, {
        data: {
          type: 'runs',
          attributes: { 'plan-only': true },
          relationships: {
            workspace: { data: { type: 'workspaces', id: workspaceId } },
            'configuration-version': { data: { type: 'configuration-versions', id: cv.id } },
          },
        },
      });
      assert.equal(run.status, 201, run.text);
      assertError(await uploader.put(cv.attributes['upload-url'], uploads.tarball), 409, /replaced until a run uses them/);
      assert.deepEqual(await download(), second);
    });

    it('lets one of two concurrent uploads win', async () => {
      const cv = await world.createVersion(workspaceId);
      const other = craftedTarball([{ path: 'main.tf', body: 'locals {}\n' }]);
      const results = await Promise.all([uploader.put(cv.attributes['upload-url'], uploads.tarball), uploader.put(cv.attributes['upload-url'], other)]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409], results.map((r) => r.text).join('\n'));
      const winner = results[0]?.status === 200 ? uploads.tarball : other;
      const download = await uploader.getBytes(`/api/v2/configuration-versions/${cv.id}/download`, world.ownerToken);
      assert.deepEqual(download.bytes, winner);
    });

    const escapeName = `terrace-escape-${randomBase58(8)}`;
    const badArchives: [string, () => Buffer, string, RegExp][] = [
      ['an absolute path', () => craftedTarball([{ path: `/tmp/${escapeName}`, body: 'x' }]), 'absolute-path', /absolute path/],
      ['a .. escape', () => craftedTarball([{ path: `a/../../${escapeName}`, body: 'x' }]), 'path-traversal', /\.\./],
      ['a link pointing out', () => craftedTarball([{ path: 'out', type: 'SymbolicLink', linkpath: '../../..' }]), 'link-escape', /outside/],
      ['an absolute link', () => craftedTarball([{ path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }]), 'link-escape', /outside/],
      [
        'links that lead out together',
        () =>
          craftedTarball([
            { path: 'a', type: 'SymbolicLink', linkpath: 'b/..' },
            { path: 'b', type: 'SymbolicLink', linkpath: '.' },
            { path: 'c', type: 'SymbolicLink', linkpath: 'a/a/a/..' },
          ] satisfies RawEntry[]),
        'link-escape',
        /outside/,
      ],
      ['a device', () => craftedTarball([{ path: 'tty', type: 'CharacterDevice' }]), 'special-file', /CharacterDevice/],
      ['too many unpacked bytes', () => craftedTarball([{ path: 'zeros', body: Buffer.alloc(5 * LIMIT) }]), 'too-large', /more than/],
      ['not gzip', () => Buffer.from('just some text, not an archive'), 'corrupt', /gzip/],
      ['gzip but not tar', () => gzipSync(Buffer.alloc(4096, 'x')), 'corrupt', /tar/],
    ];
    for (const [name, archive, code, message] of badArchives) {
      it(`marks a version errored for ${name}`, async () => {
        const cv = await world.createVersion(workspaceId);
        const body = archive();
        assert.ok(body.length <= LIMIT, 'under the upload limit: the archive itself is refused');
        const res = await uploader.put(cv.attributes['upload-url'], body);
        assertError(res, 422, message);
        const attributes = await show(cv.id);
        assert.equal(attributes.status, 'errored');
        assert.equal(attributes.error, code);
        assert.match(attributes['error-message'], message);
        assert.match(attributes['status-timestamps']['errored-at'], TIMESTAMP);
        assert.equal(attributes['upload-url'], null);
        assertError(await world.api('GET', `/configuration-versions/${cv.id}/download`, world.ownerToken), 404, /not uploaded/);
        assertError(await world.api('POST', `/configuration-versions/${cv.id}/actions/archive`, world.ownerToken), 409, /errored/);
        assertError(await uploader.put(cv.attributes['upload-url'], uploads.tarball), 409, /errored/);
        assert.equal(existsSync(join(tmpdir(), escapeName)), false, 'nothing written outside');
        assert.equal(existsSync(join('/tmp', escapeName)), false, 'nothing written outside');
      });
    }

    it('answers 404 to forged, expired and borrowed upload URLs', async () => {
      const cv = await world.createVersion(workspaceId);
      const url: string = cv.attributes['upload-url'];
      const forged = url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      assertError(await uploader.put(forged, uploads.tarball), 404);
      const path = `/_blobs/configuration-versions/${cv.id}/upload`;
      const expired = signedUrl({ config: server.config, baseUrl: server.url, now: () => new Date(Date.now() - 2 * 3600_000) }, path, 60);
      assertError(await uploader.put(expired, uploads.tarball), 404);
      const other = await world.createVersion(workspaceId);
      const borrowed = url.replace(cv.id, other.id);
      assertError(await uploader.put(borrowed, uploads.tarball), 404);
      assertError(await uploader.put(url.replace(/\/\d+\//, '/99999999999/'), uploads.tarball), 404);
      assert.equal((await show(cv.id)).status, 'pending');
      assert.equal((await uploader.put(url, uploads.tarball)).status, 200);
    });

    it('refuses an upload past the limit with 413 and keeps the version pending', async () => {
      const cv = await world.createVersion(workspaceId);
      const url: string = cv.attributes['upload-url'];
      const tooLarge = Buffer.alloc(LIMIT + 1, 1);
      assertError(await uploader.put(url, tooLarge), 413, /larger than the limit/);
      async function* chunked() {
        for (let i = 0; i < 8; i++) yield Buffer.alloc(16 * 1024, i);
      }
      assertError(await uploader.put(url, chunked()), 413, /larger than the limit/);
      const attributes = await show(cv.id);
      assert.equal(attributes.status, 'pending');
      assert.equal(attributes.error, null);
      assert.equal((await uploader.put(url, uploads.tarball)).status, 200);
      const download = await uploader.getBytes(`/api/v2/configuration-versions/${cv.id}/download`, world.ownerToken);
      assert.deepEqual(download.bytes, uploads.tarball);
    });
  },
  { env: { TERRACE_MAX_CONFIGURATION_BYTES: String(LIMIT), TERRACE_MAX_CONFIGURATION_UNPACKED_BYTES: String(4 * LIMIT) } },
);
