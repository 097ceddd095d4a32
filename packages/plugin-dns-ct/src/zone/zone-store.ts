import type { DnsRecord, DnsRcode } from '@hypermesh/runtime';
import { isSubdomain } from '../wire/names.js';
import { TypeCode, typeCode } from '../wire/record-types.js';
import { toDnsRecord, type ZoneEntry, type ZoneRecordType } from './zone-records.js';

/** An authoritative answer from the zone. */
export interface ZoneAnswer {
  readonly rcode: DnsRcode;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

/** Settings of the zone apex. */
export interface ZoneApex {
  /** The cluster domain (the zone's apex). */
  readonly domain: string;
  /** TTL of the SOA/NS records and the negative-caching TTL (SOA MINIMUM). */
  readonly defaultTtl: number;
  /** Name servers; default `ns.<domain>`. */
  readonly nameservers: readonly string[];
}

const TLSA_OWNER = /^_(\d{1,5})\._tcp\.(.+)$/;
const ORDER: readonly ZoneRecordType[] = ['A', 'AAAA', 'SRV', 'TXT', 'TLSA'];

/**
 * The service-discovery zone's data and its authoritative lookup: exact names only (no
 * wildcards), SOA and NS synthesised at the apex, NXDOMAIN for names that do not exist and NODATA
 * (NOERROR with the SOA) for names that exist, empty non-terminals included (RFC 2308 §2, RFC 8020).
 */
export class ZoneStore {
  /** Incremented by every change; the SOA serial. */
  serial = 1;
  private readonly rrsets = new Map<string, Map<ZoneRecordType, ZoneEntry[]>>();
  /** Names strictly between a record's owner and the apex → how many owners lie below them. */
  private readonly below = new Map<string, number>();
  /** Names bound to a certificate → the ports their TLSA records name (empty: the default port). */
  private readonly bound = new Map<string, Set<number>>();
  /** Bound name → the `_port._tcp.<name>` owners that hold TLSA records. */
  private readonly tlsaOwners = new Map<string, Set<string>>();

  /** Called when the zone gains its first name bound to a certificate, or loses its last. */
  onBindingsChange: ((hasBindings: boolean) => void) | undefined;

  constructor(readonly apex: ZoneApex) {}

  /** Adds or replaces RRsets: the entries of one name and type replace that RRset. */
  upsert(entries: readonly ZoneEntry[]): void {
    const groups = new Map<string, ZoneEntry[]>();
    for (const e of entries) {
      const key = `${e.name}\u0000${e.type}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [e]);
      else if (!group.some((g) => JSON.stringify(g.data) === JSON.stringify(e.data))) group.push(e);
    }
    for (const group of groups.values()) {
      const { name, type } = group[0]!;
      let types = this.rrsets.get(name);
      if (types === undefined) {
        types = new Map();
        this.rrsets.set(name, types);
        this.countAncestors(name, 1);
      }
      types.set(type, group);
      this.rebind(name);
    }
    this.serial++;
  }

  /** Removes the RRsets of a name, or only the one of `type`. */
  remove(name: string, type?: ZoneRecordType): void {
    const types = this.rrsets.get(name);
    if (types !== undefined) {
      if (type === undefined) types.clear();
      else types.delete(type);
      if (types.size === 0) {
        this.rrsets.delete(name);
        this.countAncestors(name, -1);
      }
      this.rebind(name);
    }
    this.serial++;
  }

  /** Every entry, sorted by name, type and data (a deterministic order for snapshots). */
  entries(): ZoneEntry[] {
    const out: ZoneEntry[] = [];
    for (const name of [...this.rrsets.keys()].sort()) {
      const types = this.rrsets.get(name)!;
      for (const type of ORDER) out.push(...(types.get(type) ?? []).slice().sort((a, b) => (JSON.stringify(a.data) < JSON.stringify(b.data) ? -1 : 1)));
    }
    return out;
  }

  /** Replaces the whole content (state transfer). */
  replace(entries: readonly ZoneEntry[], serial: number): void {
    this.rrsets.clear();
    this.below.clear();
    const before = this.bound.size > 0;
    this.bound.clear();
    this.tlsaOwners.clear();
    if (before) this.onBindingsChange?.(false);
    this.upsert(entries);
    this.serial = serial;
  }

  /**
   * The ports a bound name's certificate is checked on (from `_port._tcp` TLSA records), an empty
   * set for the default port, or undefined when the name is not bound to a certificate.
   */
  binding(name: string): ReadonlySet<number> | undefined {
    return this.bound.get(name);
  }

  /** True when the zone has names bound to certificates. */
  hasBindings(): boolean {
    return this.bound.size > 0;
  }

  /** The SOA record of the zone. */
  soa(): DnsRecord {
    const { domain, defaultTtl } = this.apex;
    return {
      name: domain,
      type: 'SOA',
      ttl: defaultTtl,
      data: { mname: this.nameservers()[0]!, rname: `hostmaster.${domain}`, serial: this.serial >>> 0, refresh: 3600, retry: 600, expire: 86_400, minimum: defaultTtl },
    };
  }

  private nameservers(): readonly string[] {
    return this.apex.nameservers.length > 0 ? this.apex.nameservers : [`ns.${this.apex.domain}`];
  }

  /** The authoritative answer for `name`/`qtype`, or undefined when the name is outside the zone. */
  lookup(name: string, qtype: number): ZoneAnswer | undefined {
    const { domain } = this.apex;
    if (!isSubdomain(name, domain)) return undefined;
    const types = this.rrsets.get(name);
    const answers: DnsRecord[] = [];
    if (name === domain && (qtype === TypeCode.SOA || qtype === TypeCode.ANY)) answers.push(this.soa());
    else if (name === domain && qtype === TypeCode.NS) {
      for (const ns of this.nameservers()) answers.push({ name: domain, type: 'NS', ttl: this.apex.defaultTtl, data: ns });
    } else if (types !== undefined) {
      // RFC 8482: ANY is answered with one RRset, the first present in a fixed order
      const type = qtype === TypeCode.ANY ? ORDER.find((t) => types.has(t)) : ORDER.find((t) => typeCode(t) === qtype);
      for (const e of (type === undefined ? undefined : types.get(type)) ?? []) answers.push(toDnsRecord(e));
    }
    if (answers.length > 0) return { rcode: 'NOERROR', answers, authorities: [], additionals: this.additionalsFor(answers) };
    const exists = name === domain || types !== undefined || (this.below.get(name) ?? 0) > 0;
    const soa = this.soa();
    return { rcode: exists ? 'NOERROR' : 'NXDOMAIN', answers: [], authorities: [soa], additionals: [] };
  }

  private additionalsFor(answers: readonly DnsRecord[]): DnsRecord[] {
    const out: DnsRecord[] = [];
    for (const r of answers) {
      const target = r.type === 'SRV' ? (r.data as { target: string }).target : r.type === 'NS' ? (r.data as string) : undefined;
      if (target === undefined) continue;
      for (const t of ['A', 'AAAA'] as const) for (const e of this.rrsets.get(target)?.get(t) ?? []) out.push(toDnsRecord(e));
    }
    return out;
  }

  private countAncestors(name: string, delta: number): void {
    const { domain } = this.apex;
    for (let n = parentOf(name); n !== undefined && n.length > domain.length; n = parentOf(n)) {
      const count = (this.below.get(n) ?? 0) + delta;
      if (count <= 0) this.below.delete(n);
      else this.below.set(n, count);
    }
  }

  /** Recomputes the binding of `name`, or of the name a `_port._tcp.` TLSA owner points at. */
  private rebind(name: string): void {
    const m = TLSA_OWNER.exec(name);
    if (m === null) {
      this.bindTarget(name);
      return;
    }
    const target = m[2]!;
    const owners = this.tlsaOwners.get(target) ?? new Set<string>();
    if (this.rrsets.get(name)?.has('TLSA')) owners.add(name);
    else owners.delete(name);
    if (owners.size > 0) this.tlsaOwners.set(target, owners);
    else this.tlsaOwners.delete(target);
    this.bindTarget(target);
  }

  private bindTarget(target: string): void {
    const ports = new Set<number>();
    for (const owner of this.tlsaOwners.get(target) ?? []) ports.add(Number(TLSA_OWNER.exec(owner)![1]));
    let flagged = false;
    for (const rrset of this.rrsets.get(target)?.values() ?? []) if (rrset.some((e) => e.tls)) flagged = true;
    const before = this.bound.size > 0;
    if (flagged || ports.size > 0) this.bound.set(target, ports);
    else this.bound.delete(target);
    if (before !== this.bound.size > 0) this.onBindingsChange?.(this.bound.size > 0);
  }
}

function parentOf(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot < 0 ? undefined : name.slice(dot + 1);
}
