import { createSimulatedClock, type DnsResolution } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { DnsCache, type DnsCacheOptions } from './dns-cache.js';

const answer = (name: string, ttl: number): DnsResolution => ({
  question: { name, type: 'A' },
  rcode: 'NOERROR',
  answers: [{ name, type: 'A', ttl, data: '192.0.2.1' }],
  authorities: [],
  additionals: [],
  authoritative: false,
  source: 'upstream',
  extendedErrors: [],
});

function cache(overrides: Partial<DnsCacheOptions> = {}) {
  const clock = createSimulatedClock();
  const prefetched: string[] = [];
  const c = new DnsCache({
    maxEntries: 3,
    minTtl: 0,
    maxTtl: 86_400,
    negativeMaxTtl: 3600,
    prefetch: { enabled: true, minHits: 2, threshold: 0.25 },
    serveStale: { enabled: true, maxStaleMs: 10_000, answerTtl: 30 },
    clock,
    datapathMinHits: 5,
    onPrefetch: (name) => prefetched.push(name),
    ...overrides,
  });
  return { c, clock, prefetched };
}

describe('DNS cache', () => {
  it('evicts the least recently used entry beyond its size', () => {
    const { c } = cache();
    for (const n of ['a', 'b', 'c']) c.store(n, 1, answer(n, 60));
    expect(c.get('a', 1)?.state).toBe('fresh'); // a is now the most recently used
    c.store('d', 1, answer('d', 60));
    expect(c.size).toBe(3);
    expect(c.get('b', 1)).toBeUndefined();
    expect(c.get('a', 1)).toBeDefined();
    expect(c.stats.evictions).toBe(1);
  });

  it('ages TTLs, serves stale inside the window, forgets after it', async () => {
    const { c, clock } = cache();
    c.store('a', 1, answer('a', 10));
    await clock.advance(4_000);
    expect(c.get('a', 1)!.resolution.answers[0]!.ttl).toBe(6);
    await clock.advance(7_000);
    const stale = c.get('a', 1)!;
    expect(stale.state).toBe('stale');
    expect(stale.resolution.answers[0]!.ttl).toBe(30);
    expect(stale.resolution.extendedErrors[0]!.infoCode).toBe(3);
    await clock.advance(10_000);
    expect(c.get('a', 1)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('asks for a prefetch once when a popular entry nears expiry', async () => {
    const { c, clock, prefetched } = cache();
    c.store('hot', 1, answer('hot', 100));
    c.get('hot', 1);
    c.get('hot', 1);
    expect(prefetched).toEqual([]);
    await clock.advance(80_000);
    c.get('hot', 1);
    c.get('hot', 1);
    expect(prefetched).toEqual(['hot']);
  });

  it('does not cache SERVFAIL, zero TTLs, or negative answers without an SOA', () => {
    const { c } = cache();
    expect(c.store('x', 1, { ...answer('x', 60), rcode: 'SERVFAIL', answers: [] })).toBe(false);
    expect(c.store('y', 1, answer('y', 0))).toBe(false);
    expect(c.store('z', 1, { ...answer('z', 60), rcode: 'NXDOMAIN', answers: [] })).toBe(false);
  });
});
