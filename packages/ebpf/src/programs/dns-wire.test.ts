import { describe, expect, it } from 'vitest';
import { decodeDnsName, encodeDnsName } from './dns-wire.js';

describe('DNS names in wire format', () => {
  it('encodes lower-case labels with the root byte, trailing dot or not', () => {
    expect([...encodeDnsName('WWW.Example.com.')]).toEqual([3, 119, 119, 119, 7, ...Buffer.from('example'), 3, 99, 111, 109, 0]);
    expect(encodeDnsName('www.example.com')).toEqual(encodeDnsName('www.example.com.'));
    expect([...encodeDnsName('')]).toEqual([0]);
  });

  it('refuses empty or long labels and long names', () => {
    expect(() => encodeDnsName('a..b')).toThrow('every label must be 1 to 63 bytes');
    expect(() => encodeDnsName(`${'a'.repeat(64)}.example`)).toThrow('every label must be 1 to 63 bytes');
    expect(() => encodeDnsName(Array(130).fill('ab').join('.'))).toThrow('longer than 255 bytes');
  });

  it('decodes what it encodes and stops at the root or a malformed label', () => {
    expect(decodeDnsName(encodeDnsName('a.b.example'))).toBe('a.b.example');
    expect(decodeDnsName(Buffer.from([1, 97, 0xc0, 0x0c]))).toBe('a');
  });
});
