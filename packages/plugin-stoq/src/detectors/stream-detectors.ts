import type { ThreatKind, ThreatReason } from '@hypermesh/runtime';
import type { StoqConfig } from '../config.js';
import { ClientCounter, DomainCounter, type ClientState, type DomainState } from '../engine/subject-state.js';

type Thresholds = StoqConfig['detectors'];

/** A stream detector over one kind of subject: a cheap ratio per event, reasons only when it fires. */
export interface StreamDetector<S> {
  /** The threat kind it reports. */
  readonly kind: ThreatKind;
  /** Config key of its policy. */
  readonly policy: 'tunnel' | 'water_torture' | 'amplification' | 'query_flood' | 'dga';
  /** How far past its threshold the subject is (1 = reached). */
  ratio(state: S, at: number, t: Thresholds): number;
  /** Why, for the threat event. */
  reasons(state: S, at: number, t: Thresholds): ThreatReason[];
}

const reason = (feature: string, value: number, threshold: number, explanation: string): ThreatReason => ({
  feature,
  value: Math.round(value * 1000) / 1000,
  threshold,
  weight: Math.min(1, Math.max(0, value / Math.max(threshold, 1e-9))),
  explanation,
});

const normaliseWeights = (reasons: ThreatReason[]): ThreatReason[] => {
  const total = reasons.reduce((a, r) => a + r.weight, 0);
  return reasons
    .map((r) => ({ ...r, weight: total > 0 ? Math.round((r.weight / total) * 1000) / 1000 : 0 }))
    .sort((a, b) => b.weight - a.weight);
};

/**
 * DNS tunnelling under one domain: names the classifier labels `tunnel`; many distinct subdomains
 * carrying many bits each; or TXT/NULL volume across distinct subdomains that carry at least half
 * as many (tunnels use those types for downstream data). Volume alone — a mail server's TXT
 * lookups, a CDN's shards — is not enough: the names must carry data.
 */
export const tunnelDetector: StreamDetector<DomainState> = {
  kind: 'tunnel',
  policy: 'tunnel',
  ratio(d, at, t) {
    const c = d.counters;
    const queries = Math.max(1, c.total(DomainCounter.Queries));
    const subdomains = d.subdomains.count();
    const byNames = c.sliding(DomainCounter.TunnelNames, at) / t.tunnel_names;
    const meanBits = c.total(DomainCounter.PayloadBits) / queries;
    // many distinct subdomains alone are a CDN's shards; they must also carry data (steeply gated)
    const bySubdomains = Math.min(2, subdomains / t.tunnel_subdomains) * Math.min(1, meanBits / t.tunnel_bits) ** 3;
    // TXT/NULL carry a tunnel's downstream; with half the bits per name, since their volume is evidence too
    const byTxt =
      subdomains >= t.tunnel_subdomains / 4 ? Math.min(2, c.sliding(DomainCounter.TxtNull, at) / t.tunnel_txt_null) * Math.min(1, (2 * meanBits) / t.tunnel_bits) ** 3 : 0;
    // Mostly NXDOMAIN from many clients is a random-subdomain flood, not a tunnel (whose server
    // answers, or — exfiltrating through NXDOMAIN lookups — is reached by one or a few clients).
    const answered = c.total(DomainCounter.Answered);
    const nxShare = answered >= 10 ? c.total(DomainCounter.NxDomain) / answered : 0;
    if (nxShare >= t.water_torture_nxdomain_share && d.clients.count() >= 10) return 0;
    return Math.max(byNames, bySubdomains, byTxt);
  },
  reasons(d, at, t) {
    const c = d.counters;
    const queries = Math.max(1, c.total(DomainCounter.Queries));
    return normaliseWeights([
      reason('tunnel_names', c.sliding(DomainCounter.TunnelNames, at), t.tunnel_names, `names under ${d.domain} that look like encoded data, in the window`),
      reason('distinct_subdomains', d.subdomains.count(), t.tunnel_subdomains, `distinct subdomains of ${d.domain} in the window`),
      reason('payload_bits', c.total(DomainCounter.PayloadBits) / queries, t.tunnel_bits, 'mean information (bits) in the subdomain labels'),
      reason('txt_null_queries', c.sliding(DomainCounter.TxtNull, at), t.tunnel_txt_null, 'TXT/NULL queries in the window'),
    ]);
  },
};

/** Random-subdomain ("water torture") flood: many distinct names under one domain, mostly NXDOMAIN. */
export const waterTortureDetector: StreamDetector<DomainState> = {
  kind: 'water-torture',
  policy: 'water_torture',
  ratio(d, _at, t) {
    const c = d.counters;
    const answered = c.total(DomainCounter.Answered);
    if (answered < 10) return 0;
    const nxShare = c.total(DomainCounter.NxDomain) / answered;
    return (d.subdomains.count() / t.water_torture_subdomains) * Math.min(1, nxShare / t.water_torture_nxdomain_share);
  },
  reasons(d, _at, t) {
    const c = d.counters;
    const nxShare = c.total(DomainCounter.NxDomain) / Math.max(1, c.total(DomainCounter.Answered));
    return normaliseWeights([
      reason('distinct_subdomains', d.subdomains.count(), t.water_torture_subdomains, `distinct subdomains of ${d.domain} queried in the window`),
      reason('nxdomain_share', nxShare, t.water_torture_nxdomain_share, 'share of its answers that were NXDOMAIN'),
      reason('clients', d.clients.count(), 1, 'distinct clients asking'),
    ]);
  },
};

/** A client sending far more queries than allowed, or than it normally does. */
export const queryFloodDetector: StreamDetector<ClientState> = {
  kind: 'query-flood',
  policy: 'query_flood',
  ratio(c, at, t) {
    return c.rate.rate(at) / Math.max(t.flood_qps, t.flood_factor * c.baseline.rate(at));
  },
  reasons(c, at, t) {
    const limit = Math.max(t.flood_qps, t.flood_factor * c.baseline.rate(at));
    return normaliseWeights([
      reason('query_rate', c.rate.rate(at), limit, `queries per second from ${c.address} (limit: ${t.flood_qps} q/s or ${t.flood_factor}× its usual ${c.baseline.rate(at).toFixed(2)} q/s)`),
    ]);
  },
};

/** Amplification attempts: ANY queries, or many large responses far bigger than the queries. */
export const amplificationDetector: StreamDetector<ClientState> = {
  kind: 'amplification',
  policy: 'amplification',
  ratio(c, at, t) {
    const k = c.counters;
    const byAny = k.sliding(ClientCounter.AnyQueries, at) / t.amplification_any;
    const factor = k.total(ClientCounter.ResponseBytes) / Math.max(1, k.total(ClientCounter.QueryBytes));
    const byLarge = factor >= 10 ? k.sliding(ClientCounter.LargeResponses, at) / t.amplification_large : 0;
    return Math.max(byAny, byLarge);
  },
  reasons(c, at, t) {
    const k = c.counters;
    const factor = k.total(ClientCounter.ResponseBytes) / Math.max(1, k.total(ClientCounter.QueryBytes));
    return normaliseWeights([
      reason('any_queries', k.sliding(ClientCounter.AnyQueries, at), t.amplification_any, `ANY queries from ${c.address} in the window`),
      reason('large_responses', k.sliding(ClientCounter.LargeResponses, at), t.amplification_large, `responses over ${t.large_response} bytes sent to ${c.address}`),
      reason('amplification_factor', factor, 10, 'response bytes per query byte'),
    ]);
  },
};

/** A client resolving many distinct DGA-looking names: the mark of an infected host looking for its C2. */
export const dgaClientDetector: StreamDetector<ClientState> = {
  kind: 'dga',
  policy: 'dga',
  ratio(c, _at, t) {
    return c.dgaNames.count() / t.dga_names;
  },
  reasons(c, _at, t) {
    const k = c.counters;
    const answered = Math.max(1, k.total(ClientCounter.Answered));
    return normaliseWeights([
      reason('dga_names', c.dgaNames.count(), t.dga_names, `distinct DGA-looking names queried by ${c.address} in the last one to two windows`),
      reason('nxdomain_share', k.total(ClientCounter.NxDomain) / answered, 0.5, 'share of its answers that were NXDOMAIN'),
    ]);
  },
};

/** The detectors run for domains. */
export const DOMAIN_DETECTORS: readonly StreamDetector<DomainState>[] = [tunnelDetector, waterTortureDetector];
/** The detectors run for clients. */
export const CLIENT_DETECTORS: readonly StreamDetector<ClientState>[] = [queryFloodDetector, amplificationDetector, dgaClientDetector];
