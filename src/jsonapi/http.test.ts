import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { forEachDatabase } from '../../test/harness.js';
import { buildApp } from '../app.js';

forEachDatabase('JSON:API over HTTP', (server) => {
  it('answers malformed JSON with a 400 error document', async () => {
    const res = await server.api('POST', '/api/v2/organizations', { token: server.adminToken, body: '{"data": {' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    assert.equal(res.body.errors[0].status, '400');
  });

  it('answers a body over the size limit with 413 and writes nothing', async () => {
    const name = 'too-big';
    const body = JSON.stringify({ data: { type: 'organizations', attributes: { name, email: 'a@example.com', padding: 'x'.repeat(2 * 1024 * 1024) } } });
    const res = await server.api('POST', '/api/v2/organizations', { token: server.adminToken, body });
    assert.equal(res.status, 413);
    assert.equal(res.body.errors[0].status, '413');
    assert.equal((await server.api('GET', `/api/v2/organizations/${name}`, { token: server.adminToken })).status, 404);
  });

  it('accepts application/json as well as the JSON:API media type', async () => {
    const res = await server.api('POST', '/api/v2/organizations', {
      token: server.adminToken,
      headers: { 'content-type': 'application/json' },
      body: { data: { type: 'organizations', attributes: { name: 'plain-json', email: 'a@example.com' } } },
    });
    assert.equal(res.status, 201);
  });

  it('refuses other media types with a 4xx JSON:API error, never a 500', async () => {
    const res = await server.api('POST', '/api/v2/organizations', { token: server.adminToken, headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    assert.ok(res.body.errors[0].title);
  });

  it("answers a URL that does not decode with a 400 JSON:API error, not Fastify's own shape", async () => {
    for (const path of ['/api/v2/organizations/%00%ff', '/api/v2/%ff']) {
      const res = await server.api('GET', path, { token: server.adminToken });
      assert.equal(res.status, 400, path);
      assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
      assert.equal(res.body.errors[0].status, '400');
      assert.equal(res.body.code, undefined);
    }
  });

  it('answers a wrong method on an existing path with 405 and the allowed methods, an unknown path with 404', async () => {
    const res = await server.api('PUT', '/api/v2/organizations', { token: server.adminToken });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD, POST');
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    assert.equal(res.body.errors[0].status, '405');
    const withParameter = await server.api('POST', '/api/v2/workspaces/ws-anything', { token: server.adminToken });
    assert.equal(withParameter.status, 405);
    assert.equal(withParameter.headers.get('allow'), 'DELETE, GET, HEAD, PATCH');
    const unknown = await server.api('GET', '/api/v2/no-such-thing', { token: server.adminToken });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), 'application/vnd.api+json');
  });

  it('answers a media type no endpoint reads with 415', async () => {
    const res = await server.api('POST', '/api/v2/organizations', { token: server.adminToken, headers: { 'content-type': 'application/xml' }, body: '<x/>' });
    assert.equal(res.status, 415);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    assert.equal(res.body.errors[0].status, '415');
  });

  it('decodes form-encoded brackets and plus signs in query strings', async () => {
    const res = await server.api('GET', '/api/v2/organizations?page%5Bsize%5D=1&q=plain+json', { token: server.adminToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.meta.pagination['page-size'], 1);
  });

  it('validates query parameters by the route schema: out of range is a 422 naming it, given twice a 400, unknown ones ignored', async () => {
    const get = (query: string) => server.api('GET', `/api/v2/organizations?${query}`, { token: server.adminToken });
    for (const query of ['page%5Bsize%5D=0', 'page%5Bsize%5D=101', 'page%5Bsize%5D=ten', 'page%5Bnumber%5D=0', 'page%5Bnumber%5D=-1']) {
      const res = await get(query);
      assert.equal(res.status, 422, query);
      assert.equal(res.body.errors[0].source.parameter, decodeURIComponent(query.split('=')[0] as string), res.text);
    }
    const twice = await get('page%5Bsize%5D=1&page%5Bsize%5D=2');
    assert.equal(twice.status, 400);
    assert.equal(twice.body.errors[0].source.parameter, 'page[size]');
    const extra = await get('page%5Bsize%5D=1&utm=x&utm=y&filter%5Bunknown%5D=z');
    assert.equal(extra.status, 200, extra.text);
    assert.equal(extra.body.meta.pagination['page-size'], 1);
  });

  it('closes without waiting out the keep-alive of a connection whose response was still going out', async () => {
    const app = await buildApp({ db: server.database.db, config: server.config, blobs: server.blobs });
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    // Every byte the content-length announces goes out at once; the stream itself ends when the test says.
    app.get('/streaming', async (_request, reply) => {
      const body = Readable.from(
        (async function* () {
          yield Buffer.from('done');
          await finished;
        })(),
        { objectMode: false },
      );
      return reply.header('content-length', 4).type('application/octet-stream').send(body);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const client = new Agent();
    try {
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/streaming`, { dispatcher: client });
      assert.equal(await res.text(), 'done');
      const closed = app.close().then(() => 'closed');
      // The response ends only once the server has stopped listening, as close() began with it open.
      while (app.server.listening) await sleep(10);
      finish();
      // Fastify's keep-alive timeout is 72 s: a close still waiting after 10 waits for it.
      assert.equal(await Promise.race([closed, sleep(10_000, 'still waiting', { ref: false })]), 'closed');
    } finally {
      await client.destroy();
      await app.close();
    }
  });
});
