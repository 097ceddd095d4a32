/**
 * Addresses as the programs see them: 16 bytes, IPv4 mapped into IPv6 (::ffff:a.b.c.d, RFC 4291
 * §2.5.5.2), so one map key type serves both families and an IPv4 /24 is a /120.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { EbpfError, EbpfErrorCode } from '../errors.js';

/** A parsed CIDR prefix over mapped addresses. */
export interface Prefix {
  /** The network address, host bits zeroed. */
  readonly address: Uint8Array;
  /** Prefix length in bits over the 16-byte form (IPv4 /24 → 120). */
  readonly length: number;
  /** The prefix as given, normalised (`10.0.0.0/24`). */
  readonly text: string;
}

function argumentError(message: string): EbpfError {
  return new EbpfError(EbpfErrorCode.DatapathArgument, message);
}

/** Parses an IPv4 or IPv6 address into 16 bytes; throws `E_DATAPATH_ARGUMENT` otherwise. */
export function parseAddress(address: string): Uint8Array {
  const out = new Uint8Array(16);
  if (isIPv4(address)) {
    out[10] = 0xff;
    out[11] = 0xff;
    address.split('.').forEach((part, i) => (out[12 + i] = Number(part)));
    return out;
  }
  if (!isIPv6(address)) throw argumentError(`'${address}' is not an IPv4 or IPv6 address`);
  let text = address.split('%')[0] ?? address;
  const v4Tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (v4Tail) {
    const [a = 0, b = 0, c = 0, d = 0] = v4Tail.split('.').map(Number);
    text = `${text.slice(0, -v4Tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** True for the IPv4-mapped form. */
export function isMappedIPv4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Formats 16 bytes as dotted IPv4 (when mapped) or RFC 5952 IPv6. */
export function formatAddress(bytes: Uint8Array): string {
  if (isMappedIPv4(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // the longest run of two or more zero groups becomes '::' (RFC 5952 §4.2)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** A compact string key of 16 address bytes, for Maps. */
export function addressKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Parses a CIDR prefix (`10.0.0.0/24`, `2001:db8::/32`, or a bare address for a single host);
 * throws `E_DATAPATH_ARGUMENT` for a malformed one.
 */
export function parsePrefix(prefix: string): Prefix {
  const [addr = '', len, extra] = prefix.split('/');
  if (extra !== undefined) throw argumentError(`'${prefix}' is not a CIDR prefix`);
  const bytes = parseAddress(addr);
  const v4 = isIPv4(addr);
  const max = v4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (len !== undefined && !/^\d+$/.test(len))) {
    throw argumentError(`'${prefix}' has an invalid prefix length: use 0 to ${max}`);
  }
  const length = v4 ? bits + 96 : bits;
  const network = maskAddress(bytes, length);
  return { address: network, length, text: `${formatAddress(network)}/${bits}` };
}

/** Zeroes the bits of `bytes` after the first `length`. */
export function maskAddress(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, length - i * 8));
    out[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}
