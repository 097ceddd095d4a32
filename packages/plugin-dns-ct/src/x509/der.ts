/**
 * A small DER reader and writer (ITU-T X.690 §8, §10): enough to walk an X.509 certificate, keep
 * the exact bytes of every element (signatures cover bytes, not values), and re-encode a
 * TBSCertificate after removing extensions (RFC 6962 §3.2).
 */

/** Universal tags used by X.509. */
export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  T61String: 0x14,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BmpString: 0x1e,
  Sequence: 0x30,
  Set: 0x31,
} as const;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Decodes bytes as ISO 8859-1 (IA5String, PrintableString and friends are subsets). */
export function latin1Text(bytes: Uint8Array): string {
  return latin1.decode(bytes);
}

/** Thrown by the reader for bytes that are not valid DER; callers turn it into their own error. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** One DER element: its tag and where its header and contents lie in `bytes`. */
export interface DerElement {
  /** The whole buffer the element was read from. */
  readonly bytes: Uint8Array;
  /** The identifier octet (class, constructed bit and tag number). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Reads the element that starts at `offset`; it must end at or before `limit`. */
export function readElement(bytes: Uint8Array, offset = 0, limit = bytes.length): DerElement {
  if (offset + 2 > limit) throw new DerError(`truncated DER element at offset ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag numbers are not used in X.509 (offset ${offset})`);
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError(`indefinite length is not DER (offset ${offset})`);
    if (count > 4) throw new DerError(`length of ${count} octets is too long (offset ${offset})`);
    if (contentStart + count > limit) throw new DerError(`truncated length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    if (length < 0x80 || bytes[contentStart] === 0) throw new DerError(`non-minimal length at offset ${offset}`);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`element at offset ${offset} runs past its container (${end} > ${limit})`);
  return { bytes, tag, start: offset, contentStart, end };
}

/** Reads a buffer that must hold exactly one element. */
export function readRoot(bytes: Uint8Array): DerElement {
  const element = readElement(bytes, 0, bytes.length);
  if (element.end !== bytes.length) throw new DerError(`${bytes.length - element.end} trailing bytes after the DER element`);
  return element;
}

/** The elements inside a constructed element, in order. */
export function children(element: DerElement): DerElement[] {
  if ((element.tag & 0x20) === 0) throw new DerError(`element with tag 0x${element.tag.toString(16)} is not constructed`);
  const out: DerElement[] = [];
  let offset = element.contentStart;
  while (offset < element.end) {
    const child = readElement(element.bytes, offset, element.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** Checks an element's tag and returns it, so parsers read like the ASN.1 they follow. */
export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined) throw new DerError(`${what} is missing`);
  if (element.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  }
  return element;
}

/** The content octets of an element (a view, not a copy). */
export function contents(element: DerElement): Uint8Array {
  return element.bytes.subarray(element.contentStart, element.end);
}

/** The whole encoding of an element, header included (a view, not a copy). */
export function encoded(element: DerElement): Uint8Array {
  return element.bytes.subarray(element.start, element.end);
}

/** Decoded OIDs by their content octets: certificates repeat a few dozen OIDs. */
const oidCache = new Map<string, string>();

/** Decodes an OBJECT IDENTIFIER to dotted form (X.690 §8.19). */
export function readOid(element: DerElement): string {
  const body = contents(expectTag(element, Tag.Oid, 'OBJECT IDENTIFIER'));
  const key = latin1.decode(body);
  let dotted = oidCache.get(key);
  if (dotted === undefined) {
    dotted = decodeOid(body);
    if (oidCache.size < 1024) oidCache.set(key, dotted);
  }
  return dotted;
}

function decodeOid(body: Uint8Array): string {
  if (body.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (value === 0 && byte === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc');
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    } else if (i === body.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER');
    }
  }
  return arcs.join('.');
}

/** Reads a BOOLEAN. */
export function readBoolean(element: DerElement): boolean {
  const body = contents(expectTag(element, Tag.Boolean, 'BOOLEAN'));
  if (body.length !== 1) throw new DerError('BOOLEAN must be one octet');
  return body[0] !== 0;
}

/** Reads a small non-negative INTEGER (up to 2^53). */
export function readSmallInteger(element: DerElement): number {
  const body = contents(expectTag(element, Tag.Integer, 'INTEGER'));
  if (body.length === 0 || body.length > 7 || (body[0]! & 0x80) !== 0) throw new DerError('INTEGER is not a small non-negative number');
  let value = 0;
  for (const byte of body) value = value * 256 + byte;
  return value;
}

/** The bits of a BIT STRING whose unused-bit count is given by its first content octet. */
export function readBitString(element: DerElement): { readonly bytes: Uint8Array; readonly unusedBits: number } {
  const body = contents(expectTag(element, Tag.BitString, 'BIT STRING'));
  if (body.length === 0 || body[0]! > 7) throw new DerError('malformed BIT STRING');
  return { bytes: body.subarray(1), unusedBits: body[0]! };
}

/** Decodes UTCTime (RFC 5280 §4.1.2.5.1) or GeneralizedTime (§4.1.2.5.2). */
export function readTime(element: DerElement): Date {
  const text = latin1.decode(contents(element));
  let match: RegExpExecArray | null;
  if (element.tag === Tag.UtcTime && (match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(match[1]);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy;
    return utc(year, match);
  }
  if (element.tag === Tag.GeneralizedTime && (match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    return utc(Number(match[1]), match);
  }
  throw new DerError(`malformed time '${text}'`);
}

function utc(year: number, m: RegExpExecArray): Date {
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Decodes the string types found in names and GeneralNames. */
export function readString(element: DerElement): string {
  const body = contents(element);
  switch (element.tag) {
    case Tag.Utf8String:
      return utf8.decode(body);
    case Tag.BmpString: {
      let out = '';
      for (let i = 0; i + 1 < body.length; i += 2) out += String.fromCharCode((body[i]! << 8) | body[i + 1]!);
      return out;
    }
    case Tag.UniversalString: {
      let out = '';
      for (let i = 0; i + 3 < body.length; i += 4) {
        out += String.fromCodePoint(((body[i]! << 24) | (body[i + 1]! << 16) | (body[i + 2]! << 8) | body[i + 3]!) >>> 0);
      }
      return out;
    }
    default:
      return latin1.decode(body);
  }
}

/** Encodes a DER length (X.690 §8.1.3, definite form). */
export function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** Encodes one element from its tag and the already-encoded parts of its contents. */
export function encodeElement(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const header = encodeLength(length);
  const out = new Uint8Array(1 + header.length + length);
  out[0] = tag;
  out.set(header, 1);
  let offset = 1 + header.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Encodes an OBJECT IDENTIFIER from dotted form. */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new DerError(`bad OID '${dotted}'`);
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const body: number[] = [];
  for (const value of values) {
    const septets: number[] = [];
    let v = value;
    do {
      septets.unshift(v % 128);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < septets.length; i++) body.push(i < septets.length - 1 ? septets[i]! | 0x80 : septets[i]!);
  }
  return encodeElement(Tag.Oid, [Uint8Array.from(body)]);
}
