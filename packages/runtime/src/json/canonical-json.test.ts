import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonBytes, type JsonValue } from './canonical-json.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJsonBytes({ b: 1, a: 2 })).toEqual(canonicalJsonBytes({ a: 2, b: 1 }));
  });

  it('refuses values JSON cannot carry, naming the path', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrowError('canonicalJson: $.a[1] is NaN');
    expect(() => canonicalJson({ a: undefined } as unknown as JsonValue)).toThrowError('$.a is undefined');
    expect(() => canonicalJson({ d: new Date(0) } as unknown as JsonValue)).toThrowError('an instance of Date');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop as JsonValue)).toThrowError('circular');
  });
});
