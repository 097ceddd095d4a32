import { durationSchema } from '@hypermesh/runtime';
import { z } from 'zod';

/**
 * The fault detector's settings (`fault_detector`). Reputation starts at 1, drops with each piece
 * of evidence against a node, and recovers towards 1 with the half-life below.
 */
export const faultDetectorConfigSchema = z.strictObject({
  /** Turn the detector off entirely (evidence is still counted in metrics). */
  enabled: z.boolean().default(true),
  /** Allow isolation (ignoring a node's messages). Never more than f nodes are isolated. */
  isolation: z.boolean().default(true),
  /** Time for the missing part of a reputation (1 − r) to halve. */
  half_life: durationSchema.default(60_000),
  /** A primary is slow when its ordering delay exceeds this many times the reference delay. */
  slow_primary_factor: z.number().min(1).default(4),
  /** ...and exceeds the batch timeout by at least this much. */
  slow_primary_margin: durationSchema.default(40),
});

/**
 * The plugin's config. It accepts the Cluster document's `spec.consensus` section as given by
 * `clusterSections()` (snake_case, durations already in ms), plus PBFT-specific fields.
 */
export const pbftConfigSchema = z
  .strictObject({
    /** Always `pbft`; present so `spec.consensus` is accepted as written. */
    algorithm: z.literal('pbft', { message: "only 'pbft' is available" }).default('pbft'),
    /** Number of replicas n. When given it must equal the size of the replica list. */
    nodes: z.number().int().min(1).optional(),
    /**
     * The replica group, in replica-index order (the primary of view v is `replicas[v mod n]`).
     * Default: every node the `keys` service knows, sorted. A node not in the list runs as a client.
     */
    replicas: z.array(z.string().min(1)).min(1).optional(),
    /** Base timeout of a pending request before a backup suspects the primary (view change). */
    timeout: durationSchema.default(100),
    /** How long a replica waits for NEW-VIEW after 2f+1 VIEW-CHANGEs; doubles on consecutive view changes. */
    view_change_timeout: durationSchema.default(200),
    /** B: requests per batch. */
    batch_size: z.number().int().min(1).max(10_000).default(64),
    /** T: the longest the primary waits to fill a batch; 0 proposes at once. */
    batch_timeout: durationSchema.default(2),
    /** K: sequence numbers between checkpoints. */
    checkpoint_interval: z.number().int().min(1).default(128),
    /** L: the watermark window (sequence numbers in flight above the stable checkpoint). */
    watermark_window: z.number().int().min(2).default(256),
    /** Where committed batches, prepared certificates and stable checkpoints are kept; omitted = memory. */
    data_dir: z.string().min(1).optional(),
    /** fsync the log (off only for benchmarks on throwaway data). */
    fsync: z.boolean().default(true),
    /** Period of the replica's housekeeping tick: STATUS messages, retransmission, catch-up. */
    status_interval: durationSchema.default(100),
    /** The client retransmits an unanswered request to every replica after this long. */
    client_retransmit: durationSchema.default(400),
    /** Default `submit` timeout (E_CONSENSUS_TIMEOUT). */
    submit_timeout: durationSchema.default(30_000),
    /** Requests one node may have in flight (each uses one client id); more wait locally. */
    max_outstanding: z.number().int().min(1).default(1024),
    /** Largest protocol message accepted or sent, bytes (also capped by the transport's limit). */
    max_message_bytes: z.number().int().min(4096).default(4 * 1024 * 1024),
    /** Requests a replica holds waiting to be ordered; beyond it new requests are dropped. */
    max_pending_requests: z.number().int().min(1).default(100_000),
    /** The fault detector and reputation system. */
    fault_detector: faultDetectorConfigSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.watermark_window < config.checkpoint_interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['watermark_window'],
        message: `is ${config.watermark_window} but must be at least checkpoint_interval (${config.checkpoint_interval}), or the window closes before a checkpoint can become stable; 2 × checkpoint_interval is usual`,
      });
    }
    if (config.replicas !== undefined && new Set(config.replicas).size !== config.replicas.length) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'lists a node id twice' });
    }
  });

/** The validated config (durations in milliseconds). */
export type PbftConfig = z.output<typeof pbftConfigSchema>;

/** The config as written (durations may be strings such as `100ms`). */
export type PbftConfigInput = z.input<typeof pbftConfigSchema>;
