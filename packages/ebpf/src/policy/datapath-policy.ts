/**
 * The datapath's policy in userspace: blocked sources with expiries, per-source token buckets
 * under CIDR rate limits. In userspace mode it is the enforcement (the DNS server calls
 * `admit`); in kernel mode the same calls also write the kernel maps, and `admit` still serves
 * the traffic XDP does not see (TCP, DoT, DoH, other interfaces).
 */
import type { ClockService, DatapathVerdict } from '@hypermesh/runtime';
import { EbpfError, EbpfErrorCode } from '../errors.js';
import { addressKey, formatAddress, parseAddress, parsePrefix, type Prefix } from './address.js';
import { PrefixTable } from './prefix-table.js';
import { TokenBucket } from './token-bucket.js';

/** The highest rate a limit may set (the kernel's token arithmetic is exact up to it). */
export const MAX_QPS = 1_000_000;

/** A rate limit as stored: every source in the prefix gets `burst` tokens refilled at `qps`. */
export interface RateLimitRule {
  readonly prefix: Prefix;
  readonly qps: number;
  readonly burst: number;
}

/** A blocked source and when the block ends (clock ms; Infinity for never). */
export interface BlockRule {
  readonly address: Uint8Array;
  readonly expiresAt: number;
}

/** Counters of `admit`. */
export interface PolicyCounters {
  admitted: number;
  blocked: number;
  rateLimited: number;
}

/** Options of {@link DatapathPolicy}. */
export interface DatapathPolicyOptions {
  /** Bucket size in seconds of the rate (burst = qps × burstSeconds, at least 1). */
  readonly burstSeconds: number;
  /** Most per-source buckets kept; the least recently used go first. */
  readonly maxBuckets: number;
}

/** Blocklist and rate limits, enforced by {@link DatapathPolicy.admit}. */
export class DatapathPolicy {
  readonly counters: PolicyCounters = { admitted: 0, blocked: 0, rateLimited: 0 };
  readonly #clock: ClockService;
  readonly #options: DatapathPolicyOptions;
  readonly #blocked = new Map<string, BlockRule>();
  readonly #limits = new PrefixTable<RateLimitRule>();
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(clock: ClockService, options: DatapathPolicyOptions) {
    this.#clock = clock;
    this.#options = options;
  }

  /** Blocks `address` for `ttlMs` (Infinity: until unblocked). */
  block(address: string, ttlMs: number): BlockRule {
    if (!(ttlMs > 0)) throw new EbpfError(EbpfErrorCode.DatapathArgument, `block('${address}', ${ttlMs}): the duration must be a positive number of milliseconds`);
    const bytes = parseAddress(address);
    const rule = { address: bytes, expiresAt: this.#clock.now() + ttlMs };
    this.#blocked.set(addressKey(bytes), rule);
    return rule;
  }

  /** Lifts a block; returns the address bytes. */
  unblock(address: string): Uint8Array {
    const bytes = parseAddress(address);
    this.#blocked.delete(addressKey(bytes));
    return bytes;
  }

  /** Sets (qps > 0) or removes (qps = 0) the rate limit of a prefix. */
  rateLimit(prefix: string, qps: number): RateLimitRule {
    if (!Number.isFinite(qps) || qps < 0 || qps > MAX_QPS) {
      throw new EbpfError(EbpfErrorCode.DatapathArgument, `rateLimit('${prefix}', ${qps}): qps must be between 0 (no limit) and ${MAX_QPS}`);
    }
    const parsed = parsePrefix(prefix);
    const rule = { prefix: parsed, qps, burst: Math.max(1, Math.round(qps * this.#options.burstSeconds)) };
    if (qps === 0) this.#limits.delete(parsed);
    else this.#limits.set(parsed, rule);
    return rule;
  }

  /** The verdict for a query from `address` now; an admitted query takes a token. */
  admit(address: string): DatapathVerdict {
    const bytes = parseAddress(address);
    const now = this.#clock.now();
    const key = addressKey(bytes);
    const block = this.#blocked.get(key);
    if (block && block.expiresAt > now) {
      this.counters.blocked++;
      return 'block';
    }
    const rule = this.#limits.match(bytes);
    if (rule) {
      let bucket = this.#buckets.get(key);
      if (bucket) this.#buckets.delete(key); // re-inserted below: Map order is least recently used first
      bucket ??= new TokenBucket(rule.qps, rule.burst, now);
      this.#buckets.set(key, bucket);
      if (this.#buckets.size > this.#options.maxBuckets) this.#buckets.delete(this.#buckets.keys().next().value as string);
      if (!bucket.take(now, rule.qps, rule.burst)) {
        this.counters.rateLimited++;
        return 'rate-limit';
      }
    }
    this.counters.admitted++;
    return 'pass';
  }

  /** Removes blocks that have expired and returns them. */
  sweep(): BlockRule[] {
    const now = this.#clock.now();
    const expired: BlockRule[] = [];
    for (const [key, rule] of this.#blocked) {
      if (rule.expiresAt <= now) {
        this.#blocked.delete(key);
        expired.push(rule);
      }
    }
    return expired;
  }

  /** Sources currently blocked. */
  get blockedCount(): number {
    return this.#blocked.size;
  }

  /** Prefixes with a rate limit. */
  get rateLimitCount(): number {
    return this.#limits.size;
  }

  /** The current blocks, as addresses and remaining milliseconds. */
  blocks(): Array<{ readonly address: string; readonly remainingMs: number }> {
    const now = this.#clock.now();
    return [...this.#blocked.values()].map((r) => ({ address: formatAddress(r.address), remainingMs: r.expiresAt - now }));
  }
}
