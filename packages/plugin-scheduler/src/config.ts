import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { durationSchema } from '@hypermesh/runtime';
import { z } from 'zod';
import { BUILTIN_PLUGIN_NAMES } from './plugins/builtin.js';
import { quotaLimitsSchema } from './state/operations.js';
import { cpuSchema, memorySchema } from './state/workload-schema.js';

const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be a DNS label' });

/**
 * The config of `@hypermesh/plugin-scheduler`. Settings marked cluster-wide decide placements and
 * must be the same on every node (put them in the cluster.yaml, not per node).
 */
export const schedulerConfigSchema = z.strictObject({
  /** This node as the scheduler sees it. */
  node: z
    .strictObject({
      /** Labels matched by nodeSelector, affinity and topology spread (e.g. `zone: a`). */
      labels: z.record(z.string(), z.string()).default({}),
      /** Taints that keep workloads away unless they tolerate them. */
      taints: z
        .array(z.strictObject({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) }))
        .default([]),
      /** What the node offers; each omitted field is detected (cpus × 1000, total memory, 4096 pids). */
      capacity: z
        .strictObject({ cpuMillis: cpuSchema.optional(), memoryBytes: memorySchema.optional(), pids: z.number().int().min(1).optional() })
        .default({}),
      /** The address its workloads are reachable at (A records); host networking. */
      address: z.string().min(1).default('127.0.0.1'),
    })
    .prefault({}),
  /** The cluster domain of service records; default the resolver's zone domain, else `hypermesh.local`. */
  domain: z.string().optional(),
  /** TTL of service records, in seconds (short: records move when workloads do). */
  recordTtl: z.number().int().min(0).default(5),
  /** Namespace quotas every replica starts with (cluster-wide). */
  quotas: z.record(dnsLabel, quotaLimitsSchema).default({}),
  /** The scheduling framework (cluster-wide). */
  framework: z
    .strictObject({
      /** Share of nodes to find feasible before scoring: 0 adapts to the cluster size, 100 scores every node. */
      percentageOfNodesToScore: z.number().min(0).max(100).default(0),
      /** Built-in plugins to leave out. */
      disabledPlugins: z.array(z.enum(BUILTIN_PLUGIN_NAMES)).default([]),
      /** Score weights by built-in plugin name. */
      weights: z.partialRecord(z.enum(BUILTIN_PLUGIN_NAMES), z.number().min(0)).default({}),
      /** Nodes below this agreed reputation get no workloads. */
      minReputation: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  /** A node silent for longer than this (agreed time) is not ready and loses its workloads (cluster-wide); 0 never. */
  nodeTimeoutMs: durationSchema.default(5000),
  /** How often this node's agent sends a heartbeat through consensus. */
  heartbeatIntervalMs: durationSchema.default(1000),
  /** How often consensus.status() is read for reputation changes to report. */
  reputationPollMs: durationSchema.default(2000),
  /** How long deploy/remove wait for consensus. */
  submitTimeoutMs: durationSchema.default(15_000),
  /** The node agent: runs the workloads placed on this node. */
  agent: z
    .strictObject({
      /** Run workloads on this node at all (false: a scheduling-only node, it registers no capacity). */
      enabled: z.boolean().default(true),
      /** `auto`: runc when root and runc work here (a probe container runs), else plain processes. */
      runtime: z.enum(['auto', 'runc', 'process']).default('auto'),
      /** Where the rootfs, bundles and work directories go. */
      stateDir: z.string().default(join(tmpdir(), 'hypermesh-scheduler')),
      /** runc's state directory (`runc --root`). */
      runcRoot: z.string().default('/run/hypermesh-runc'),
      /** The static busybox the default rootfs is built from. */
      busybox: z.string().default('/bin/busybox'),
      /** Lines of output kept per workload. */
      logLines: z.number().int().min(10).max(100_000).default(1000),
      /** Restart back-off: first delay, doubling up to the maximum, reset after a run this long. */
      restartBackoff: z
        .strictObject({ initialMs: durationSchema.default(1000), maxMs: durationSchema.default(60_000), resetAfterMs: durationSchema.default(60_000) })
        .prefault({}),
      /** How long a stopped container gets between SIGTERM and SIGKILL. */
      stopGraceMs: durationSchema.default(5000),
    })
    .prefault({}),
});

/** The parsed config. */
export type SchedulerConfig = z.output<typeof schedulerConfigSchema>;

/** This machine's capacity where the config leaves it out. */
export function detectedCapacity(config: SchedulerConfig['node']['capacity']): { cpuMillis: number; memoryBytes: number; pids: number } {
  return {
    cpuMillis: config.cpuMillis ?? cpus().length * 1000,
    memoryBytes: config.memoryBytes ?? totalmem(),
    pids: config.pids ?? 4096,
  };
}
