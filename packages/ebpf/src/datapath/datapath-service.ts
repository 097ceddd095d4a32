/**
 * The `datapath` service. One implementation serves both modes: the userspace policy, answer
 * cache and event hub are always there (they are the whole datapath in userspace mode, and back
 * `admit`/`dnsCache.get` in kernel mode); a kernel backend, when present, mirrors every change
 * into the BPF maps and adds the kernel's counters and events.
 */
import type {
  ClockService,
  DatapathAttachOptions,
  DatapathCapabilities,
  DatapathDnsEntry,
  DatapathEvent,
  DatapathService,
  DatapathStats,
  DatapathVerdict,
} from '@hypermesh/runtime';
import type { ProgramStatistics } from '../object/bpf-program.js';
import { formatAddress, parseAddress } from '../policy/address.js';
import { DnsAnswerCache, type CachedAnswer } from '../policy/dns-cache.js';
import { DatapathPolicy, type BlockRule, type RateLimitRule } from '../policy/datapath-policy.js';
import type { EventHub } from './event-hub.js';

/** What the kernel side adds; see kernel-backend.ts. */
export interface KernelBackend {
  attach(iface: string, options: DatapathAttachOptions): void;
  detach(iface: string): void;
  /** Interfaces the programs are attached to. */
  interfaces(): string[];
  putAnswer(answer: CachedAnswer): void;
  deleteAnswer(answer: CachedAnswer): void;
  clearAnswers(): void;
  block(rule: BlockRule, ttlMs: number): void;
  unblock(address: Uint8Array): void;
  rateLimit(rule: RateLimitRule): void;
  /** Turns the kernel's blocklist / rate-limit checks on only while they have entries. */
  setPolicyActive(blocking: boolean, rateLimiting: boolean): void;
  counters(): KernelCounters;
  /** Run statistics of the loaded programs (counted while BPF stats are enabled). */
  programStatistics(): Array<ProgramStatistics & { readonly program: string }>;
  close(): void;
}

/** The kernel's counters, summed over CPUs and programs. */
export interface KernelCounters {
  readonly packets: number;
  readonly answered: number;
  readonly passed: number;
  readonly blocked: number;
  readonly rateLimited: number;
  readonly malformed: number;
  readonly eventsLost: number;
}

/** Options of {@link createDatapathService}. */
export interface DatapathServiceOptions {
  readonly clock: ClockService;
  readonly capabilities: DatapathCapabilities;
  readonly kernel?: KernelBackend;
  readonly hub: EventHub;
  readonly burstSeconds: number;
  readonly maxBuckets: number;
  readonly cacheEntries: number;
}

/** The service plus what the plugin needs to run it. */
export interface DatapathRuntime {
  readonly service: DatapathService;
  /** Removes expired blocks and answers (kernel maps too). */
  sweep(): void;
  /** Userspace counters, for metrics. */
  readonly policy: DatapathPolicy;
  readonly cache: DnsAnswerCache;
}

/** Builds the `datapath` service for one mode. */
export function createDatapathService(options: DatapathServiceOptions): DatapathRuntime {
  const { clock, kernel, hub } = options;
  const policy = new DatapathPolicy(clock, { burstSeconds: options.burstSeconds, maxBuckets: options.maxBuckets });
  const cache = new DnsAnswerCache(clock, options.cacheEntries);
  const attached = new Set<string>();
  const syncPolicyFlags = () => kernel?.setPolicyActive(policy.blockedCount > 0, policy.rateLimitCount > 0);

  const service = {
    capabilities: () => options.capabilities,
    async attach(iface: string, attachOptions: DatapathAttachOptions = {}) {
      if (kernel) kernel.attach(iface, attachOptions);
      else attached.add(iface);
    },
    async detach(iface: string) {
      if (kernel) kernel.detach(iface);
      else attached.delete(iface);
    },
    dnsCache: {
      put(entry: DatapathDnsEntry) {
        const answer = cache.put(entry);
        kernel?.putAnswer(answer);
      },
      get: (name: string, type: 'A' | 'AAAA') => cache.get(name, type),
      delete(name: string, type: 'A' | 'AAAA') {
        const answer = cache.delete(name, type);
        if (answer) kernel?.deleteAnswer(answer);
      },
      clear() {
        cache.clear();
        kernel?.clearAnswers();
      },
      size: () => cache.size,
    },
    block(address: string, ttlMs: number) {
      const rule = policy.block(address, ttlMs);
      kernel?.block(rule, ttlMs);
      syncPolicyFlags();
    },
    unblock(address: string) {
      const bytes = policy.unblock(address);
      kernel?.unblock(bytes);
      syncPolicyFlags();
    },
    rateLimit(prefix: string, qps: number) {
      const rule = policy.rateLimit(prefix, qps);
      kernel?.rateLimit(rule);
      syncPolicyFlags();
    },
    admit(address: string): DatapathVerdict {
      const verdict = policy.admit(address);
      if (verdict !== 'pass' && hub.active) {
        hub.publish({ kind: 'dns-drop', at: clock.now(), source: formatAddress(parseAddress(address)), reason: verdict === 'block' ? 'blocked' : 'rate-limited' });
      }
      return verdict;
    },
    events: (): AsyncIterable<DatapathEvent> => hub.subscribe(),
    stats(): DatapathStats {
      const c = policy.counters;
      const k = kernel?.counters();
      const userspaceDropped = c.blocked + c.rateLimited;
      return {
        packets: k ? k.packets : c.admitted + userspaceDropped,
        dnsAnsweredInKernel: k?.answered ?? 0,
        dnsPassed: k ? k.passed : c.admitted,
        dropped: (k ? k.blocked + k.rateLimited + k.malformed : 0) + userspaceDropped,
        rateLimited: (k?.rateLimited ?? 0) + c.rateLimited,
        lostEvents: (k?.eventsLost ?? 0) + hub.dropped,
      };
    },
  } satisfies DatapathService;

  return {
    service,
    policy,
    cache,
    sweep() {
      for (const answer of cache.sweep()) kernel?.deleteAnswer(answer);
      const expired = policy.sweep();
      for (const rule of expired) kernel?.unblock(rule.address);
      if (expired.length > 0) syncPolicyFlags();
    },
  };
}
