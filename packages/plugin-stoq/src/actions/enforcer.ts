import { isIP } from 'node:net';
import type { DatapathService, DnsQueryVerdict } from '@hypermesh/runtime';
import { TokenBucket } from './token-bucket.js';

/** An enforced measure: against a client address or a domain. */
export interface Measure {
  readonly action: 'block' | 'rate-limit';
  readonly client?: string;
  readonly domain?: string;
  /** When it ends unless renewed (ms). */
  readonly until: number;
  /** Why, for the REFUSED answer's log. */
  readonly reason: string;
}

interface DnsMeasure {
  until: number;
  reason: string;
  bucket: TokenBucket | undefined;
}

/**
 * Applies and lifts measures. Client measures go to the datapath when it is present (XDP or its
 * userspace equivalent, which the DNS server consults through `admit`); otherwise — and for
 * domain measures, which the datapath cannot express — this plugin enforces them itself in its
 * `dns.query` tap: a blocked client or domain is answered REFUSED, a rate-limited one is refused
 * beyond its token bucket.
 */
export class Enforcer {
  private readonly clients = new Map<string, DnsMeasure>();
  private readonly domains = new Map<string, DnsMeasure>();

  constructor(
    private readonly datapath: DatapathService | undefined,
    private readonly rateLimitQps: number,
  ) {}

  /** Where client measures are enforced. */
  mode(): 'datapath' | 'dns' {
    return this.datapath === undefined ? 'dns' : 'datapath';
  }

  /** Applies (or renews) a measure at time `now`. */
  apply(measure: Measure, now: number): void {
    const ttl = Math.max(1, measure.until - now);
    if (measure.client !== undefined) {
      if (this.datapath !== undefined) {
        if (measure.action === 'block') this.datapath.block(measure.client, ttl);
        else this.datapath.rateLimit(prefixOf(measure.client), this.rateLimitQps);
      } else {
        this.set(this.clients, measure.client, measure);
      }
    }
    if (measure.domain !== undefined) this.set(this.domains, measure.domain, measure);
  }

  private set(map: Map<string, DnsMeasure>, key: string, measure: Measure): void {
    const existing = map.get(key);
    const bucket = measure.action === 'rate-limit' ? (existing?.bucket ?? new TokenBucket(this.rateLimitQps)) : undefined;
    map.set(key, { until: measure.until, reason: measure.reason, bucket });
  }

  /** Lifts a measure. */
  lift(measure: Measure): void {
    if (measure.client !== undefined) {
      if (this.datapath !== undefined) {
        if (measure.action === 'block') this.datapath.unblock(measure.client);
        else this.datapath.rateLimit(prefixOf(measure.client), 0);
      } else {
        this.clients.delete(measure.client);
      }
    }
    if (measure.domain !== undefined) this.domains.delete(measure.domain);
  }

  /** The verdict of the `dns.query` tap for a query at time `at` (undefined lets it through). */
  verdict(client: string, domain: string | undefined, at: number): DnsQueryVerdict | undefined {
    if (this.clients.size > 0) {
      const m = this.clients.get(client);
      if (m !== undefined && at < m.until && (m.bucket === undefined || !m.bucket.take(at))) return { action: 'refuse', reason: m.reason };
    }
    if (domain !== undefined && this.domains.size > 0) {
      const m = this.domains.get(domain);
      if (m !== undefined && at < m.until && (m.bucket === undefined || !m.bucket.take(at))) return { action: 'refuse', reason: m.reason };
    }
    return undefined;
  }

  /** Measures this plugin enforces itself (clients without a datapath, and domains). */
  enforcedHere(): { clients: number; domains: number } {
    return { clients: this.clients.size, domains: this.domains.size };
  }
}

/** The single-address prefix of an address (`/32` or `/128`). */
export function prefixOf(address: string): string {
  return isIP(address) === 6 ? `${address}/128` : `${address}/32`;
}
