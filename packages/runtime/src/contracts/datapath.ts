import { createServiceRef } from '../services/service-ref.js';
import type { FlowObservation } from './analytics.js';

/** What the datapath can do on this machine, and what is missing for the rest. */
export interface DatapathCapabilities {
  /** `kernel`: eBPF programs enforce; `userspace`: the DNS server enforces the same contract. */
  readonly mode: 'kernel' | 'userspace';
  readonly root: boolean;
  readonly capBpf: boolean;
  readonly capNetAdmin: boolean;
  /** Kernel BTF available at /sys/kernel/btf/vmlinux. */
  readonly btf: boolean;
  /** libbpf version, when libbpf.so.1 loads. */
  readonly libbpfVersion?: string;
  readonly xdpModes: readonly ('generic' | 'native')[];
  readonly tc: boolean;
  readonly ringBuffer: boolean;
  /**
   * Sentences naming each missing capability and the fallback chosen. In kernel mode it lists only
   * partial losses (e.g. no TC: flows are not counted); empty when everything works.
   */
  readonly missing: readonly string[];
}

/** A cached A/AAAA answer the datapath may serve without userspace. */
export interface DatapathDnsEntry {
  /** Lower-case name without trailing dot. */
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  /** Addresses in the answer (at most 8). */
  readonly addresses: readonly string[];
  /** TTL in seconds, also the entry's lifetime. Answers served later carry the remaining TTL. */
  readonly ttl: number;
  /** The consensus sequence that committed this answer, kept with it for provenance (0 or absent: local). @since 1.1.0 */
  readonly consensusSequence?: number;
}

/** Options of {@link DatapathService.attach}. */
export interface DatapathAttachOptions {
  /** XDP mode; default: `generic` on virtual devices (veth, bridges), `native` on real NICs. */
  readonly xdpMode?: 'generic' | 'native';
  /** The UDP port of the DNS server (default: the datapath's configured port, 53). */
  readonly dnsPort?: number;
  /**
   * The addresses the DNS server listens on: only queries to them are answered or limited in the
   * kernel. Default: every address of the interface. @since 1.1.0
   */
  readonly addresses?: readonly string[];
}

/** What the datapath decides for a source address. */
export type DatapathVerdict = 'pass' | 'block' | 'rate-limit';

/** Events the datapath streams to analytics. */
export type DatapathEvent =
  | FlowObservation
  | { readonly kind: 'dns-drop'; readonly at: number; readonly source: string; readonly reason: 'blocked' | 'rate-limited' | 'malformed' }
  | { readonly kind: 'dns-answered'; readonly at: number; readonly source: string; readonly name: string; readonly type: 'A' | 'AAAA' };

/** Datapath counters. */
export interface DatapathStats {
  /** Packets the datapath judged: every packet XDP saw in kernel mode, every `admit` call in userspace mode. */
  readonly packets: number;
  /** DNS queries answered by XDP from the cache (0 in userspace mode). */
  readonly dnsAnsweredInKernel: number;
  /** DNS queries let through to the DNS server. */
  readonly dnsPassed: number;
  /** Packets or queries dropped for any reason (blocked, rate-limited, malformed). */
  readonly dropped: number;
  /** The part of `dropped` that was over a rate limit. */
  readonly rateLimited: number;
  /** Events lost because the ring buffer or the consumer was full. */
  readonly lostEvents: number;
}

/**
 * The packet datapath: eBPF (XDP `dns_filter`, TC `flow_stats`) where the kernel allows, else the
 * same contract in userspace, enforced by the DNS server through `admit`.
 *
 * Policy is per source address: a block drops every packet from the address; a rate limit gives
 * each source address inside the prefix its own token bucket of `qps` (burst: one second's worth,
 * at least 1). In kernel mode XDP applies both to UDP DNS queries arriving on attached interfaces
 * before any socket sees them; `admit` applies the same policy, with its own buckets, to whatever
 * the DNS server asks about (TCP, DoT, DoH, UDP on other interfaces, or everything in userspace
 * mode) — a source within its limit passes both.
 *
 * Errors: `attach` rejects with `E_EBPF_…` codes that carry the verifier log or errno; everything
 * else is synchronous and throws only for malformed arguments (`E_DATAPATH_ARGUMENT`).
 */
export interface DatapathService {
  /** What works here and what is missing. */
  capabilities(): DatapathCapabilities;
  /**
   * Attaches the programs to an interface (kernel mode: XDP `dns_filter` and TC `flow_stats`;
   * attaching again changes nothing); a no-op in userspace mode.
   */
  attach(iface: string, options?: DatapathAttachOptions): Promise<void>;
  /** Detaches from an interface. */
  detach(iface: string): Promise<void>;
  /** Answers served by the datapath for hot names (in the kernel, or from `get` in userspace mode). */
  readonly dnsCache: {
    put(entry: DatapathDnsEntry): void;
    /** The entry with its remaining TTL, or `undefined` when absent or expired. @since 1.1.0 */
    get(name: string, type: 'A' | 'AAAA'): DatapathDnsEntry | undefined;
    delete(name: string, type: 'A' | 'AAAA'): void;
    clear(): void;
    size(): number;
  };
  /** Drops packets from `address` for `ttlMs` (`Infinity`: until unblocked). */
  block(address: string, ttlMs: number): void;
  /** Lifts a block. */
  unblock(address: string): void;
  /**
   * Limits DNS queries from each source address in a prefix (CIDR, e.g. `10.0.0.0/24`, or a bare
   * address) to `qps` (at most 1,000,000); 0 removes the limit. The longest matching prefix applies.
   */
  rateLimit(prefix: string, qps: number): void;
  /** The verdict for a query from `address` now; a passed query takes a token from its bucket. */
  admit(address: string): DatapathVerdict;
  /**
   * Events as an async iterator (each call is an independent subscriber with a bounded queue; a
   * subscriber that falls behind loses events, counted in `lostEvents`); ends when the datapath stops.
   */
  events(): AsyncIterable<DatapathEvent>;
  /** Counters since start. */
  stats(): DatapathStats;
}

/** The `datapath` service. */
export const datapathRef = createServiceRef<DatapathService>({
  id: 'datapath',
  version: '1.1.0',
  description: 'Packet datapath: XDP/TC eBPF programs or their userspace equivalent',
});
