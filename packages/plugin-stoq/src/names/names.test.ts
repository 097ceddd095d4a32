import { describe, expect, it } from 'vitest';
import { StoqError } from '../errors.js';
import { classifyName, createNameClassifier } from './classify-name.js';
import { MAX_WIRE_LENGTH, parseDnsName, type ParsedName } from './dns-name.js';
import defaultModel from './default-model.json' with { type: 'json' };
import type { NameModelJson } from './name-model.js';
import { nameParts, registrableDomain } from './suffix.js';

const parsed = (text: string): ParsedName => {
  const p = parseDnsName(text);
  if (!p.ok) throw new Error(p.reason);
  return p;
};

describe('DNS names', () => {
  it('parses presentation form: case, trailing dot, \\DDD and \\X escapes (one octet each)', () => {
    expect(parsed('WWW.Example.COM.').labels).toEqual(['www', 'example', 'com']);
    const iodine = parsed('a\\220B\\.c.t.Example.net');
    expect(iodine.labels[0]).toBe(`a${String.fromCharCode(220)}b.c`);
    expect(iodine.labels).toHaveLength(4);
    expect(iodine.escapedOctets).toBe(2); // \220 and the escaped dot
    expect(iodine.highOctets).toBe(1);
    expect(iodine.key).toBe('a\\220b\\046c.t.example.net');
    expect(iodine.wireLength).toBe(1 + 5 + 1 + 1 + 1 + 7 + 1 + 3 + 1);
  });

  it('rejects what is not a name, with a reason', () => {
    const reason = (v: unknown) => {
      const p = parseDnsName(v);
      return p.ok ? 'ok' : p.reason;
    };
    expect(reason('')).toMatch(/empty/);
    expect(reason('.')).toMatch(/empty/);
    expect(reason('a..b')).toMatch(/empty label/);
    expect(reason(`${'a'.repeat(64)}.com`)).toMatch(/64 octets/);
    expect(reason('bad\\999.com')).toMatch(/not a valid \\DDD escape/);
    expect(reason('end\\')).toMatch(/lone backslash/);
    expect(reason(42)).toMatch(/must be a string/);
    expect(reason(null)).toMatch(/not null/);
  });

  it('accepts a name of exactly 255 octets on the wire and rejects 256', () => {
    // four labels of 63 octets: 4 × 64 + 1 = 257; three of 63 and one of 61: 3 × 64 + 62 + 1 = 255
    const max = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(parsed(max).wireLength).toBe(MAX_WIRE_LENGTH);
    const over = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
    expect(parseDnsName(over)).toMatchObject({ ok: false });
    // 255 characters of presentation text is 257 octets on the wire
    expect(parseDnsName('x'.repeat(255))).toMatchObject({ ok: false });
  });

  it('encodes non-ASCII characters as their UTF-8 octets', () => {
    const p = parsed('bücher.de');
    expect(p.labels[0]).toHaveLength(7); // ü is two octets
    expect(p.highOctets).toBe(2);
    expect(parsed('😀.example').labels[0]).toHaveLength(4);
  });

  it('finds the registrable label: ccTLD second levels and dynamic-DNS parents', () => {
    expect(registrableDomain(parsed('www.bbc.co.uk').labels)).toBe('bbc.co.uk');
    expect(registrableDomain(parsed('a.b.example.com').labels)).toBe('example.com');
    expect(nameParts(parsed('7latk0k61pwfq2ynale.ddns.net').labels)).toEqual({ suffixLabels: 2, primary: 0, dynamicDns: true });
    expect(registrableDomain(parsed('localhost').labels)).toBe('localhost');
  });
});

describe('classifyName (the shipped model)', () => {
  it('labels benign, DGA and tunnel names, with reasons that explain the verdict', () => {
    expect(classifyName('www.wikipedia.org')).toMatchObject({ label: 'benign' });
    expect(classifyName('mail.google.com').score).toBeLessThan(0.5);
    const dga = classifyName('xjwqkzpvhbmdrtq.com');
    expect(dga.label).toBe('dga');
    expect(dga.score).toBeGreaterThanOrEqual(0.5);
    expect(dga.reasons.length).toBeGreaterThan(0);
    expect(dga.reasons[0]!.weight).toBeGreaterThan(0);
    expect(dga.reasons.reduce((a, r) => a + r.weight, 0)).toBeLessThanOrEqual(1.001);
    const tunnel = classifyName('nbswy3dpeb3w64tmmqqhg33nmuqgc3tenfxgo43emvzxg2lomvzxg43umfu.w4zjanrxw4zzamfzxgzlsorxxe.t.exfil-example.net');
    expect(tunnel.label).toBe('tunnel');
    expect(tunnel.reasons[0]!.feature).toMatch(/payload_bits/);
  });

  it('handles iodine names with \\DDD escapes and mixed case, and case does not change the verdict', () => {
    const name = '0ibb38Naw\\190cV\\253\\210e\\228\\215R\\188\\192GX6\\195u\\205JR\\2232V\\225.t.quietharbor.net';
    const verdict = classifyName(name);
    expect(verdict.label).toBe('tunnel');
    expect(classifyName(name.toLowerCase())).toEqual(verdict);
  });

  it('throws E_STOQ_NAME for malformed names instead of guessing', () => {
    expect(() => classifyName('')).toThrow(StoqError);
    expect(() => classifyName('a'.repeat(300))).toThrow(/is not a DNS name/);
    try {
      classifyName('a..b');
    } catch (err) {
      expect((err as StoqError).code).toBe('E_STOQ_NAME');
    }
  });

  it('loads a model from JSON and refuses something that is not one', () => {
    const classifier = createNameClassifier(defaultModel as unknown as NameModelJson);
    expect(classifier.classify('example.com').label).toBe('benign');
    expect(() => createNameClassifier({} as NameModelJson)).toThrow(/not a STOQ name model/);
  });
});
