import { describe, expect, it } from 'vitest';
import { EbpfError } from '../errors.js';
import { array, bytes, decodeValue, encodeValue, i32, pad, struct, u16, u32, u64, u8 } from './layout.js';

describe('struct layouts', () => {
  it('places fields with C alignment and rounds the size up to the largest alignment', () => {
    const s = struct('mixed', { a: u8, b: u32, c: u16, d: u64, e: u8 });
    expect(s.fields.map((f) => [f.name, f.offset])).toEqual([
      ['a', 0],
      ['b', 4],
      ['c', 8],
      ['d', 16],
      ['e', 24],
    ]);
    expect(s.size).toBe(32);
    expect(s.align).toBe(8);
  });

  it('round-trips values, little-endian, with arrays and nested structs', () => {
    const inner = struct('inner', { x: u16, y: bytes(3) });
    const s = struct('outer', { n: i32, list: array(u16, 3), inner, big: u64 });
    const value = { n: -5, list: [1, 2, 0xffff], inner: { x: 513, y: new Uint8Array([7, 8, 9]) }, big: 2n ** 63n + 1n };
    const buf = s.encode(value);
    expect(buf.length).toBe(s.size);
    expect(buf.readInt32LE(0)).toBe(-5);
    expect(buf.readUInt16LE(4 + 2 * 2)).toBe(0xffff);
    expect(s.decode(buf)).toEqual(value);
  });

  it('zeroes padding, explicit and implicit, so equal keys hash equal', () => {
    const s = struct('padded', { a: u8, p: pad(3), b: u32, c: u8 });
    const dirty = Buffer.alloc(s.size, 0xaa);
    s.encodeInto({ a: 1, b: 2, c: 3 }, dirty);
    expect([...dirty]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
    expect(s.decode(dirty)).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('zero-fills short byte arrays and refuses long ones', () => {
    expect([...encodeValue(bytes(4), new Uint8Array([1]))]).toEqual([1, 0, 0, 0]);
    expect(() => encodeValue(bytes(2), new Uint8Array(3))).toThrow(EbpfError);
    expect(decodeValue(u32, Buffer.from([1, 0, 0, 0]))).toBe(1);
  });

  it('names a missing field', () => {
    const s = struct('pair', { a: u8, b: u8 });
    expect(() => s.encode({ a: 1 } as never)).toThrow("struct pair: field 'b' is missing from the value");
  });
});
