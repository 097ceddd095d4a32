import type { DnsRecord, SrvData, TlsaData, ZoneRecordInput } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import { canonicalAddress } from '../wire/addresses.js';
import { isSubdomain, normalizeName } from '../wire/names.js';

/** The record types the service-discovery zone holds. */
export type ZoneRecordType = ZoneRecordInput['type'];

/**
 * A zone record as it is replicated: plain JSON, absolute lower-case names, canonical addresses,
 * TLSA data as hex — so equal zones give equal snapshots on every replica.
 */
export type ZoneEntry =
  | { readonly name: string; readonly type: 'A' | 'AAAA'; readonly ttl: number; readonly data: string; readonly tls: boolean }
  | { readonly name: string; readonly type: 'TXT'; readonly ttl: number; readonly data: readonly string[]; readonly tls: boolean }
  | { readonly name: string; readonly type: 'SRV'; readonly ttl: number; readonly data: SrvData; readonly tls: boolean }
  | {
      readonly name: string;
      readonly type: 'TLSA';
      readonly ttl: number;
      readonly data: { readonly usage: number; readonly selector: number; readonly matchingType: number; readonly certificate: string };
      readonly tls: boolean;
    };

function invalid(input: unknown, problem: string): DnsCtError {
  return new DnsCtError(DnsCtErrorCode.ZoneRecord, `zone record ${JSON.stringify(input, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))} ${problem}`);
}

/** Resolves a record name against the cluster domain: absolute names must lie inside it. */
export function absoluteName(name: string, domain: string): string | undefined {
  if (name === '@') return domain;
  const normal = normalizeName(name);
  if (normal === undefined) return undefined;
  if (isSubdomain(normal, domain)) return normal;
  if (name.trim().endsWith('.')) return undefined; // absolute, but outside the domain
  const joined = normal.length === 0 ? domain : `${normal}.${domain}`;
  return normalizeName(joined);
}

const uint = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/**
 * Validates a record from the API, config or a zone file and brings it to replicated form.
 * Throws `E_DNS_ZONE_RECORD` with the reason.
 */
export function toZoneEntry(input: ZoneRecordInput, domain: string, defaultTtl: number): ZoneEntry {
  const name = typeof input?.name === 'string' ? absoluteName(input.name, domain) : undefined;
  if (name === undefined) throw invalid(input, `has a name that is not a valid name inside the cluster domain '${domain}'`);
  const ttl = input.ttl ?? defaultTtl;
  if (!uint(ttl, 0x7fffffff)) throw invalid(input, 'has a TTL that is not a whole number of seconds between 0 and 2^31-1');
  const tls = input.tls === true;
  const data = input.data as unknown;
  switch (input.type) {
    case 'A':
    case 'AAAA': {
      const address = typeof data === 'string' ? canonicalAddress(data) : undefined;
      if (address === undefined || address.family !== (input.type === 'A' ? 4 : 6)) {
        throw invalid(input, `needs an IPv${input.type === 'A' ? 4 : 6} address as data`);
      }
      return { name, type: input.type, ttl, data: address.text, tls };
    }
    case 'TXT': {
      const strings = typeof data === 'string' ? [data] : data;
      if (!Array.isArray(strings) || !strings.every((s) => typeof s === 'string')) throw invalid(input, 'needs a string or an array of strings as data');
      return { name, type: 'TXT', ttl, data: [...(strings as string[])], tls };
    }
    case 'SRV': {
      const srv = data as SrvData;
      const target = typeof srv?.target === 'string' ? (absoluteName(srv.target, domain) ?? normalizeName(srv.target)) : undefined;
      if (!uint(srv?.priority, 0xffff) || !uint(srv.weight, 0xffff) || !uint(srv.port, 0xffff) || target === undefined) {
        throw invalid(input, 'needs { priority, weight, port, target } with 16-bit numbers and a valid target name');
      }
      return { name, type: 'SRV', ttl, data: { priority: srv.priority, weight: srv.weight, port: srv.port, target }, tls };
    }
    case 'TLSA': {
      const tlsa = data as TlsaData | { usage: number; selector: number; matchingType: number; certificate: string };
      const cert = tlsa?.certificate;
      const hex = cert instanceof Uint8Array ? Buffer.from(cert).toString('hex') : typeof cert === 'string' && /^([0-9a-fA-F]{2})+$/.test(cert) ? cert.toLowerCase() : undefined;
      if (!uint(tlsa?.usage, 255) || !uint(tlsa.selector, 255) || !uint(tlsa.matchingType, 255) || hex === undefined) {
        throw invalid(input, 'needs { usage, selector, matchingType, certificate } with octets and the certificate data as bytes or hex');
      }
      return { name, type: 'TLSA', ttl, data: { usage: tlsa.usage, selector: tlsa.selector, matchingType: tlsa.matchingType, certificate: hex }, tls };
    }
    default:
      throw invalid(input, `has type '${String((input as { type?: unknown })?.type)}'; the zone holds A, AAAA, SRV, TXT and TLSA records`);
  }
}

/** The DNS record of a zone entry. */
export function toDnsRecord(entry: ZoneEntry): DnsRecord {
  if (entry.type === 'TLSA') {
    const { usage, selector, matchingType, certificate } = entry.data;
    return { name: entry.name, type: 'TLSA', ttl: entry.ttl, data: { usage, selector, matchingType, certificate: Buffer.from(certificate, 'hex') } };
  }
  return { name: entry.name, type: entry.type, ttl: entry.ttl, data: entry.data } as DnsRecord;
}
