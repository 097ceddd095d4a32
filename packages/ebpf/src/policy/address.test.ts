import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, parsePrefix } from './address.js';
import { PrefixTable } from './prefix-table.js';
import { TokenBucket } from './token-bucket.js';

describe('addresses as the programs key them', () => {
  it('maps IPv4 into IPv6 and formats both back', () => {
    expect([...parseAddress('192.0.2.7')]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 7]);
    expect(formatAddress(parseAddress('192.0.2.7'))).toBe('192.0.2.7');
    expect(formatAddress(parseAddress('::ffff:192.0.2.7'))).toBe('192.0.2.7');
    expect(formatAddress(parseAddress('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatAddress(parseAddress('fe80::1%eth0'))).toBe('fe80::1');
    expect(formatAddress(parseAddress('::'))).toBe('::');
    expect(formatAddress(parseAddress('1::'))).toBe('1::');
  });

  it('refuses what is not an address or a prefix', () => {
    expect(() => parseAddress('300.1.1.1')).toThrow("'300.1.1.1' is not an IPv4 or IPv6 address");
    expect(() => parsePrefix('10.0.0.0/33')).toThrow('invalid prefix length: use 0 to 32');
    expect(() => parsePrefix('10.0.0.0/x')).toThrow('invalid prefix length');
    expect(() => parsePrefix('10.0.0.0/8/8')).toThrow('is not a CIDR prefix');
  });

  it('normalises prefixes and counts IPv4 lengths over the mapped form', () => {
    expect(parsePrefix('10.1.2.3/24')).toMatchObject({ length: 120, text: '10.1.2.0/24' });
    expect(parsePrefix('2001:db8::1/32')).toMatchObject({ length: 32, text: '2001:db8::/32' });
    expect(parsePrefix('192.0.2.1')).toMatchObject({ length: 128, text: '192.0.2.1/32' });
  });
});

describe('longest-prefix match', () => {
  it('picks the longest prefix that contains the address, across families', () => {
    const t = new PrefixTable<string>();
    t.set(parsePrefix('10.0.0.0/8'), 'wide');
    t.set(parsePrefix('10.1.0.0/16'), 'narrow');
    t.set(parsePrefix('2001:db8::/32'), 'v6');
    expect(t.match(parseAddress('10.1.2.3'))).toBe('narrow');
    expect(t.match(parseAddress('10.2.2.3'))).toBe('wide');
    expect(t.match(parseAddress('11.0.0.1'))).toBeUndefined();
    expect(t.match(parseAddress('2001:db8:5::1'))).toBe('v6');
    expect(t.delete(parsePrefix('10.1.0.0/16'))).toBe(true);
    expect(t.match(parseAddress('10.1.2.3'))).toBe('wide');
    expect(t.size).toBe(2);
  });
});

describe('token bucket', () => {
  it('allows a burst, then the rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(50)).toBe(false); // half a token
    expect(b.take(100)).toBe(true); // one token after 100 ms at 10/s
    expect(b.take(10_000)).toBe(true);
    expect([b.take(10_000), b.take(10_000), b.take(10_000)]).toEqual([true, true, false]); // refilled to the burst, no more
  });
});
