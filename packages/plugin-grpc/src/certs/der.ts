/**
 * A small DER encoder (ITU-T X.690 §10), enough to write X.509 certificates (RFC 5280). Every
 * function returns the complete TLV (tag, length, value) as a Buffer.
 */

/** Encodes a TLV with the given tag byte. */
export function tlv(tag: number, value: Uint8Array): Buffer {
  const length = value.byteLength;
  let header: Buffer;
  if (length < 0x80) {
    header = Buffer.from([tag, length]);
  } else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, value]);
}

/** SEQUENCE of already-encoded elements. */
export const sequence = (...elements: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(elements));

/** SET of already-encoded elements (callers pass a single element, so no sorting is needed). */
export const set = (...elements: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(elements));

/** A constructed, context-specific tag `[n]` wrapping already-encoded content (EXPLICIT tagging). */
export const explicit = (n: number, content: Uint8Array): Buffer => tlv(0xa0 | n, content);

/** A primitive, context-specific tag `[n]` (IMPLICIT tagging of a primitive type). */
export const implicit = (n: number, value: Uint8Array): Buffer => tlv(0x80 | n, value);

/** BOOLEAN. */
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));

/** INTEGER from unsigned big-endian bytes (a leading zero is added when the top bit is set). */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = Buffer.from(bytes.subarray(start));
  return tlv(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** INTEGER from a small non-negative number. */
export function smallInteger(value: number): Buffer {
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return unsignedInteger(Buffer.from(bytes.length === 0 ? [0] : bytes));
}

/** OBJECT IDENTIFIER from dotted notation, e.g. `2.5.29.17`. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const first = arcs[0]! * 40n + arcs[1]!;
  const body: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const base128: number[] = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) base128.unshift(Number(n & 0x7fn) | 0x80);
    body.push(...base128);
  }
  return tlv(0x06, Buffer.from(body));
}

/** OCTET STRING. */
export const octetString = (value: Uint8Array): Buffer => tlv(0x04, value);

/** BIT STRING holding whole bytes (no unused bits). */
export const bitString = (value: Uint8Array): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), value]));

/**
 * BIT STRING of named bits (e.g. KeyUsage, RFC 5280 §4.2.1.3), bit 0 being the most significant
 * bit of the first byte; DER drops trailing zero bits (X.690 §11.2.2).
 */
export function namedBits(bits: readonly number[]): Buffer {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** UTF8String. */
export const utf8String = (value: string): Buffer => tlv(0x0c, Buffer.from(value, 'utf8'));

/** IA5String (ASCII), as used by dNSName and URI names. */
export const ia5 = (value: string): Buffer => Buffer.from(value, 'ascii');

/** A certificate validity time: UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2025-01-02T03:04:05.678Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

/** Wraps DER bytes in PEM armour with 64-character lines. */
export function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
