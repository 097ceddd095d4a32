/** The datapath plugin's configuration (the `@hypermesh/ebpf` slice of a node's config). */
import { z } from 'zod';

/** An interface to attach to at start. */
export const interfaceConfig = z.object({
  /** The interface name, e.g. `eth0`. */
  name: z.string().min(1),
  /** XDP mode; default generic on virtual devices, native on NICs. */
  xdpMode: z.enum(['generic', 'native']).optional(),
  /** The DNS server's addresses on it (default: all of the interface's addresses). */
  addresses: z.array(z.string()).optional(),
});

/** The datapath plugin's config schema, with its defaults. */
export const datapathConfig = z.object({
  /**
   * `auto` (default): eBPF where this machine allows it, else userspace, logging why. `kernel`:
   * fail to start without eBPF. `userspace`: never load programs.
   */
  mode: z.enum(['auto', 'kernel', 'userspace']).default('auto'),
  /** Interfaces to attach to at start (more can be attached through the service). */
  interfaces: z.array(interfaceConfig).default([]),
  /** The DNS server's UDP port. */
  dnsPort: z.number().int().min(1).max(65535).default(53),
  /** Answers the cache holds (kernel map size and userspace cache). */
  cacheEntries: z.number().int().min(1).max(1_048_576).default(65_536),
  /** 1 in N answers served by XDP is reported as a `dns-answered` event; 0 for none. */
  answeredEventEvery: z.number().int().min(0).default(1),
  /** A flow is sampled to the event stream at most once per this many milliseconds. */
  flowReportIntervalMs: z.number().int().min(1).default(1_000),
  /** Rate-limit bucket size, in seconds of the rate (burst = qps × burstSeconds, at least 1). */
  burstSeconds: z.number().positive().default(1),
  /** Per-source token buckets kept in userspace (least recently used go first). */
  maxBuckets: z.number().int().min(1).default(65_536),
  /** Events queued per `events()` subscriber before it starts losing them. */
  eventQueue: z.number().int().min(1).default(4_096),
  /** How often expired blocks and answers are removed. */
  sweepIntervalMs: z.number().int().min(10).default(1_000),
});

/** The parsed config. */
export type DatapathConfig = z.output<typeof datapathConfig>;
