import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { assertError, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { signedUrl } from '../blobs/signed-url.js';
import { base64, md5, rawState, StateWorld } from './testing.js';

const LIMIT = 4096;

forEachDatabase(
  'state uploads and downloads',
  (server) => {
    const world = new StateWorld(server);
    let agent: Agent;
    before(async () => {
      await world.setUp();
      agent = new Agent({ connect: { ca: readFileSync(server.caFile) } });
    });
    after(() => agent.close());
    const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);

    /** A locked workspace whose current state is serial 1, and a pending version of serial 2 awaiting `raw`. */
    async function pendingUpload(raw = rawState({ serial: 2, lineage: 'l' })) {
      const wsId = await world.lockedWorkspace();
      const first = await world.pushState(wsId, { serial: 1, lineage: 'l' });
      const created = await world.createVersion(wsId, { serial: 2, lineage: 'l', md5: md5(raw) });
      assert.equal(created.status, 201, created.text);
      return { wsId, first, sv: created.body.data, raw };
    }

    async function assertUnchanged(wsId: string, currentId: string, pendingId: string): Promise<void> {
      assert.equal((await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken)).body.data.id, currentId);
      assert.equal((await api('GET', `/state-versions/${pendingId}`, world.ownerToken)).body.data.attributes.status, 'pending');
      assert.equal(await server.blobs.stat(`state-versions/${pendingId}/state`), undefined);
    }

    it('refuses forged, expired and misused capability URLs with 404', async () => {
      const { wsId, first, sv, raw } = await pendingUpload();
      const uploadUrl: string = sv.attributes['hosted-state-upload-url'];
      const forged = uploadUrl.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      assertError(await world.put(forged, raw), 404);
      const path = `/_blobs/state-versions/${sv.id}/state/upload`;
      const expired = signedUrl({ config: server.config, baseUrl: server.url, now: () => new Date(Date.now() - 7200_000) }, path, 60);
      assertError(await world.put(expired, raw), 404);
      const otherVersion = uploadUrl.replace(sv.id, first.id);
      assertError(await world.put(otherVersion, raw), 404);
      const unknown = signedUrl({ config: server.config, baseUrl: server.url, now: () => new Date() }, '/_blobs/state-versions/sv-unknown/state/upload', 60);
      assertError(await world.put(unknown, raw), 404);
      const wrongKind = signedUrl({ config: server.config, baseUrl: server.url, now: () => new Date() }, `/_blobs/state-versions/${sv.id}/plan/upload`, 60);
      assertError(await world.put(wrongKind, raw), 404);
      await assertUnchanged(wsId, first.id, sv.id);

      // A download URL neither uploads nor reads another kind of content.
      const current = await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken);
      const download: string = current.body.data.attributes['hosted-state-download-url'];
      assert.equal((await server.api('GET', download)).status, 200);
      // No route uploads to a download path: 405, decided by the path's shape alone, so it tells nothing of the signature.
      assertError(await world.put(download, raw), 405);
      assertError(await server.api('GET', download.replace('/state/', '/json-state/')), 404);
      assertError(
        await server.api(
          'GET',
          download.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        ),
        404,
      );
      const expiredDownload = signedUrl(
        { config: server.config, baseUrl: server.url, now: () => new Date(Date.now() - 7200_000) },
        `/_blobs/state-versions/${first.id}/state`,
        60,
      );
      assertError(await server.api('GET', expiredDownload), 404);
    });

    it('streams any content type as raw bytes', async () => {
      const { sv, raw } = await pendingUpload();
      const res = await world.put(sv.attributes['hosted-state-upload-url'], raw, { 'content-type': 'application/json' });
      assert.equal(res.status, 200, res.text);
      assert.equal((await api('GET', `/state-versions/${sv.id}`, world.ownerToken)).body.data.attributes.status, 'finalized');
    });

    it('refuses uploads past TERRACE_MAX_STATE_BYTES with 413 and leaves the previous state current', async () => {
      const big = rawState({ serial: 2, lineage: 'l', outputs: { pad: { value: 'x'.repeat(LIMIT), type: 'string' } } });
      const { wsId, first, sv } = await pendingUpload(big);
      assertError(await world.put(sv.attributes['hosted-state-upload-url'], big), 413);
      await assertUnchanged(wsId, first.id, sv.id);

      // Without a Content-Length the limit holds while streaming.
      const chunked = await fetch(sv.attributes['hosted-state-upload-url'], {
        method: 'PUT',
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)));
            controller.close();
          },
        }),
        duplex: 'half',
        headers: { 'content-type': 'application/octet-stream' },
        dispatcher: agent,
      });
      assert.equal(chunked.status, 413);
      assert.equal(((await chunked.json()) as { errors: { status: string }[] }).errors[0]?.status, '413');
      await assertUnchanged(wsId, first.id, sv.id);

      assertError(await world.put(sv.attributes['hosted-json-state-upload-url'], 'y'.repeat(LIMIT + 1)), 413);
      assert.equal(await server.blobs.stat(`state-versions/${sv.id}/json-state`), undefined);
      // The version can still receive its content.
      const small = rawState({ serial: 2, lineage: 'l' });
      const retry = await world.createVersion(wsId, { serial: 2, lineage: 'l', md5: md5(small) });
      assert.equal((await world.put(retry.body.data.attributes['hosted-state-upload-url'], small)).status, 200);
    });

    it('refuses base64 state in the body past the limit with 413', async () => {
      const wsId = await world.lockedWorkspace();
      const lineage = unique('l');
      const big = rawState({ serial: 1, lineage, outputs: { pad: { value: 'x'.repeat(LIMIT), type: 'string' } } });
      assertError(await world.createVersion(wsId, { serial: 1, lineage, md5: md5(big), state: base64(big) }), 413);
      assertError(await api('GET', `/workspaces/${wsId}/current-state-version`, world.ownerToken), 404);
    });
  },
  { env: { TERRACE_MAX_STATE_BYTES: String(LIMIT) } },
);
