/**
 * Token-bucket rate limiter, one bucket per key (user, team, organization or client IP), held in
 * memory: each replica limits what it serves. `limit` requests per second, bursts up to `limit`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(
    readonly limit: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request from `key`'s bucket. `resetSeconds` is how long until the bucket is full again. */
  take(key: string): { allowed: boolean; remaining: number; resetSeconds: number } {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit, updatedAt: now };
    bucket.tokens = Math.min(this.limit, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.limit);
    bucket.updatedAt = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.evictFull(now);
    return {
      allowed,
      remaining: Math.floor(bucket.tokens),
      // Until one token is back when refused (the wait the client should make), else until full.
      resetSeconds: allowed ? (this.limit - bucket.tokens) / this.limit : (1 - bucket.tokens) / this.limit,
    };
  }

  /** Drops buckets that have refilled completely: they carry no information. */
  private evictFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updatedAt) / 1000) * this.limit >= this.limit) this.buckets.delete(key);
    }
  }
}
