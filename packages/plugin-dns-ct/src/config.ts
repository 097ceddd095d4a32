/**
 * The plugin's config. Keys are snake_case because the Cluster document's `spec.dns_ct` section is
 * given to this plugin as it is (`clusterSections()`); every field of that section is accepted
 * here with the same meaning, and the rest have defaults. Durations are milliseconds or strings
 * with a unit (`250ms`, `2s`, `1h`); counts may be written `10K`, `1M`.
 */
import { durationSchema, quantitySchema } from '@hypermesh/runtime';
import { z } from 'zod';
import { ctConfigSchema } from './ct/config.js';

const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    message: 'must be a lower-case domain name such as hypermesh.local',
  });
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'must be HOST:PORT, e.g. 127.0.0.1:5353' });
const upstream = z.string().regex(/^(tls:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}(#[A-Za-z0-9.-]+)?$/, {
  message: 'must be HOST:PORT for DNS over UDP/TCP, or tls://HOST:PORT[#tls-name] for DNS over TLS',
});
const cidr = z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, { message: 'must be an address or a CIDR prefix, e.g. 10.0.0.0/8' });
/** PEM text, or a path to a PEM file. */
const pemOrPath = z.string().min(1);

const zoneRecordSchema = z.strictObject({
  /** Absolute (`echo.svc.hypermesh.local`) or relative to the cluster domain (`echo.svc`). */
  name: z.string().min(1),
  type: z.enum(['A', 'AAAA', 'SRV', 'TXT', 'TLSA']),
  ttl: z.number().int().min(0).max(2_147_483_647).optional(),
  /** An address (A/AAAA), strings (TXT), `{ priority, weight, port, target }` (SRV), TLSA fields. */
  data: z.unknown(),
  /** The name is bound to a certificate (see `certificate_binding`). */
  tls: z.boolean().optional(),
});

const cacheSchema = z.strictObject({
  /** TTLs below this are raised to it (seconds). */
  min_ttl: z.number().int().min(0).default(0),
  /** TTLs above this are lowered to it (seconds). */
  max_ttl: z.number().int().min(1).default(86_400),
  /** Cap on the TTL of cached NXDOMAIN/NODATA answers (seconds; RFC 2308 §5). */
  negative_max_ttl: z.number().int().min(0).default(3_600),
  /** Refresh popular entries before they expire. */
  prefetch: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Hits an entry needs before it is prefetched. */
      min_hits: z.number().int().min(1).default(3),
      /** Prefetch when less than this fraction of the original TTL remains. */
      threshold: z.number().gt(0).lt(1).default(0.1),
    })
    .prefault({}),
  /** Serve expired answers while upstreams are unreachable (RFC 8767). */
  serve_stale: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long after expiry an entry may still be served (RFC 8767 suggests 1–3 days). */
      max_stale: durationSchema.default(86_400_000),
      /** TTL of a stale answer (seconds; RFC 8767 §4 recommends 30). */
      answer_ttl: z.number().int().min(1).default(30),
      /** Answer from stale data when resolution takes longer than this (RFC 8767 client response timer). */
      client_timeout: durationSchema.default(1_800),
    })
    .prefault({}),
  /** Hits before an A/AAAA answer is pushed to the datapath's kernel cache. */
  datapath_min_hits: z.number().int().min(1).default(5),
});

const forwardSchema = z.strictObject({
  /** How long to wait for one upstream answer. */
  timeout: durationSchema.default(1_500),
  /** Further upstreams to try after a timeout or failure. */
  retries: z.number().int().min(0).max(10).default(2),
  /** EDNS UDP payload size advertised upstream. */
  udp_size: z.number().int().min(512).max(4096).default(1232),
  /** Consecutive failures after which an upstream is taken out of rotation. */
  max_failures: z.number().int().min(1).default(3),
  /** How long an unhealthy upstream stays out before it is probed again. */
  down_for: durationSchema.default(5_000),
  /** CA certificate(s) for DNS-over-TLS upstreams (PEM or path); default Node's CA store. */
  tls_ca: pemOrPath.optional(),
});

const upstreamsAgreementSchema = z.strictObject({
  /** Upstreams asked in parallel. */
  ask: z.number().int().min(2).default(3),
  /** Identical answers needed to accept an RRset; default a majority of `ask`. */
  quorum: z.number().int().min(1).optional(),
});

const clusterAgreementSchema = z.strictObject({
  /** How long a miss may wait for the cluster to commit its RRset. */
  timeout: durationSchema.default(3_000),
  /** Pause between publishing a question and proposing the answer, so replicas resolve it first. */
  settle: durationSchema.default(50),
  /** Attempts to commit the answer while replicas are still resolving. */
  attempts: z.number().int().min(1).max(10).default(3),
});

const rateLimitSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Queries per second allowed per client prefix. */
  qps: z.number().positive().default(200),
  /** Burst above the rate (bucket size). */
  burst: z.number().positive().default(400),
  /** Every `slip`-th limited UDP query gets a truncated answer (TC) instead of none; 0 = always drop. */
  slip: z.number().int().min(0).default(2),
  /** Prefix length grouping IPv4 clients. */
  ipv4_prefix: z.number().int().min(8).max(32).default(24),
  /** Prefix length grouping IPv6 clients. */
  ipv6_prefix: z.number().int().min(16).max(128).default(56),
});

const tcpSchema = z.strictObject({
  /** Close a connection idle for this long (RFC 7766 §6.2.3). */
  idle_timeout: durationSchema.default(10_000),
  /** Concurrent TCP/DoT connections. */
  max_connections: z.number().int().min(1).default(1_000),
  /** Queries of one connection answered concurrently (RFC 7766 pipelining); more are read later. */
  max_pipelined: z.number().int().min(1).default(64),
});

const bindingSchema = z.strictObject({
  /** Port of the TLS handshake that fetches a bound name's certificate, unless an SRV or TLSA record says otherwise. */
  port: z.number().int().min(1).max(65_535).default(443),
  /** Handshake timeout. */
  timeout: durationSchema.default(2_000),
  /** How long a verdict is reused for the same name and certificate. */
  verdict_ttl: durationSchema.default(300_000),
});

/**
 * The config of `@hypermesh/plugin-dns-ct`. Every field is optional; the first block is the
 * Cluster document's `spec.dns_ct` section.
 */
export const dnsCtConfigSchema = z.strictObject({
  // ---- the Cluster document's spec.dns_ct ----
  /** When false the listeners stay closed; the `resolver` service still works in-process. */
  enabled: z.boolean().default(true),
  /** The cluster's service-discovery domain, answered authoritatively. */
  domain: domainName.default('hypermesh.local'),
  /** UDP and TCP listen address (port 0 picks a free port). */
  listen: hostPort.default('127.0.0.1:5353'),
  /** Upstream resolvers for names outside the cluster domain. */
  forwarders: z.array(upstream).default([]),
  /** How forwarded answers are agreed: `none`, `upstreams` (a quorum of upstreams) or `cluster` (consensus). */
  agreement: z.enum(['none', 'upstreams', 'cluster']).default('none'),
  /** Maximum number of cached RRsets. */
  cache_size: quantitySchema.default(100_000),
  /** CT log URLs to follow or trust (RFC 6962 API). */
  ct_logs: z.array(z.url()).default([]),
  /** Names bound to certificates: `enforce` → SERVFAIL on failure, `report` → answer and flag, `off`. */
  ct_policy: z.enum(['enforce', 'report', 'off']).default('report'),
  /** Performance goals benchmarks report against; they change no behaviour. */
  performance_target: z
    .strictObject({
      resolution_time_ms: z.number().positive().optional(),
      throughput_gbps: z.number().positive().optional(),
    })
    .default({}),
  // ---- plugin settings ----
  /** DNS-over-TLS listen address (RFC 7858); needs `tls`. */
  listen_tls: hostPort.optional(),
  /** DNS-over-HTTPS listen address (RFC 8484, HTTP/2 and HTTP/1.1); needs `tls`. */
  listen_https: hostPort.optional(),
  /** The DoH path. */
  doh_path: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/).default('/dns-query'),
  /** Certificate and key (PEM text or file paths) for DoT and DoH. */
  tls: z.strictObject({ cert: pemOrPath, key: pemOrPath }).optional(),
  /** Clients allowed to query (addresses or CIDR prefixes); empty allows every client. Others get REFUSED. */
  allow_clients: z.array(cidr).default([]),
  /** Largest UDP response this server sends to EDNS clients (RFC 6891; 1232 avoids fragmentation). */
  udp_size: z.number().int().min(512).max(4096).default(1232),
  forward: forwardSchema.prefault({}),
  upstreams_agreement: upstreamsAgreementSchema.prefault({}),
  cluster_agreement: clusterAgreementSchema.prefault({}),
  cache: cacheSchema.prefault({}),
  rate_limit: rateLimitSchema.prefault({}),
  tcp: tcpSchema.prefault({}),
  /** The service-discovery zone's own records, from config and/or an RFC 1035 master file. */
  zone: z
    .strictObject({
      records: z.array(zoneRecordSchema).default([]),
      /** A master file (see docs/dns-ct.md for the subset understood). */
      file: z.string().optional(),
      /** TTL of records without one, and of the SOA/NS records. */
      default_ttl: z.number().int().min(0).default(30),
      /** Name servers of the zone (NS records); default `ns.<domain>`. */
      nameservers: z.array(domainName).default([]),
    })
    .prefault({}),
  certificate_binding: bindingSchema.prefault({}),
  /** Certificate Transparency: trusted logs, CT policy, trust anchors, the monitor and the cluster's own log (see docs/ct.md). */
  ct: ctConfigSchema.prefault({}),
});

/** The config as written (input of the schema). */
export type DnsCtConfigInput = z.input<typeof dnsCtConfigSchema>;
/** The config after parsing, defaults applied, durations in milliseconds. */
export type DnsCtConfig = z.output<typeof dnsCtConfigSchema>;
