import type { DnsAnswerSource, DnsRecord, DnsResolution, SoaData } from '@hypermesh/runtime';

/** The TTL limits that apply to cached answers (seconds). */
export interface TtlClamps {
  readonly minTtl: number;
  readonly maxTtl: number;
  readonly negativeMaxTtl: number;
}

/**
 * How long a resolution may be cached (seconds), or undefined when it must not be: positive
 * answers live as long as their shortest record; NXDOMAIN and NODATA live min(SOA TTL, SOA
 * MINIMUM) (RFC 2308 §5) and are not cached without an SOA; SERVFAIL and friends are not cached.
 */
export function cacheableTtl(resolution: DnsResolution, clamps: TtlClamps): number | undefined {
  const { rcode, answers, authorities } = resolution;
  let ttl: number;
  if (rcode === 'NOERROR' && answers.length > 0) {
    ttl = Math.min(...answers.map((r) => r.ttl));
    ttl = Math.min(Math.max(ttl, clamps.minTtl), clamps.maxTtl);
  } else if (rcode === 'NXDOMAIN' || rcode === 'NOERROR') {
    const soa = authorities.find((r) => r.type === 'SOA');
    if (soa === undefined) return undefined;
    ttl = Math.min(soa.ttl, (soa.data as SoaData).minimum, clamps.negativeMaxTtl);
    ttl = Math.max(ttl, Math.min(clamps.minTtl, clamps.negativeMaxTtl));
  } else {
    return undefined;
  }
  return ttl > 0 ? ttl : undefined;
}

function decrement(records: readonly DnsRecord[], age: number, cap: number, raise: boolean): DnsRecord[] {
  return records.map((r) => ({ ...r, ttl: Math.max(0, (raise ? cap : Math.min(r.ttl, cap)) - age) }) as DnsRecord);
}

/**
 * The resolution as served `age` seconds after it was stored with the (clamped) TTL `ttl`: the
 * answer RRset carries `ttl` minus the age, the other sections no more than that.
 */
export function withTtl(resolution: DnsResolution, age: number, ttl: number, source: DnsAnswerSource): DnsResolution {
  const cap = ttl;
  return {
    ...resolution,
    answers: decrement(resolution.answers, age, cap, true),
    authorities: decrement(resolution.authorities, age, cap, false),
    additionals: decrement(resolution.additionals, age, cap, false),
    source,
  };
}
