import type { ClockService, DnsQueryEvent, DnsQueryVerdict } from '@hypermesh/runtime';
import { prefixKey } from './cidr.js';

/** Rate limit settings (the `rate_limit` config). */
export interface RateLimitOptions {
  readonly qps: number;
  readonly burst: number;
  readonly slip: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  readonly clock: ClockService;
  /** Most prefixes tracked at once; past it the oldest bucket is forgotten. */
  readonly maxPrefixes?: number;
}

interface Bucket {
  tokens: number;
  last: number;
  limited: number;
}

/**
 * Response-rate-limiting in the style of BIND's RRL, per client prefix: a token bucket of `burst`
 * refilled at `qps`. Over the limit, every `slip`-th UDP query gets an empty truncated answer (a
 * real client retries over TCP, which needs a real address) and the others get none, so spoofed
 * floods are not reflected. Streams (TCP, DoT, DoH) are not limited: their source is proven.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimitOptions) {}

  /** The `dns.query` tap: undefined lets the query through. */
  check(query: DnsQueryEvent): DnsQueryVerdict | undefined {
    if (query.transport !== 'udp') return undefined;
    const { qps, burst, slip, ipv4Prefix, ipv6Prefix, clock } = this.options;
    const key = prefixKey(query.client, ipv4Prefix, ipv6Prefix);
    const now = clock.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, last: now, limited: 0 };
      this.buckets.set(key, bucket);
      if (this.buckets.size > (this.options.maxPrefixes ?? 100_000)) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) / 1000) * qps);
      bucket.last = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    bucket.limited++;
    const reason = `client prefix ${key} exceeds ${qps} queries per second`;
    return slip > 0 && bucket.limited % slip === 0 ? { action: 'truncate', reason } : { action: 'drop', reason };
  }
}
