import { defineHook, type DnsQuestion, type DnsResolution, type DnsTransport } from '@hypermesh/runtime';

/** One question on its way through the resolver chain, as `dns.resolve` taps see it. */
export interface DnsResolveRequest {
  /** The question (lower-case name, type). */
  readonly question: DnsQuestion;
  /** The question's wire type code (also for types without a mnemonic). */
  readonly qtype: number;
  /** The client's address; `internal` for in-process callers of the resolver service. */
  readonly client: string;
  readonly transport: DnsTransport;
  /** The client's CD bit (RFC 4035), passed upstream. */
  readonly checkingDisabled: boolean;
  /**
   * `query` for a client's question; `prefetch` when the cache refreshes a popular entry (the
   * cache stage then lets it through to the stages behind it).
   */
  readonly purpose: 'query' | 'prefetch';
  /** Aborted when the client went away or the node stops. */
  readonly signal: AbortSignal | undefined;
  /**
   * An expired answer the cache still holds (RFC 8767). Set by the cache stage; the chain serves
   * it when the later stages fail or are slower than the client response timer.
   */
  stale?: DnsResolution;
}

/**
 * `dns.resolve` — the resolver chain. Kind `first`: taps run in order until one returns a
 * resolution; returning `undefined` passes the question on. The built-in stages are taps:
 * `cache` and `zone` (order `normal`, added first) and `forward` (order `post`). An integrator's
 * `pre` tap runs before the cache; a `normal` tap added by a plugin set up after this one runs
 * between the zone and forwarding; a `post` tap runs only when forwarding declines (no upstreams).
 */
export const dnsResolveHook = defineHook<[request: DnsResolveRequest], DnsResolution | undefined>({
  id: 'dns.resolve',
  kind: 'first',
  description: 'The resolver chain: cache, service-discovery zone, forwarding; the first stage that answers wins',
});

/** An RRset on which upstreams (or the cluster) did not agree. */
export interface DnsDisagreement {
  readonly question: DnsQuestion;
  /** `upstreams` or `cluster`. */
  readonly mode: 'upstreams' | 'cluster';
  /** Each distinct answer and who gave it (upstream ids or a replica's sentence). */
  readonly answers: readonly { readonly rrset: string; readonly from: readonly string[] }[];
  /** What was done: the quorum answer served, or SERVFAIL. */
  readonly outcome: 'quorum' | 'servfail';
  readonly at: number;
}

/** `dns.disagreement` — agreement found different answers for one question. Kind `series`. */
export const dnsDisagreementHook = defineHook<[disagreement: DnsDisagreement]>({
  id: 'dns.disagreement',
  kind: 'series',
  description: 'Upstreams or replicas returned different RRsets for one question',
});
