import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from './rate-limit.js';

describe('rate limiter', () => {
  it('allows `limit` requests at once, then refuses until time passes', () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('k').allowed),
      [true, true, true, false],
    );
    const refused = limiter.take('k');
    assert.equal(refused.remaining, 0);
    assert.ok(refused.resetSeconds > 0 && refused.resetSeconds <= 1 / 3 + 1e-9, `reset ${refused.resetSeconds}`);
    now += 1000 / 3;
    assert.equal(limiter.take('k').allowed, true);
    assert.equal(limiter.take('k').allowed, false);
  });

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter(1, () => 0);
    assert.equal(limiter.take('a').allowed, true);
    assert.equal(limiter.take('b').allowed, true);
    assert.equal(limiter.take('a').allowed, false);
  });
});
