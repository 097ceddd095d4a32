/**
 * Every metric `@hypermesh/plugin-dns-ct` exports. The packet path only bumps plain numbers in
 * {@link DnsCounters}; the metrics read them when they are scraped, so a query costs no label
 * lookups.
 */
import type { PluginMetrics, ScrapedValue } from '@hypermesh/runtime';
import type { DnsCacheStats } from './cache/dns-cache.js';
import type { Upstream } from './forward/upstream.js';

/** Counters bumped on the packet path (plain numbers; read at scrape time). */
export interface DnsCounters {
  /** Queries received, by transport. */
  queries: Record<'udp' | 'tcp' | 'dot' | 'doh' | 'internal', number>;
  /** Responses sent, by RCODE name. */
  responses: Record<string, number>;
  /** Malformed messages, by how they were answered (drop, FORMERR, NOTIMP, BADVERS). */
  malformed: Record<string, number>;
  /** Queries answered with nothing, by reason. */
  dropped: Record<string, number>;
  /** UDP responses sent with TC because they did not fit. */
  truncated: number;
  /** Queries the rate limiter limited, by action (drop, truncate). */
  rateLimited: Record<string, number>;
  /** Agreement found different answers, by mode. */
  disagreements: Record<string, number>;
  /** Certificate checks of names bound to certificates, by outcome. */
  certificateChecks: Record<string, number>;
  /** Open TCP/DoT connections and HTTP/2 sessions. */
  streamConnections: number;
  /** Requests the cluster's CT log server refused, by method. */
  ctLogRejected: Record<string, number>;
}

/** Fresh zeroed counters. */
export function createCounters(): DnsCounters {
  return {
    queries: { udp: 0, tcp: 0, dot: 0, doh: 0, internal: 0 },
    responses: {},
    malformed: {},
    dropped: {},
    truncated: 0,
    rateLimited: {},
    disagreements: {},
    certificateChecks: {},
    streamConnections: 0,
    ctLogRejected: {},
  };
}

/** Adds one to `record[key]`. */
export function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** What the metrics read from. */
export interface MetricSources {
  readonly counters: DnsCounters;
  readonly cache: () => { readonly stats: DnsCacheStats; readonly size: number };
  readonly upstreams: () => readonly Upstream[];
  readonly now: () => number;
}

type Values = number | Record<string, number>;

/** Registers every metric of the package in the node's registry. */
export function registerMetrics(metrics: PluginMetrics, sources: MetricSources): void {
  const { counters } = sources;
  // counters and gauges are read from the plain numbers at each scrape
  const metric = (kind: 'counter' | 'gauge') => (name: string, help: string, label: string | undefined, read: () => Values) => {
    const values = (): ScrapedValue[] => {
      const v = read();
      return typeof v === 'number' ? [[{}, v]] : Object.entries(v).map(([k, n]) => [{ [label!]: k }, n]);
    };
    const config = { name, help, labelNames: label === undefined ? [] : [label] };
    if (kind === 'counter') metrics.counterFrom(config, values);
    else metrics.gaugeFrom(config, values);
  };
  const counter = metric('counter');
  const gauge = metric('gauge');
  const byUpstream = (read: (u: Upstream) => number) => () => Object.fromEntries(sources.upstreams().map((u) => [u.id, read(u)]));
  const cache = () => sources.cache();

  counter('hypermesh_dns_queries_total', 'DNS queries received, by transport', 'transport', () => counters.queries);
  counter('hypermesh_dns_responses_total', 'DNS responses sent, by RCODE', 'rcode', () => counters.responses);
  counter('hypermesh_dns_malformed_total', 'Malformed DNS messages, by how they were answered', 'reply', () => counters.malformed);
  counter('hypermesh_dns_dropped_total', 'Queries answered with nothing, by reason', 'reason', () => counters.dropped);
  counter('hypermesh_dns_truncated_total', 'UDP responses sent with TC set', undefined, () => counters.truncated);
  counter('hypermesh_dns_rate_limited_total', 'Queries limited per client prefix, by action', 'action', () => counters.rateLimited);
  counter('hypermesh_dns_disagreements_total', 'Questions on which upstreams or replicas disagreed, by mode', 'mode', () => counters.disagreements);
  counter('hypermesh_dns_certificate_checks_total', 'Certificate checks of names bound to certificates, by outcome', 'outcome', () => counters.certificateChecks);
  counter('hypermesh_ct_log_rejected_total', 'Requests the cluster CT log server refused, by API method', 'method', () => counters.ctLogRejected);
  gauge('hypermesh_dns_stream_connections', 'Open TCP, DoT and DoH connections', undefined, () => counters.streamConnections);
  counter('hypermesh_dns_cache_hits_total', 'Cache lookups answered from fresh entries', undefined, () => cache().stats.hits);
  counter('hypermesh_dns_cache_misses_total', 'Cache lookups without a fresh entry', undefined, () => cache().stats.misses);
  counter('hypermesh_dns_cache_stale_answers_total', 'Expired answers served while upstreams failed (RFC 8767)', undefined, () => cache().stats.staleHits);
  counter('hypermesh_dns_cache_prefetches_total', 'Popular entries refreshed before they expired', undefined, () => cache().stats.prefetches);
  counter('hypermesh_dns_cache_evictions_total', 'Entries evicted to stay within cache_size', undefined, () => cache().stats.evictions);
  counter('hypermesh_dns_cache_datapath_pushes_total', 'Hot A/AAAA answers pushed to the datapath', undefined, () => cache().stats.datapathPushes);
  gauge('hypermesh_dns_cache_entries', 'Entries in the cache', undefined, () => cache().size);
  gauge('hypermesh_dns_cache_hit_ratio', 'Cache hits / lookups since start', undefined, () => {
    const { hits, misses } = cache().stats;
    return hits + misses === 0 ? 0 : hits / (hits + misses);
  });
  counter('hypermesh_dns_upstream_queries_total', 'Queries sent to each upstream', 'upstream', byUpstream((u) => u.queries));
  counter('hypermesh_dns_upstream_errors_total', 'Failed queries to each upstream (timeouts, errors, SERVFAIL/REFUSED)', 'upstream', byUpstream((u) => u.errors));
  gauge('hypermesh_dns_upstream_healthy', '1 when the upstream is in rotation', 'upstream', byUpstream((u) => (u.downUntil <= sources.now() ? 1 : 0)));
  gauge('hypermesh_dns_upstream_rtt_seconds', 'Smoothed round-trip time of each upstream', 'upstream', byUpstream((u) => u.rttMs / 1000));
}
