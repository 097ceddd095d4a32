import { createServiceRef } from '../services/service-ref.js';
import type { CertificateVerdict } from './certificates.js';

/** DNS record types HyperMesh understands by name; others appear as `TYPE<n>` (RFC 3597). */
export type DnsRecordType =
  | 'A'
  | 'AAAA'
  | 'CNAME'
  | 'NS'
  | 'SOA'
  | 'PTR'
  | 'MX'
  | 'TXT'
  | 'SRV'
  | 'CAA'
  | 'TLSA'
  | 'HTTPS'
  | 'SVCB'
  | 'NULL'
  | 'ANY'
  | `TYPE${number}`;

/** A DNS response code (RFC 1035, RFC 6895). */
export type DnsRcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

/** A question: a name (lower-case, no trailing dot) and a type. Class is always IN. */
export interface DnsQuestion {
  /** The queried name, e.g. `echo.svc.hypermesh.local`. */
  readonly name: string;
  /** The queried type. */
  readonly type: DnsRecordType;
}

/** SRV data (RFC 2782). */
export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

/** SOA data (RFC 1035 §3.3.13). */
export interface SoaData {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

/** MX data. */
export interface MxData {
  readonly preference: number;
  readonly exchange: string;
}

/** TLSA data (RFC 6698). */
export interface TlsaData {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  readonly certificate: Uint8Array;
}

/**
 * A resource record. `data` depends on the type: an address string for A/AAAA, a name for
 * CNAME/NS/PTR, strings for TXT, structured data for SRV/SOA/MX/TLSA, raw RDATA bytes otherwise.
 */
export type DnsRecord =
  | { readonly name: string; readonly type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR'; readonly ttl: number; readonly data: string }
  | { readonly name: string; readonly type: 'TXT'; readonly ttl: number; readonly data: readonly string[] }
  | { readonly name: string; readonly type: 'SRV'; readonly ttl: number; readonly data: SrvData }
  | { readonly name: string; readonly type: 'SOA'; readonly ttl: number; readonly data: SoaData }
  | { readonly name: string; readonly type: 'MX'; readonly ttl: number; readonly data: MxData }
  | { readonly name: string; readonly type: 'TLSA'; readonly ttl: number; readonly data: TlsaData }
  | { readonly name: string; readonly type: DnsRecordType; readonly ttl: number; readonly data: Uint8Array };

/** An Extended DNS Error (RFC 8914). */
export interface ExtendedDnsError {
  /** The INFO-CODE, e.g. 22 (No Reachable Authority) or 6 (DNSSEC Bogus). */
  readonly infoCode: number;
  /** EXTRA-TEXT for humans. */
  readonly extraText?: string;
}

/** Where an answer came from. */
export type DnsAnswerSource = 'cache' | 'stale-cache' | 'zone' | 'upstream' | 'cluster' | 'datapath' | 'policy';

/** The outcome of resolving one question. */
export interface DnsResolution {
  readonly question: DnsQuestion;
  readonly rcode: DnsRcode;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
  /** True for answers from this cluster's own zone. */
  readonly authoritative: boolean;
  readonly source: DnsAnswerSource;
  /** Extended errors to attach (SERVFAIL reasons, stale answers, filtering). */
  readonly extendedErrors: readonly ExtendedDnsError[];
  /** The certificate verdict for names bound to certificates. */
  readonly certificate?: CertificateVerdict;
}

/** A record to publish in the cluster's service-discovery zone. */
export interface ZoneRecordInput {
  /** A name inside the cluster domain, absolute (`echo.svc.hypermesh.local`) or relative (`echo.svc`). */
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'SRV' | 'TXT' | 'TLSA';
  readonly ttl?: number;
  readonly data: string | readonly string[] | SrvData | TlsaData;
  /** Marks the name as bound to a certificate: answers pass only if its certificate verifies. */
  readonly tls?: boolean;
}

/** Resolver counters. */
export interface ResolverStats {
  readonly queries: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheEntries: number;
  /** cacheHits / (cacheHits + cacheMisses), 0 before any lookup. */
  readonly hitRate: number;
}

/**
 * DNS resolution as the cluster sees it: the resolver chain (policy, cache, service-discovery
 * zone, forwarding with agreement), available to other plugins without going through a socket.
 *
 * Errors: `resolve` never rejects for DNS failures — they are rcodes with extended errors; it
 * rejects only for a malformed question (`E_DNS_QUESTION`) or an aborted signal.
 */
export interface ResolverService {
  /** Resolves one question through the chain. */
  resolve(question: DnsQuestion, options?: { client?: string; signal?: AbortSignal }): Promise<DnsResolution>;
  /** The service-discovery zone, replicated through consensus when it is present. */
  readonly zone: {
    /** The cluster domain, e.g. `hypermesh.local`. */
    readonly domain: string;
    /**
     * Adds or replaces records (same name and type replace). With consensus it resolves once the
     * change committed on the cluster (`dns.records`); it rejects with `E_DNS_ZONE_RECORD` for a bad
     * record and `E_DNS_ZONE_COMMIT` when the change did not commit.
     */
    upsert(records: readonly ZoneRecordInput[]): Promise<void>;
    /** Removes the records of a name, or only those of one type. With consensus, resolves once the removal committed. */
    remove(name: string, type?: ZoneRecordInput['type']): Promise<void>;
    /** Every record published in the zone (the SOA and NS records of the apex are synthesised, not listed). */
    list(): readonly DnsRecord[];
  };
  /** Counters since start. */
  stats(): ResolverStats;
}

/** The `resolver` service. */
export const resolverRef = createServiceRef<ResolverService>({
  id: 'resolver',
  version: '1.0.0',
  description: 'DNS resolution through the resolver chain and the service-discovery zone',
});

/** How a DNS query arrived. */
export type DnsTransport = 'udp' | 'tcp' | 'dot' | 'doh' | 'internal';

/** A query as seen by `dns.query` taps (built only when the hook has taps). */
export interface DnsQueryEvent {
  /** The client's address (IPv4 or IPv6 text). */
  readonly client: string;
  /** The client's port, 0 when unknown. */
  readonly clientPort: number;
  readonly transport: DnsTransport;
  /** The DNS message id. */
  readonly id: number;
  /** The question. */
  readonly question: DnsQuestion;
  /** Size of the query message in bytes. */
  readonly size: number;
  /** When it was received (ms, from the clock service). */
  readonly receivedAt: number;
}

/** What a `dns.query` tap may decide. `undefined` lets the query through. */
export interface DnsQueryVerdict {
  /** `refuse`: answer REFUSED; `drop`: send nothing; `truncate`: answer with TC (forces TCP). */
  readonly action: 'refuse' | 'drop' | 'truncate';
  /** Why, for logs and Extended DNS Error text. */
  readonly reason: string;
}

/** An answer on its way to the client, as seen (and possibly changed) by `dns.answer` taps. */
export interface DnsAnswerEvent {
  readonly query: DnsQueryEvent;
  readonly resolution: DnsResolution;
}
