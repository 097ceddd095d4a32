import { createSimulatedClock } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { DnsAnswerCache } from './dns-cache.js';
import { DatapathPolicy } from './datapath-policy.js';

describe('datapath policy in userspace', () => {
  const setup = () => {
    const clock = createSimulatedClock(1_000);
    return { clock, policy: new DatapathPolicy(clock, { burstSeconds: 1, maxBuckets: 4 }) };
  };

  it('blocks a source until its block expires, and sweeps it', async () => {
    const { clock, policy } = setup();
    policy.block('192.0.2.1', 5_000);
    expect(policy.admit('192.0.2.1')).toBe('block');
    expect(policy.admit('192.0.2.2')).toBe('pass');
    await clock.advance(5_000);
    expect(policy.admit('192.0.2.1')).toBe('pass');
    expect(policy.sweep().length).toBe(1);
    expect(policy.blockedCount).toBe(0);
  });

  it('gives each source in a prefix its own bucket; the longest prefix wins; 0 lifts the limit', async () => {
    const { clock, policy } = setup();
    policy.rateLimit('10.0.0.0/8', 2);
    policy.rateLimit('10.9.0.0/16', 1);
    expect(['10.1.1.1', '10.1.1.1', '10.1.1.1'].map((a) => policy.admit(a))).toEqual(['pass', 'pass', 'rate-limit']);
    expect(policy.admit('10.1.1.2')).toBe('pass'); // another source, another bucket
    expect([policy.admit('10.9.1.1'), policy.admit('10.9.1.1')]).toEqual(['pass', 'rate-limit']);
    await clock.advance(1_000);
    expect(policy.admit('10.9.1.1')).toBe('pass');
    policy.rateLimit('10.9.0.0/16', 0);
    policy.rateLimit('10.0.0.0/8', 0);
    expect(Array.from({ length: 10 }, () => policy.admit('10.9.1.1')).every((v) => v === 'pass')).toBe(true);
    expect(policy.counters).toEqual({ admitted: 15, blocked: 0, rateLimited: 2 });
  });

  it('refuses bad arguments with E_DATAPATH_ARGUMENT', () => {
    const { policy } = setup();
    expect(() => policy.block('nope', 1)).toThrow(expect.objectContaining({ code: 'E_DATAPATH_ARGUMENT' }));
    expect(() => policy.block('192.0.2.1', 0)).toThrow('positive number of milliseconds');
    expect(() => policy.rateLimit('10.0.0.0/8', 2_000_000)).toThrow('qps must be between 0 (no limit) and 1000000');
    expect(() => policy.admit('999.0.0.1')).toThrow(expect.objectContaining({ code: 'E_DATAPATH_ARGUMENT' }));
  });
});

describe('answer cache in userspace', () => {
  it('serves entries with the remaining TTL until they expire', async () => {
    const clock = createSimulatedClock();
    const cache = new DnsAnswerCache(clock, 2);
    cache.put({ name: 'WWW.Example.com.', type: 'A', addresses: ['192.0.2.1'], ttl: 10 });
    expect(cache.get('www.example.com', 'A')).toEqual({ name: 'www.example.com', type: 'A', addresses: ['192.0.2.1'], ttl: 10 });
    await clock.advance(3_500);
    expect(cache.get('www.example.com', 'A')?.ttl).toBe(6);
    expect(cache.get('www.example.com', 'AAAA')).toBeUndefined();
    await clock.advance(6_500);
    expect(cache.get('www.example.com', 'A')).toBeUndefined();
    expect(cache.sweep().length).toBe(1);
  });

  it('keeps at most its size, dropping the oldest', () => {
    const cache = new DnsAnswerCache(createSimulatedClock(), 2);
    for (const n of ['a', 'b', 'c']) cache.put({ name: `${n}.example`, type: 'A', addresses: ['192.0.2.1'], ttl: 60 });
    expect(cache.size).toBe(2);
    expect(cache.get('a.example', 'A')).toBeUndefined();
  });

  it('refuses malformed entries naming the problem', () => {
    const cache = new DnsAnswerCache(createSimulatedClock(), 2);
    const put = (e: object) => () => cache.put({ name: 'a.example', type: 'A', addresses: ['192.0.2.1'], ttl: 60, ...e } as never);
    expect(put({ addresses: ['2001:db8::1'] })).toThrow("'2001:db8::1' is not an IPv4 address");
    expect(put({ addresses: [] })).toThrow('give 1 to 8 addresses');
    expect(put({ ttl: -1 })).toThrow('ttl must be an integer');
    expect(put({ type: 'MX' })).toThrow('type must be A or AAAA');
    expect(put({ name: 'bad..name' })).toThrow('every label must be 1 to 63 bytes');
  });
});
