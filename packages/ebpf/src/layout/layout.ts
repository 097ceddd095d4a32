/**
 * C struct layouts declared once in TypeScript: each layout knows its size, alignment and C type,
 * and encodes/decodes values at an offset of a DataView. `struct()` places fields with C's
 * alignment rules; `checkLayout` (btf.ts) compares a layout with an object's BTF.
 */
import { EbpfError, EbpfErrorCode } from '../errors.js';

/** What a layout describes, for the BTF comparison. */
export type LayoutShape =
  | { readonly kind: 'int'; readonly signed: boolean }
  | { readonly kind: 'array'; readonly element: Layout<unknown>; readonly length: number }
  | { readonly kind: 'struct'; readonly fields: readonly StructField[] }
  | { readonly kind: 'pad' };

/** A C type's layout and codec. */
export interface Layout<T> {
  /** The C type, e.g. `__u32` or `struct dns_cache_key`. */
  readonly cType: string;
  readonly size: number;
  readonly align: number;
  readonly shape: LayoutShape;
  /** Reads a value at `offset`. */
  read(view: DataView, offset: number): T;
  /** Writes `value` at `offset`. */
  write(view: DataView, offset: number, value: T): void;
}

/** A field of a {@link StructLayout}. */
export interface StructField {
  readonly name: string;
  readonly offset: number;
  readonly layout: Layout<unknown>;
}

/** The value type of a layout. */
export type LayoutValue<L> = L extends Layout<infer T> ? T : never;

/** Explicit padding: its bytes are written as zeros and it has no property in the value. */
export interface PadLayout extends Layout<undefined> {
  readonly shape: { readonly kind: 'pad' };
}

/** The object type of a struct's fields, without its padding. */
export type StructValue<F extends Record<string, Layout<unknown>>> = {
  -readonly [K in keyof F as F[K] extends PadLayout ? never : K]: LayoutValue<F[K]>;
};

/** A struct layout, with encode/decode to a fresh or given buffer. */
export interface StructLayout<T> extends Layout<T> {
  readonly fields: readonly StructField[];
  /** Encodes `value` into a new buffer of `size` bytes (padding zeroed). */
  encode(value: T): Buffer;
  /** Encodes `value` into `target` at `offset`. */
  encodeInto(value: T, target: Uint8Array, offset?: number): void;
  /** Decodes a value from `source` at `offset`. */
  decode(source: Uint8Array, offset?: number): T;
}

function int<T extends number | bigint>(
  cType: string,
  size: number,
  signed: boolean,
  read: (v: DataView, o: number) => T,
  write: (v: DataView, o: number, x: T) => void,
): Layout<T> {
  return { cType, size, align: size, shape: { kind: 'int', signed }, read, write };
}

/** `__u8`. */
export const u8 = int<number>('__u8', 1, false, (v, o) => v.getUint8(o), (v, o, x) => v.setUint8(o, x));
/** `__s8`. */
export const i8 = int<number>('__s8', 1, true, (v, o) => v.getInt8(o), (v, o, x) => v.setInt8(o, x));
/** `__u16`, host (little-endian) byte order. */
export const u16 = int<number>('__u16', 2, false, (v, o) => v.getUint16(o, true), (v, o, x) => v.setUint16(o, x, true));
/** `__s16`. */
export const i16 = int<number>('__s16', 2, true, (v, o) => v.getInt16(o, true), (v, o, x) => v.setInt16(o, x, true));
/** `__u32`. */
export const u32 = int<number>('__u32', 4, false, (v, o) => v.getUint32(o, true), (v, o, x) => v.setUint32(o, x, true));
/** `__s32`. */
export const i32 = int<number>('__s32', 4, true, (v, o) => v.getInt32(o, true), (v, o, x) => v.setInt32(o, x, true));
/** `__u64`, as a bigint. */
export const u64 = int<bigint>('__u64', 8, false, (v, o) => v.getBigUint64(o, true), (v, o, x) => v.setBigUint64(o, x, true));
/** `__s64`, as a bigint. */
export const i64 = int<bigint>('__s64', 8, true, (v, o) => v.getBigInt64(o, true), (v, o, x) => v.setBigInt64(o, x, true));
/** `__be16`: network byte order. */
export const be16 = int<number>('__be16', 2, false, (v, o) => v.getUint16(o, false), (v, o, x) => v.setUint16(o, x, false));
/** `__be32`: network byte order. */
export const be32 = int<number>('__be32', 4, false, (v, o) => v.getUint32(o, false), (v, o, x) => v.setUint32(o, x, false));

/** `__u8 name[length]` as bytes: shorter values are zero-filled, longer ones are an error. */
export function bytes(length: number): Layout<Uint8Array> {
  return {
    cType: `__u8[${length}]`,
    size: length,
    align: 1,
    shape: { kind: 'array', element: u8 as Layout<unknown>, length },
    read: (v, o) => new Uint8Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + length)),
    write: (v, o, x) => {
      if (x.length > length) {
        throw new EbpfError(EbpfErrorCode.Layout, `a ${x.length}-byte value does not fit a __u8[${length}] field: shorten it`);
      }
      const target = new Uint8Array(v.buffer, v.byteOffset + o, length);
      target.set(x);
      target.fill(0, x.length);
    },
  };
}

/** `T name[length]` as an array of values. */
export function array<T>(element: Layout<T>, length: number): Layout<T[]> {
  return {
    cType: `${element.cType}[${length}]`,
    size: element.size * length,
    align: element.align,
    shape: { kind: 'array', element: element as Layout<unknown>, length },
    read: (v, o) => Array.from({ length }, (_, i) => element.read(v, o + i * element.size)),
    write: (v, o, x) => {
      if (x.length !== length) {
        throw new EbpfError(EbpfErrorCode.Layout, `an array field of ${length} ${element.cType} was given ${x.length} values`);
      }
      x.forEach((e, i) => element.write(v, o + i * element.size, e));
    },
  };
}

/** Explicit padding of `length` bytes (`__u8 pad[length]` in C). */
export function pad(length: number): PadLayout {
  return {
    cType: `__u8[${length}]`,
    size: length,
    align: 1,
    shape: { kind: 'pad' },
    read: () => undefined,
    write: (v, o) => new Uint8Array(v.buffer, v.byteOffset + o, length).fill(0),
  };
}

const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * A C struct, fields in declaration order, placed with C's alignment rules (each field at a
 * multiple of its alignment, the size rounded up to the largest alignment).
 *
 * ```ts
 * import { bytes, struct, u16, u64 } from '@hypermesh/ebpf';
 *
 * const flowKey = struct('flow_key', { addr: bytes(16), port: u16, packets: u64 });
 * const buf = flowKey.encode({ addr: new Uint8Array(16), port: 53, packets: 1n });
 * ```
 */
export function struct<F extends Record<string, Layout<unknown>>>(name: string, definition: F): StructLayout<StructValue<F>> {
  let offset = 0;
  let align = 1;
  const fields: StructField[] = [];
  for (const [field, layout] of Object.entries(definition)) {
    offset = Math.ceil(offset / layout.align) * layout.align;
    fields.push({ name: field, offset, layout });
    offset += layout.size;
    align = Math.max(align, layout.align);
  }
  const size = Math.ceil(offset / align) * align;
  const valued = fields.filter((f) => f.layout.shape.kind !== 'pad');
  const pads = fields.filter((f) => f.layout.shape.kind === 'pad');
  const read = (v: DataView, o: number) => {
    const value: Record<string, unknown> = {};
    for (const f of valued) value[f.name] = f.layout.read(v, o + f.offset);
    return value as StructValue<F>;
  };
  const write = (v: DataView, o: number, value: StructValue<F>) => {
    // implicit padding must be zero too (hash keys compare every byte)
    if (size !== fields.reduce((n, f) => n + f.layout.size, 0)) new Uint8Array(v.buffer, v.byteOffset + o, size).fill(0);
    const record = value as Record<string, unknown>;
    for (const f of valued) {
      const x = record[f.name];
      if (x === undefined) throw new EbpfError(EbpfErrorCode.Layout, `struct ${name}: field '${f.name}' is missing from the value`);
      f.layout.write(v, o + f.offset, x);
    }
    for (const f of pads) f.layout.write(v, o + f.offset, undefined);
  };
  return {
    cType: `struct ${name}`,
    size,
    align,
    shape: { kind: 'struct', fields },
    fields,
    read,
    write,
    encode(value) {
      const out = Buffer.alloc(size);
      write(viewOf(out), 0, value);
      return out;
    },
    encodeInto(value, target, at = 0) {
      write(viewOf(target), at, value);
    },
    decode(source, at = 0) {
      return read(viewOf(source), at);
    },
  };
}

/** Encodes a value of any layout into a new buffer. */
export function encodeValue<T>(layout: Layout<T>, value: T): Buffer {
  const out = Buffer.alloc(layout.size);
  layout.write(viewOf(out), 0, value);
  return out;
}

/** Decodes a value of any layout from `source` at `offset`. */
export function decodeValue<T>(layout: Layout<T>, source: Uint8Array, offset = 0): T {
  return layout.read(viewOf(source), offset);
}
