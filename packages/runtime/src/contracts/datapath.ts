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
  /** Sentences naming each missing capability and the fallback chosen. Empty in kernel mode. */
  readonly missing: readonly string[];
}

/** A cached A/AAAA answer the datapath may serve without userspace. */
export interface DatapathDnsEntry {
  /** Lower-case name without trailing dot. */
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  /** Addresses in the answer (at most 8). */
  readonly addresses: readonly string[];
  /** TTL in seconds, also the entry's lifetime. */
  readonly ttl: number;
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
  readonly packets: number;
  readonly dnsAnsweredInKernel: number;
  readonly dnsPassed: number;
  readonly dropped: number;
  readonly rateLimited: number;
  /** Events lost because the ring buffer or the consumer was full. */
  readonly lostEvents: number;
}

/**
 * The packet datapath: eBPF (XDP `dns_filter`, TC `flow_stats`) where the kernel allows, else the
 * same contract in userspace, enforced by the DNS server through `admit`.
 *
 * Errors: `attach` rejects with `E_EBPF_…` codes that carry the verifier log or errno; everything
 * else is synchronous and throws only for malformed arguments (`E_DATAPATH_ARGUMENT`).
 */
export interface DatapathService {
  /** What works here and what is missing. */
  capabilities(): DatapathCapabilities;
  /** Loads and attaches the programs on an interface (kernel mode); a no-op in userspace mode. */
  attach(iface: string, options?: { readonly xdpMode?: 'generic' | 'native'; readonly dnsPort?: number }): Promise<void>;
  /** Detaches from an interface. */
  detach(iface: string): Promise<void>;
  /** Answers served by the datapath for hot names. */
  readonly dnsCache: {
    put(entry: DatapathDnsEntry): void;
    delete(name: string, type: 'A' | 'AAAA'): void;
    clear(): void;
    size(): number;
  };
  /** Drops packets from `address` for `ttlMs`. */
  block(address: string, ttlMs: number): void;
  /** Lifts a block. */
  unblock(address: string): void;
  /** Limits DNS queries from a prefix (CIDR, e.g. `10.0.0.0/24`) to `qps`; 0 removes the limit. */
  rateLimit(prefix: string, qps: number): void;
  /** The verdict for a source now (userspace enforcement; also true of the kernel maps). */
  admit(address: string): DatapathVerdict;
  /** Events as an async iterator; ends when the datapath stops. */
  events(): AsyncIterable<DatapathEvent>;
  /** Counters since start. */
  stats(): DatapathStats;
}

/** The `datapath` service. */
export const datapathRef = createServiceRef<DatapathService>({
  id: 'datapath',
  version: '1.0.0',
  description: 'Packet datapath: XDP/TC eBPF programs or their userspace equivalent',
});
