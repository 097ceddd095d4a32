/**
 * The datapath's DNS answers in userspace: validated entries with expiries. In kernel mode each
 * entry is also written to the XDP program's cache map; in userspace mode a DNS server answers
 * from `get`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { ClockService, DatapathDnsEntry } from '@hypermesh/runtime';
import { EbpfError, EbpfErrorCode } from '../errors.js';
import { encodeDnsName } from '../programs/dns-wire.js';
import { DNS_MAX_ANSWERS } from '../programs/layouts.js';
import { parseAddress } from './address.js';

/** A validated cache entry. */
export interface CachedAnswer {
  readonly entry: DatapathDnsEntry;
  /** The name in lower-case wire format. */
  readonly wire: Buffer;
  /** The addresses as rdata: 4 bytes (A) or 16 (AAAA) each. */
  readonly rdata: Uint8Array[];
  /** Clock ms when it expires. */
  readonly expiresAt: number;
}

const MAX_TTL = 0x7fffffff; // RFC 2181 §8

/** Validates an entry; throws `E_DATAPATH_ARGUMENT` naming what is wrong. */
export function validateDnsEntry(entry: DatapathDnsEntry, now: number): CachedAnswer {
  const where = `dnsCache.put('${entry.name}' ${entry.type})`;
  const fail = (why: string) => new EbpfError(EbpfErrorCode.DatapathArgument, `${where}: ${why}`);
  if (entry.type !== 'A' && entry.type !== 'AAAA') throw fail(`type must be A or AAAA, not '${String(entry.type)}'`);
  if (!Number.isInteger(entry.ttl) || entry.ttl < 0 || entry.ttl > MAX_TTL) throw fail(`ttl must be an integer number of seconds from 0 to ${MAX_TTL}`);
  if (entry.addresses.length < 1 || entry.addresses.length > DNS_MAX_ANSWERS) throw fail(`give 1 to ${DNS_MAX_ANSWERS} addresses, not ${entry.addresses.length}`);
  const name = entry.name.toLowerCase().replace(/\.$/, '');
  const wire = encodeDnsName(name);
  const rdata = entry.addresses.map((a) => {
    if (entry.type === 'A' ? !isIPv4(a) : !isIPv6(a)) throw fail(`'${a}' is not an ${entry.type === 'A' ? 'IPv4' : 'IPv6'} address`);
    const bytes = parseAddress(a);
    return entry.type === 'A' ? bytes.subarray(12) : bytes;
  });
  return { entry: { ...entry, name }, wire, rdata, expiresAt: now + entry.ttl * 1000 };
}

/** Cached answers by name and type, with expiry. */
export class DnsAnswerCache {
  readonly #entries = new Map<string, CachedAnswer>();
  readonly #clock: ClockService;
  readonly #maxEntries: number;

  constructor(clock: ClockService, maxEntries: number) {
    this.#clock = clock;
    this.#maxEntries = maxEntries;
  }

  /** Stores an entry (the oldest goes when full); returns it validated. */
  put(entry: DatapathDnsEntry): CachedAnswer {
    const answer = validateDnsEntry(entry, this.#clock.now());
    const key = `${answer.entry.name}/${entry.type}`;
    this.#entries.delete(key);
    this.#entries.set(key, answer);
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    return answer;
  }

  /** The entry with its remaining TTL, or `undefined` when absent or expired. */
  get(name: string, type: 'A' | 'AAAA'): DatapathDnsEntry | undefined {
    const answer = this.#entries.get(`${name.toLowerCase().replace(/\.$/, '')}/${type}`);
    const now = this.#clock.now();
    if (!answer || answer.expiresAt <= now) return undefined;
    return { ...answer.entry, ttl: Math.floor((answer.expiresAt - now) / 1000) };
  }

  /** Removes an entry; returns it when it was there. */
  delete(name: string, type: 'A' | 'AAAA'): CachedAnswer | undefined {
    const key = `${name.toLowerCase().replace(/\.$/, '')}/${type}`;
    const answer = this.#entries.get(key);
    this.#entries.delete(key);
    return answer;
  }

  /** Removes everything. */
  clear(): void {
    this.#entries.clear();
  }

  /** Entries held (expired ones count until swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** Removes expired entries and returns them. */
  sweep(): CachedAnswer[] {
    const now = this.#clock.now();
    const expired: CachedAnswer[] = [];
    for (const [key, answer] of this.#entries) {
      if (answer.expiresAt <= now) {
        this.#entries.delete(key);
        expired.push(answer);
      }
    }
    return expired;
  }
}
