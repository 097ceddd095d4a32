/** Token-bucket settings: a sustained rate and a burst. */
export interface BucketSettings {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Bucket size: requests allowed at once after a quiet period. */
  readonly burst: number;
}

/** The verdict for one request. */
export type RateVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets keyed by caller (API key id, token subject or client address). Time comes from
 * the clock service, so tests drive it deterministically. Buckets that have refilled are dropped
 * when the map grows past `maxBuckets`, so many one-off callers cannot grow memory without bound.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: BucketSettings,
    private readonly now: () => number,
    private readonly maxBuckets = 10_000,
  ) {}

  /** Takes one token from `key`'s bucket, or says how long until one is available. */
  take(key: string): RateVerdict {
    const now = this.now();
    const { ratePerSecond, burst } = this.settings;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.prune(now);
      bucket = { tokens: burst, updatedAt: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * ratePerSecond);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) };
  }

  /** Number of buckets held. */
  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    const { ratePerSecond, burst } = this.settings;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updatedAt) / 1000) * ratePerSecond >= burst) this.buckets.delete(key);
    }
    // Every bucket is busy: forget the oldest rather than grow.
    if (this.buckets.size >= this.maxBuckets) {
      const oldest = this.buckets.keys().next();
      if (oldest.done !== true) this.buckets.delete(oldest.value);
    }
  }
}
