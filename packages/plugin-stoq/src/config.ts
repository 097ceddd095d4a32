import { durationSchema } from '@hypermesh/runtime';
import { z } from 'zod';

const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
const count = z.number().int().min(1);

/** What the action engine does when a detector's score reaches `act_at`. */
export const actionSchema = z.enum(['observe', 'alert', 'rate-limit', 'block']);

/** Policy of one threat kind. */
const kindPolicySchema = (action: z.infer<typeof actionSchema>) =>
  z
    .strictObject({
      /** What to do: `observe` (record only), `alert` (record + webhook), `rate-limit`, `block` (for `ttl`). */
      action: actionSchema.default(action),
      /** Score at or above which the action starts (0.7 = the detector's threshold is reached). */
      act_at: fraction.default(0.7),
      /** Hysteresis: the action is lifted only after the score stayed below this for `release_after`. */
      release_below: fraction.default(0.4),
    })
    .prefault({});

/**
 * The plugin's config: the Cluster document's `spec.stoq` section as it is (`enabled`,
 * `analytics.*`, `performance.*`, snake_case), plus fields of this plugin, every one with a default.
 */
export const stoqConfigSchema = z.strictObject({
  /** Off: the `analytics` service is provided but observes nothing and never acts. */
  enabled: z.boolean().default(true),
  analytics: z
    .strictObject({
      /** Stream detectors: tunnels, water torture, floods, amplification, DGA-infected clients. */
      pattern_analysis: z.boolean().default(true),
      /** Isolation forests, change points on rates, the seasonal model. */
      anomaly_detection: z.boolean().default(true),
      /** The name classifier (DGA / tunnel names). */
      ml_inference: z.boolean().default(true),
    })
    .prefault({}),
  performance: z
    .strictObject({
      /** Per-event budget (µs): health turns `degraded` when the measured p99 of observe exceeds it. */
      processing_latency_us: positive.default(20),
      /** Datapath events handled per batch before yielding to the event loop. */
      batch_size: count.default(1000),
    })
    .prefault({}),
  /** Sliding window of the stream detectors (default 60 s). */
  window: durationSchema.default(60_000),
  /** State bounds: the least recently seen entry is evicted beyond them. */
  limits: z
    .strictObject({
      clients: count.default(50_000),
      domains: count.default(20_000),
      flows: count.default(10_000),
      /** Names whose verdict is cached. */
      name_cache: count.default(20_000),
      /** Recent threats kept for `recentThreats`. */
      recent_threats: count.default(1_000),
    })
    .prefault({}),
  /** Thresholds of the stream detectors (each reaching its threshold scores 0.7). */
  detectors: z
    .strictObject({
      /** Names the classifier labels `tunnel` under one domain in a window. */
      tunnel_names: count.default(5),
      /** Distinct subdomains of one domain in a window carrying `tunnel_bits` on average. */
      tunnel_subdomains: count.default(40),
      tunnel_bits: positive.default(120),
      /** TXT/NULL queries under one domain in a window (with distinct subdomains). */
      tunnel_txt_null: count.default(40),
      /** Distinct subdomains of one domain in a window, mostly NXDOMAIN (random-subdomain flood). */
      water_torture_subdomains: count.default(100),
      /** Share of NXDOMAIN answers for the domain that counts as "mostly". */
      water_torture_nxdomain_share: fraction.default(0.5),
      /** Queries per second from one client. */
      flood_qps: positive.default(100),
      /** …or this multiple of the client's long-term rate, whichever is higher. */
      flood_factor: positive.default(20),
      /** ANY queries from one client in a window. */
      amplification_any: count.default(20),
      /** Responses larger than `large_response` bytes to one client in a window (with ≥ 10× amplification). */
      amplification_large: count.default(50),
      large_response: count.default(1232),
      /** Distinct DGA-labelled names from one client in a window. */
      dga_names: count.default(8),
    })
    .prefault({}),
  /** Isolation forests over per-client and per-domain feature vectors. */
  forest: z
    .strictObject({
      trees: count.default(100),
      sample_size: count.default(256),
      /** Feature vectors kept for training (a sliding window). */
      window_rows: count.default(4096),
      /** No model before this many rows. */
      min_rows: count.default(512),
      /** How often a subject's vector is scored, at most (default 5 s of event time). */
      score_every: durationSchema.default(5000),
      /** How often a subject's vector is sampled into the training window, at most (default 10 s). */
      sample_every: durationSchema.default(10_000),
      /** How often the model is retrained in the worker (default 5 min). */
      retrain_every: durationSchema.default(300_000),
      /** Isolation score at which a client is anomalous (maps to detector score 0.7). */
      client_threshold: z.number().min(0.5).max(1).default(0.68),
      /** Isolation score at which a domain is anomalous. Domains are fewer and more varied than clients. */
      domain_threshold: z.number().min(0.5).max(1).default(0.72),
    })
    .prefault({}),
  /** Seasonal model and change points on the total query and byte rates. */
  seasonal: z
    .strictObject({
      /** Step of the series (default 5 min). */
      step: durationSchema.default(300_000),
      /** Season length (default 24 h). */
      period: durationSchema.default(86_400_000),
      alpha: z.number().gt(0).lt(1).default(0.1),
      beta: z.number().min(0).lt(1).default(0.01),
      gamma: z.number().gt(0).lt(1).default(0.2),
      /** CUSUM allowance k and decision interval h, in standard deviations of the forecast error. */
      cusum_k: positive.default(0.5),
      cusum_h: positive.default(8),
    })
    .prefault({}),
  /** Flow models. */
  flows: z
    .strictObject({
      interval: durationSchema.default(1000),
      ar_order: count.default(3),
      /** Link capacity in bytes/s for the congestion detector; 0 = unknown. */
      capacity_bytes_per_second: z.number().min(0).default(0),
    })
    .prefault({}),
  /** The action engine. */
  policy: z
    .strictObject({
      dga: kindPolicySchema('alert'),
      tunnel: kindPolicySchema('block'),
      water_torture: kindPolicySchema('rate-limit'),
      amplification: kindPolicySchema('rate-limit'),
      query_flood: kindPolicySchema('rate-limit'),
      anomaly: kindPolicySchema('observe'),
      /** How long a block or rate limit lasts before it is reviewed, renewed while the score stays high (default 5 min). */
      ttl: durationSchema.default(300_000),
      /** Quiet time below `release_below` before an action is lifted (default 2 min). */
      release_after: durationSchema.default(120_000),
      /** The limit a rate-limited client (or domain) gets, in queries per second. */
      rate_limit_qps: positive.default(10),
      /** Where actions are enforced: the datapath when present (`auto`), or always by this plugin's `dns.query` tap. */
      enforcement: z.enum(['auto', 'datapath', 'dns']).default('auto'),
      /** Clients never acted against: addresses or CIDR prefixes. */
      allow_clients: z.array(z.string().min(1)).default([]),
      /** Domains never acted against (and names below them). */
      allow_domains: z.array(z.string().min(1)).default([]),
      /** The cluster's own nodes: never acted against; their scores feed `nodeScore`. */
      cluster_nodes: z.array(z.strictObject({ id: z.string().min(1), address: z.string().min(1) })).default([]),
    })
    .prefault({}),
  /** Alerts as HTTP POSTs of JSON. */
  webhook: z
    .strictObject({
      url: z.url().optional(),
      /** Retries after the first attempt, with exponential backoff. */
      retries: z.number().int().min(0).max(10).default(3),
      backoff: durationSchema.default(500),
      timeout: durationSchema.default(5000),
      /** Least severity sent. */
      min_severity: z.enum(['low', 'medium', 'high', 'critical']).default('medium'),
    })
    .prefault({}),
});

/** The validated config (durations in ms). */
export type StoqConfig = z.output<typeof stoqConfigSchema>;

/** The config with every default, e.g. for engines built without a node. */
export function defaultStoqConfig(overrides: z.input<typeof stoqConfigSchema> = {}): StoqConfig {
  return stoqConfigSchema.parse(overrides);
}
