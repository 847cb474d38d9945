import type { Clock } from "./ports.js";

/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `burst`.
 * take() returns 0 when allowed, else the milliseconds until a token is
 * available (the retry_after_ms of RATE_LIMITED).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly clock: Clock) {
    this.tokens = burst;
    this.last = clock.nowMs();
  }

  take(cost = 1): number {
    const now = this.clock.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil(((cost - this.tokens) * 1000) / this.ratePerSecond));
  }
}

/** Token buckets by key, created on first use (per-account claim limits). */
export class KeyedLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly clock: Clock) {}

  take(key: string, cost = 1): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      // Bounded memory: forget everyone when the map grows large; a reset
      // bucket is full, which only errs towards allowing.
      if (this.buckets.size > 100_000) this.buckets.clear();
      bucket = new TokenBucket(this.ratePerSecond, this.burst, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket.take(cost);
  }
}
