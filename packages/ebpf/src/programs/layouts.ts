/**
 * The C structs of the shipped programs (bpf/include/hypermesh.h, bpf/dns_filter.bpf.c,
 * bpf/flow_stats.bpf.c), declared once for TypeScript. layouts.test.ts checks each one against the
 * BTF of the built objects, member by member.
 */
import { bytes, pad, struct, u16, u32, u64, u8 } from '../layout/layout.js';

/** Longest wire-format name the kernel answers (longer ones go to userspace). */
export const DNS_QNAME_MAX = 128;
/** Most addresses in one cached answer. */
export const DNS_MAX_ANSWERS = 8;

/** `struct hm_addr`: IPv6, or IPv4 mapped (::ffff:a.b.c.d). */
export const hmAddr = struct('hm_addr', { bytes: bytes(16) });

/** `struct hm_flow_event`: a flow sample in the ring buffer. */
export const hmFlowEvent = struct('hm_flow_event', {
  kind: u32,
  protocol: u8,
  pad: pad(3),
  at_ns: u64,
  saddr: hmAddr,
  daddr: hmAddr,
  sport: u16,
  dport: u16,
  packet_size: u32,
  packets: u64,
  bytes: u64,
});

/** `struct hm_dns_event`: a query dropped or answered in the kernel. */
export const hmDnsEvent = struct('hm_dns_event', {
  kind: u32,
  reason: u8,
  qname_len: u8,
  qtype: u16,
  at_ns: u64,
  saddr: hmAddr,
  qname: bytes(DNS_QNAME_MAX),
});

/** `struct dns_cache_key`: lower-case wire-format name, zero-padded, and the query type. */
export const dnsCacheKey = struct('dns_cache_key', { qname: bytes(DNS_QNAME_MAX), qtype: u16, reserved: u16 });

/** `struct dns_cache_entry`: up to 8 addresses and the expiry (CLOCK_MONOTONIC ns). */
export const dnsCacheEntry = struct('dns_cache_entry', {
  expires_at_ns: u64,
  consensus_seq: u64,
  count: u16,
  rdata_len: u16,
  reserved: u32,
  rdata: bytes(DNS_MAX_ANSWERS * 16),
});

/** `struct rate_limit_key`: an LPM trie key (prefix length in bits over the mapped address). */
export const rateLimitKey = struct('rate_limit_key', { prefixlen: u32, addr: hmAddr });

/** `struct rate_limit_policy`. */
export const rateLimitPolicy = struct('rate_limit_policy', { qps: u32, burst: u32 });

/** `struct rate_limit_entry`: one source's token bucket (tokens in billionths). */
export const rateLimitEntry = struct('rate_limit_entry', { tokens: u64, last_refill_ns: u64, dropped: u64 });

/** `struct block_entry`. */
export const blockEntry = struct('block_entry', { expires_at_ns: u64, dropped: u64 });

/** `struct dns_source_stats`: per-source counters (per CPU). */
export const dnsSourceStats = struct('dns_source_stats', {
  queries: u64,
  answered: u64,
  passed: u64,
  blocked: u64,
  rate_limited: u64,
  malformed: u64,
});

/** `struct dns_filter_stats`: program-wide counters (per CPU). */
export const dnsFilterStats = struct('dns_filter_stats', {
  packets: u64,
  dns_queries: u64,
  answered: u64,
  passed: u64,
  blocked: u64,
  rate_limited: u64,
  malformed: u64,
  cache_misses: u64,
  cache_expired: u64,
  events_lost: u64,
});

/** `struct dns_filter_config`. */
export const dnsFilterConfig = struct('dns_filter_config', {
  port: u16,
  block_enabled: u8,
  rate_limit_enabled: u8,
  answered_event_every: u32,
});

/** `struct flow_key`: a 5-tuple. */
export const flowKey = struct('flow_key', { saddr: hmAddr, daddr: hmAddr, sport: u16, dport: u16, protocol: u8, pad: pad(3) });

/** `struct flow_counters`. */
export const flowCounters = struct('flow_counters', {
  packets: u64,
  bytes: u64,
  first_seen_ns: u64,
  last_seen_ns: u64,
  reported_packets: u64,
  reported_bytes: u64,
  last_report_ns: u64,
});

/** `struct flow_config`. */
export const flowConfig = struct('flow_config', { report_interval_ns: u64 });

/** `struct flow_totals`: program-wide counters (per CPU). */
export const flowTotals = struct('flow_totals', {
  packets: u64,
  bytes: u64,
  non_ip: u64,
  flows_created: u64,
  samples: u64,
  events_lost: u64,
});

/** Every layout shared with the programs, by the object whose BTF defines it. */
export const PROGRAM_LAYOUTS = {
  dns_filter: [hmAddr, hmDnsEvent, dnsCacheKey, dnsCacheEntry, rateLimitKey, rateLimitPolicy, rateLimitEntry, blockEntry, dnsSourceStats, dnsFilterStats, dnsFilterConfig],
  flow_stats: [hmAddr, hmFlowEvent, flowKey, flowCounters, flowConfig, flowTotals],
} as const;

/** `u32` keys of single-entry array maps. */
export const arrayIndex = u32;

