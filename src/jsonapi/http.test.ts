import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';

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

  it('decodes form-encoded brackets and plus signs in query strings', async () => {
    const res = await server.api('GET', '/api/v2/organizations?page%5Bsize%5D=1&q=plain+json', { token: server.adminToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.meta.pagination['page-size'], 1);
  });
});
