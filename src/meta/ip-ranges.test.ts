import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';

const RANGES = ['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/48'];

forEachDatabase(
  'ip ranges',
  (server) => {
    it('publishes the configured ranges without a token, as plain JSON with a Last-Modified', async () => {
      for (const token of [undefined, 'not-a-token']) {
        const res = await server.api('GET', '/api/meta/ip-ranges', { token });
        assert.equal(res.status, 200, res.text);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(res.body, { api: RANGES, notifications: RANGES, sentinel: [], vcs: RANGES });
        const lastModified = Date.parse(res.headers.get('last-modified') ?? '');
        assert.ok(lastModified <= Date.now(), res.headers.get('last-modified') ?? 'no Last-Modified');
      }
    });

    it('answers 304 with no body when not modified since If-Modified-Since, else 200', async () => {
      const first = await server.api('GET', '/api/meta/ip-ranges');
      const lastModified = first.headers.get('last-modified') as string;
      const since = (date: string) => server.api('GET', '/api/meta/ip-ranges', { headers: { 'if-modified-since': date } });
      for (const date of [lastModified, new Date(Date.now() + 60_000).toUTCString()]) {
        const res = await since(date);
        assert.equal(res.status, 304, date);
        assert.equal(res.text, '');
      }
      for (const date of ['Tue, 26 May 2020 15:10:05 GMT', 'yesterday', '']) {
        const res = await since(date);
        assert.equal(res.status, 200, date);
        assert.deepEqual(res.body.api, RANGES);
      }
    });
  },
  { env: { TERRACE_IP_RANGES: ` ${RANGES.join(', ')} ` } },
);
