import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';

forEachDatabase('discovery and ping', (server) => {
  it('serves the discovery document as application/json', async () => {
    const res = await server.api('GET', '/.well-known/terraform.json');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.body['tfe.v2'], '/api/v2/');
    assert.equal(res.body['tfe.v2.2'], '/api/v2/');
    assert.equal(res.body['login.v1'].client, 'terraform-cli');
  });

  it('answers ping with the version headers, with or without a valid token', async () => {
    for (const token of [undefined, 'bogus', server.adminToken]) {
      const res = await server.api('GET', '/api/v2/ping', { token });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('tfp-api-version'), '2.6');
      assert.equal(res.headers.get('tfp-appname'), 'Terraform Enterprise');
      assert.match(res.headers.get('x-tfe-version') ?? '', /^v\d{6}-\d+$/);
      assert.match(res.headers.get('x-ratelimit-reset') ?? '', /^\d+(\.\d+)?$/);
    }
  });

  it('answers an unknown API route with a JSON:API 404', async () => {
    const res = await server.api('GET', '/api/v2/no-such-thing', { token: server.adminToken });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    assert.equal(res.body.errors[0].status, '404');
  });

  it('answers a missing or bad token with 401', async () => {
    assert.equal((await server.api('GET', '/api/v2/no-such-thing')).status, 401);
    assert.equal((await server.api('GET', '/api/v2/no-such-thing', { token: 'nope' })).status, 401);
    assert.equal((await server.api('GET', '/api/v2/no-such-thing', { headers: { authorization: 'Basic abc' } })).status, 401);
  });
});
