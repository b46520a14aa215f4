import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type ApiResponse, forEachDatabase } from '../../test/harness.js';

forEachDatabase(
  'rate limiting over HTTP',
  (server) => {
    it('answers 429 with numeric X-RateLimit-* headers once a token exceeds the limit', async () => {
      const statuses: number[] = [];
      let last: ApiResponse | undefined;
      for (let i = 0; i < 5; i++) {
        last = await server.api('GET', '/api/v2/nothing-here', { token: server.adminToken });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses.slice(0, 3), [404, 404, 404]);
      assert.equal(statuses[4], 429);
      assert.equal(last?.headers.get('x-ratelimit-limit'), '3');
      assert.equal(last?.headers.get('x-ratelimit-remaining'), '0');
      assert.match(last?.headers.get('x-ratelimit-reset') ?? '', /^\d+\.\d+$/);
      assert.equal(last?.headers.get('retry-after'), '1', 'whole seconds until a request is let in again');
      assert.equal(last?.body.errors[0].status, '429');
    });

    it('limits unauthenticated requests per client address, separately from the exhausted token', async () => {
      // Exhaust the token again: on a loaded machine its bucket may have refilled since the last test.
      let status = 0;
      for (let i = 0; i < 20 && status !== 429; i++) status = (await server.api('GET', '/api/v2/ping', { token: server.adminToken })).status;
      assert.equal(status, 429);
      const res = await server.api('GET', '/.well-known/terraform.json');
      assert.equal(res.status, 200);
      assert.ok(res.headers.get('x-ratelimit-limit'));
    });
  },
  { env: { TERRACE_RATE_LIMIT: '3' } },
);
