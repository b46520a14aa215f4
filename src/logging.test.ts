import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase } from '../test/harness.js';

const lines: string[] = [];

forEachDatabase(
  'request logging',
  (server) => {
    it('writes one JSON line per request with status and duration, and never the token', async () => {
      lines.length = 0;
      await server.api('GET', '/api/v2/ping?secret=abc', { token: server.adminToken });
      await server.api('GET', '/api/v2/nowhere', { token: server.bootstrapToken });
      const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
      assert.equal(requests.length, 2);
      assert.deepEqual(
        requests.map((r) => [r.method, r.path, r.status]),
        [
          ['GET', '/api/v2/ping', 204],
          ['GET', '/api/v2/nowhere', 404],
        ],
      );
      assert.ok(requests.every((r) => typeof r.durationMs === 'number'));
      const all = lines.join('');
      assert.ok(!all.includes(server.adminToken) && !all.includes(server.bootstrapToken), 'a token reached the log');
      assert.ok(!all.includes('secret=abc'), 'a query string reached the log');
    });
  },
  { logStream: { write: (line: string) => void lines.push(line) } },
);
