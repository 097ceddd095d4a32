import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { HypermeshError, RuntimeErrorCode, messageOf } from '../errors.js';
import { formatIssues, issuesFromZod, type ConfigIssue } from './format-issues.js';
import { interpolateEnv } from './interpolate.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const QUANTITY = /^(\d+(?:\.\d+)?)\s*([KMG]?)$/;
const SCALE: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9 };

/** A duration written as milliseconds (`250`) or with a unit (`100ms`, `2s`, `1m`, `1h`); parsed to ms. */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = DURATION.exec(value.trim());
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration; write e.g. 250ms, 2s, 1m or a number of milliseconds` });
    return z.NEVER;
  }
  return Number(m[1]) * UNIT_MS[m[2]!]!;
});

/** A count written as a number or with a decimal suffix (`10K`, `10M`); parsed to a number. */
export const quantitySchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = QUANTITY.exec(value.trim());
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a count; write e.g. 50000, 10K or 10M` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * SCALE[m[2]!]!);
});

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be a DNS label: lower-case letters, digits and -, at most 63' });
const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    message: 'must be a lower-case domain name such as hypermesh.local',
  });
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'must be HOST:PORT, e.g. 127.0.0.1:5353' });
const dnsUpstream = z.string().regex(/^(tls:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}(#[A-Za-z0-9.-]+)?$/, {
  message: 'must be HOST:PORT for DNS over UDP/TCP, or tls://HOST:PORT[#tls-name] for DNS over TLS',
});

/** One node of the cluster. */
const nodeSchema = z.strictObject({
  /** Node id: a DNS label. */
  id: dnsLabel,
  /** Address other nodes reach it at (HOST:PORT), for multi-process clusters. */
  address: hostPort.optional(),
  /** Labels for scheduling. */
  labels: z.record(z.string(), z.string()).default({}),
});

/** `spec.consensus`: the PBFT replica group. */
const consensusSchema = z.strictObject({
  algorithm: z.literal('pbft', { message: "only 'pbft' is available" }).default('pbft'),
  /** Number of replicas n; tolerates f = floor((n-1)/3) Byzantine replicas. */
  nodes: z.number().int().min(1).default(4),
  /** Request timeout before a backup suspects the primary (ms or with unit). */
  timeout: durationSchema.default(100),
  /** Requests per batch. */
  batch_size: z.number().int().min(1).max(10_000).default(64),
  /** Longest wait to fill a batch. */
  batch_timeout: durationSchema.default(2),
  /** Sequence numbers between checkpoints (K). */
  checkpoint_interval: z.number().int().min(1).default(128),
  /** Watermark window L (sequence numbers in flight). */
  watermark_window: z.number().int().min(2).default(256),
  /** Where replicas persist committed batches and checkpoints; omitted = in memory only. */
  data_dir: z.string().optional(),
});

/** `spec.dns_ct`: the resolver and Certificate Transparency checks. */
const dnsCtSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The cluster's service-discovery domain. */
  domain: domainName.default('hypermesh.local'),
  /** Where the DNS server listens (UDP and TCP). */
  listen: hostPort.default('127.0.0.1:5353'),
  /** Upstream resolvers for names outside the cluster domain: HOST:PORT, or tls://HOST:PORT[#name] for DoT. */
  forwarders: z.array(dnsUpstream).default([]),
  /** How forwarded answers are agreed: none, by several upstreams, or by the cluster through consensus. */
  agreement: z.enum(['none', 'upstreams', 'cluster']).default('none'),
  /** Maximum number of cached RRsets (10K, 1M, …). */
  cache_size: quantitySchema.default(100_000),
  /** CT log URLs to follow or to trust (RFC 6962 API). */
  ct_logs: z.array(z.url()).default([]),
  /** What happens when a name bound to a certificate fails the CT policy. */
  ct_policy: z.enum(['enforce', 'report', 'off']).default('report'),
  /** Performance goals, reported against by benchmarks; they change no behaviour. */
  performance_target: z
    .strictObject({
      resolution_time_ms: z.number().positive().optional(),
      throughput_gbps: z.number().positive().optional(),
    })
    .default({}),
});

/** `spec.stoq`: streaming analytics. */
const stoqSchema = z.strictObject({
  enabled: z.boolean().default(true),
  analytics: z
    .strictObject({
      pattern_analysis: z.boolean().default(true),
      anomaly_detection: z.boolean().default(true),
      ml_inference: z.boolean().default(true),
    })
    .prefault({}),
  performance: z
    .strictObject({
      processing_latency_us: z.number().positive().default(20),
      batch_size: z.number().int().min(1).default(1000),
    })
    .prefault({}),
});

const ebpfProgramSchema = z.strictObject({
  name: z.string().min(1),
  /** A BPF object file; default the one shipped with @hypermesh/ebpf for known names. */
  path: z.string().optional(),
  attach_point: z.enum(['xdp', 'tc_ingress', 'tc_egress', 'socket_filter']),
  /** Interface to attach to. */
  interface: z.string().optional(),
});

/** `spec.networking`: node-to-node transport and the datapath. */
const networkingSchema = z.strictObject({
  transport: z
    .string()
    .default('memory')
    .pipe(
      z.enum(['memory', 'grpc'], {
        error: (issue) =>
          issue.input === 'quic'
            ? "transport 'quic' is not available in this release; use 'grpc' (mutual TLS between processes) or 'memory' (one process)"
            : `transport must be 'memory' or 'grpc', not ${JSON.stringify(issue.input)}`,
      }),
    ),
  mesh_enabled: z.boolean().default(true),
  ipv6_primary: z.boolean().default(false),
  ebpf_programs: z.array(ebpfProgramSchema).default([]),
});

/** `spec.security`. */
const securitySchema = z.strictObject({
  certificate_validation: z.enum(['strict', 'permissive', 'off']).default('strict'),
  mTLS_required: z.boolean().default(true),
  rbac_enabled: z.boolean().default(true),
  audit_logging: z.boolean().default(true),
});

/** `spec.monitoring`. */
const monitoringSchema = z.strictObject({
  metrics_collection: z.boolean().default(true),
  distributed_tracing: z.boolean().default(false),
  log_aggregation: z.boolean().default(false),
  alerting: z
    .strictObject({
      slack_webhook: z.url().optional(),
      pagerduty_key: z.string().optional(),
      /** Generic webhook receiving threat alerts as JSON (HTTP POST). */
      webhook: z.url().optional(),
    })
    .default({}),
});

/**
 * The Cluster document (`apiVersion: hypermesh.io/v1`, `kind: Cluster`) as the seed architecture
 * defines it. Unknown keys are errors (they are usually typos); `spec.plugins` carries config
 * for plugins the document does not know, keyed by npm name.
 */
export const clusterConfigSchema = z
  .strictObject({
    apiVersion: z.literal('hypermesh.io/v1', { message: "must be 'hypermesh.io/v1'" }),
    kind: z.literal('Cluster', { message: "must be 'Cluster'" }),
    metadata: z.strictObject({
      name: dnsLabel,
      labels: z.record(z.string(), z.string()).default({}),
    }),
    spec: z
      .strictObject({
        nodes: z.array(nodeSchema).optional(),
        consensus: consensusSchema.prefault({}),
        dns_ct: dnsCtSchema.prefault({}),
        stoq: stoqSchema.prefault({}),
        networking: networkingSchema.prefault({}),
        security: securitySchema.prefault({}),
        monitoring: monitoringSchema.prefault({}),
        plugins: z.record(z.string(), z.unknown()).default({}),
      })
      .prefault({}),
  })
  .superRefine((doc, ctx) => {
    const nodes = doc.spec.nodes;
    if (nodes === undefined) return;
    if (nodes.length !== doc.spec.consensus.nodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec', 'consensus', 'nodes'],
        message: `is ${doc.spec.consensus.nodes} but spec.nodes lists ${nodes.length} nodes; make them agree`,
      });
    }
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      if (seen.has(n.id)) ctx.addIssue({ code: 'custom', path: ['spec', 'nodes', i, 'id'], message: `node id '${n.id}' is listed twice` });
      seen.add(n.id);
    });
  });

/** A validated Cluster document, durations in milliseconds and counts as numbers. */
export type ClusterConfig = z.output<typeof clusterConfigSchema>;

/** Options of {@link parseClusterConfig} and {@link loadClusterConfig}. */
export interface ClusterConfigOptions {
  /** Variables for `${NAME}` interpolation. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `yaml` or `json`; default from the file extension, else YAML (which also reads JSON). */
  format?: 'yaml' | 'json';
  /** Name of the source, for messages. */
  source?: string;
}

function invalid(source: string, issues: readonly ConfigIssue[]): HypermeshError {
  return new HypermeshError(
    RuntimeErrorCode.ConfigInvalid,
    `${source} is not a valid Cluster document (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${formatIssues(issues)}`,
    { details: { source, issues } },
  );
}

/** Parses and validates a Cluster document from text. Throws `E_CONFIG_INVALID` listing every problem. */
export function parseClusterConfig(text: string, options: ClusterConfigOptions = {}): ClusterConfig {
  const source = options.source ?? 'cluster config';
  let raw: unknown;
  if (options.format === 'json') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw invalid(source, [{ path: '(root)', message: `not valid JSON: ${messageOf(err)}` }]);
    }
  } else {
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      throw invalid(
        source,
        doc.errors.map((e) => ({
          path: e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(root)',
          message: e.message.split('\n')[0]!,
        })),
      );
    }
    raw = doc.toJS();
  }
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw, options.env ?? process.env, issues);
  const result = clusterConfigSchema.safeParse(interpolated);
  if (!result.success) {
    // A value whose ${VAR} is unset is already reported; its schema error would only repeat it.
    const unset = new Set(issues.map((i) => i.path));
    issues.push(...issuesFromZod('', result.error).filter((i) => !unset.has(i.path)));
  }
  if (issues.length > 0 || !result.success) throw invalid(source, issues);
  return result.data;
}

/** Reads a Cluster document (YAML or JSON) from a file, interpolates `${ENV}` and validates it. */
export async function loadClusterConfig(file: string, options: ClusterConfigOptions = {}): Promise<ClusterConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new HypermeshError(RuntimeErrorCode.ConfigInvalid, `cannot read cluster config ${file}: ${messageOf(err)}`, { cause: err });
  }
  const format = options.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'yaml');
  return parseClusterConfig(text, { ...options, format, source: options.source ?? file });
}

/** The Cluster document sections that belong to a plugin, by the plugin's npm name. */
const SECTION_OWNERS = {
  '@hypermesh/plugin-pbft': 'consensus',
  '@hypermesh/plugin-dns-ct': 'dns_ct',
  '@hypermesh/plugin-stoq': 'stoq',
} as const;

/**
 * The plugin config slices a Cluster document gives, keyed by plugin npm name: the sections of
 * the document that belong to a plugin (`spec.consensus` to `@hypermesh/plugin-pbft`,
 * `spec.dns_ct` to `@hypermesh/plugin-dns-ct`, `spec.stoq` to `@hypermesh/plugin-stoq`), with
 * `spec.plugins[name]` merged over them — that is where a plugin's options beyond the seed
 * format go — plus `spec.plugins` entries of every other plugin as written. The analytics slice
 * also gets `webhook.url` from `spec.monitoring.alerting.webhook` and `policy.cluster_nodes` from
 * the hosts of `spec.nodes`. Pass only the slices of loaded plugins to `createNode`.
 */
export function clusterSections(cluster: ClusterConfig): Record<string, unknown> {
  const slices: Record<string, unknown> = { ...cluster.spec.plugins };
  for (const [plugin, section] of Object.entries(SECTION_OWNERS)) {
    const extra = cluster.spec.plugins[plugin];
    const base = { ...cluster.spec[section], ...derivedOptions(cluster, plugin) };
    slices[plugin] = extra !== null && typeof extra === 'object' && !Array.isArray(extra) ? { ...base, ...extra } : base;
  }
  return slices;
}

/**
 * Options a plugin takes from other parts of the document: the analytics engine sends alerts to
 * `spec.monitoring.alerting.webhook` and never acts against the hosts of `spec.nodes`.
 */
function derivedOptions(cluster: ClusterConfig, plugin: string): Record<string, unknown> {
  if (plugin !== '@hypermesh/plugin-stoq') return {};
  const derived: Record<string, unknown> = {};
  const webhook = cluster.spec.monitoring.alerting.webhook;
  if (webhook !== undefined) derived.webhook = { url: webhook };
  const nodes = (cluster.spec.nodes ?? []).filter((n) => n.address !== undefined);
  if (nodes.length > 0) {
    derived.policy = {
      cluster_nodes: nodes.map((n) => ({ id: n.id, address: n.address!.slice(0, n.address!.lastIndexOf(':')).replace(/^\[|\]$/g, '') })),
    };
  }
  return derived;
}
