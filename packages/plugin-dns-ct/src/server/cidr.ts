import { writeIpv4, writeIpv6 } from '../wire/addresses.js';

/** An address prefix: family, network octets and length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** Strips the IPv4-mapped prefix (`::ffff:192.0.2.1` → `192.0.2.1`) of dual-stack sockets. */
export function clientAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The octets of an address, or undefined when it is not one. */
export function addressBytes(address: string): Uint8Array | undefined {
  const v4 = new Uint8Array(4);
  if (writeIpv4(address, v4, 0)) return v4;
  const v6 = new Uint8Array(16);
  if (writeIpv6(address, v6, 0)) return v6;
  return undefined;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a plain address (a full-length prefix). */
export function parseCidr(text: string): Cidr | undefined {
  const [address, bits] = text.split('/');
  const bytes = addressBytes(address ?? '');
  if (bytes === undefined) return undefined;
  const max = bytes.length * 8;
  const length = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(length) || length < 0 || length > max) return undefined;
  return { family: bytes.length === 4 ? 4 : 6, bytes, length };
}

/** True when `address` (its octets) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: Uint8Array): boolean {
  if (address.length !== cidr.bytes.length) return false;
  let bits = cidr.length;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i]! & mask) !== (cidr.bytes[i]! & mask)) return false;
  }
  return true;
}

/** Allows clients inside any of the prefixes; an empty list allows everyone. */
export class ClientAcl {
  private readonly prefixes: Cidr[];

  constructor(prefixes: readonly string[]) {
    this.prefixes = prefixes.map((p) => {
      const cidr = parseCidr(p);
      if (cidr === undefined) throw new Error(`'${p}' is not an address or CIDR prefix`);
      return cidr;
    });
  }

  /** True when the list is empty (everyone is allowed). */
  get open(): boolean {
    return this.prefixes.length === 0;
  }

  /** True when `address` may query. */
  allows(address: string): boolean {
    if (this.prefixes.length === 0) return true;
    const bytes = addressBytes(address);
    return bytes !== undefined && this.prefixes.some((p) => cidrContains(p, bytes));
  }
}

/** The client's prefix as text (`192.0.2.0/24`), the key rate limits count by. */
export function prefixKey(address: string, v4Length: number, v6Length: number): string {
  const bytes = addressBytes(address);
  if (bytes === undefined) return address;
  const length = bytes.length === 4 ? v4Length : v6Length;
  let bits = length;
  for (let i = 0; i < bytes.length; i++, bits -= 8) {
    if (bits >= 8) continue;
    bytes[i] = bits <= 0 ? 0 : bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return `${bytes.length === 4 ? [...bytes].join('.') : Buffer.from(bytes).toString('hex')}/${length}`;
}
