/**
 * The shipped XDP program `dns_filter` (bpf/dns_filter.bpf.c) and its maps, typed. Times the
 * kernel compares are CLOCK_MONOTONIC nanoseconds, the clock `process.hrtime` reads.
 */
import type { XdpAttachment, XdpMode } from '../attach/xdp.js';
import { BpfObject } from '../object/bpf-object.js';
import type { BpfMap, PerCpuBpfMap } from '../maps/bpf-map.js';
import type { RawBpfMap } from '../maps/raw-map.js';
import type { Prefix } from '../policy/address.js';
import type { CachedAnswer } from '../policy/dns-cache.js';
import {
  DNS_MAX_ANSWERS,
  arrayIndex,
  blockEntry,
  dnsCacheEntry,
  dnsCacheKey,
  dnsFilterConfig,
  dnsFilterStats,
  dnsSourceStats,
  hmAddr,
  rateLimitEntry,
  rateLimitKey,
  rateLimitPolicy,
} from './layouts.js';
import type { LayoutValue } from '../layout/layout.js';
import { shippedObjectPath } from './objects.js';
import { sumCounters } from './sum.js';

/** `struct dns_filter_stats`, summed over CPUs. */
export type DnsFilterStats = LayoutValue<typeof dnsFilterStats>;
/** `struct dns_source_stats`, summed over CPUs. */
export type DnsSourceStats = LayoutValue<typeof dnsSourceStats>;

/** Maps whose contents are state worth keeping across restarts (pinned when a pin directory is set). */
export const DNS_FILTER_STATE_MAPS = ['dns_cache', 'blocklist', 'rate_limits'] as const;

/** Options of {@link DnsFilterProgram.load}. */
export interface DnsFilterLoadOptions {
  /** A ring buffer to write events to instead of the object's own (shared with flow_stats). */
  readonly events?: RawBpfMap;
  /** Size of the answer cache map. */
  readonly cacheEntries?: number;
  /** Existing maps to use instead of creating new ones (pinned state), by map name. */
  readonly reuseMaps?: Readonly<Record<string, RawBpfMap>>;
}

/** Monotonic nanoseconds now (CLOCK_MONOTONIC, as bpf_ktime_get_ns()). */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

const U64_MAX = 0xffffffffffffffffn;


/** The loaded `dns_filter` object with typed access to its maps. */
export class DnsFilterProgram {
  readonly object: BpfObject;
  readonly cache: BpfMap<LayoutValue<typeof dnsCacheKey>, LayoutValue<typeof dnsCacheEntry>>;
  readonly blocklist: BpfMap<LayoutValue<typeof hmAddr>, LayoutValue<typeof blockEntry>>;
  readonly rateLimits: BpfMap<LayoutValue<typeof rateLimitKey>, LayoutValue<typeof rateLimitPolicy>>;
  /** Per-source token buckets, kept by the program. */
  readonly buckets: BpfMap<LayoutValue<typeof hmAddr>, LayoutValue<typeof rateLimitEntry>>;
  readonly servers: BpfMap<LayoutValue<typeof hmAddr>, number>;
  readonly config: BpfMap<number, LayoutValue<typeof dnsFilterConfig>>;
  readonly stats: PerCpuBpfMap<number, DnsFilterStats>;
  readonly sources: PerCpuBpfMap<LayoutValue<typeof hmAddr>, DnsSourceStats>;
  #config: LayoutValue<typeof dnsFilterConfig> = { port: 0, block_enabled: 0, rate_limit_enabled: 0, answered_event_every: 0 };

  private constructor(object: BpfObject) {
    this.object = object;
    this.cache = object.map('dns_cache').typed(dnsCacheKey, dnsCacheEntry);
    this.blocklist = object.map('blocklist').typed(hmAddr, blockEntry);
    this.rateLimits = object.map('rate_limits').typed(rateLimitKey, rateLimitPolicy);
    this.buckets = object.map('rate_buckets').typed(hmAddr, rateLimitEntry);
    this.servers = object.map('dns_servers').typed(hmAddr, arrayIndex);
    this.config = object.map('dns_config').typed(arrayIndex, dnsFilterConfig);
    this.stats = object.map('dns_stats').perCpuTyped(arrayIndex, dnsFilterStats);
    this.sources = object.map('dns_sources').perCpuTyped(hmAddr, dnsSourceStats);
  }

  /** Opens and loads the shipped object. */
  static load(options: DnsFilterLoadOptions = {}): DnsFilterProgram {
    const object = BpfObject.open(shippedObjectPath('dns_filter'));
    try {
      object.load({
        maxEntries: options.cacheEntries ? { dns_cache: options.cacheEntries } : undefined,
        reuseMaps: { ...(options.events ? { events: options.events } : {}), ...options.reuseMaps },
      });
      return new DnsFilterProgram(object);
    } catch (err) {
      object.close();
      throw err;
    }
  }

  /** The ring buffer the program writes events to. */
  get events(): RawBpfMap {
    return this.object.map('events');
  }

  /** Attaches the program to an interface. */
  attach(iface: string, mode: XdpMode): XdpAttachment {
    return this.object.program('dns_filter').attachXdp(iface, { mode });
  }

  /** Sets the UDP port queries are served on and the sampling of answered-query events (1 in N, 0 for none). */
  configure(options: { readonly port?: number; readonly answeredEventEvery?: number; readonly blocking?: boolean; readonly rateLimiting?: boolean }): void {
    this.#config = {
      port: options.port ?? this.#config.port,
      answered_event_every: options.answeredEventEvery ?? this.#config.answered_event_every,
      block_enabled: options.blocking === undefined ? this.#config.block_enabled : Number(options.blocking),
      rate_limit_enabled: options.rateLimiting === undefined ? this.#config.rate_limit_enabled : Number(options.rateLimiting),
    };
    this.config.update(0, this.#config);
  }

  /** Adds an address the DNS server listens on (queries to others pass untouched). */
  addServer(address: Uint8Array): void {
    this.servers.update({ bytes: address }, 1);
  }

  /** Writes a cached answer; the kernel answers it until `expiresAtNs`. */
  putAnswer(answer: CachedAnswer, expiresAtNs: bigint, consensusSeq = 0n): void {
    const rdata = new Uint8Array(DNS_MAX_ANSWERS * 16);
    answer.rdata.forEach((r, i) => rdata.set(r, i * 16));
    this.cache.update(
      { qname: answer.wire, qtype: answer.entry.type === 'A' ? 1 : 28, reserved: 0 },
      { expires_at_ns: expiresAtNs, consensus_seq: consensusSeq, count: answer.rdata.length, rdata_len: answer.entry.type === 'A' ? 4 : 16, reserved: 0, rdata },
    );
  }

  /** Removes a cached answer. */
  deleteAnswer(wire: Uint8Array, type: 'A' | 'AAAA'): void {
    this.cache.delete({ qname: wire, qtype: type === 'A' ? 1 : 28, reserved: 0 });
  }

  /** Blocks a source until `expiresAtNs` (undefined: no expiry). */
  block(address: Uint8Array, expiresAtNs: bigint | undefined): void {
    this.blocklist.update({ bytes: address }, { expires_at_ns: expiresAtNs ?? U64_MAX, dropped: 0n });
  }

  /** Lifts a block. */
  unblock(address: Uint8Array): void {
    this.blocklist.delete({ bytes: address });
  }

  /** Sets (qps > 0) or removes the rate limit of a prefix. */
  setRateLimit(prefix: Prefix, qps: number, burst: number): void {
    const key = { prefixlen: prefix.length, addr: { bytes: prefix.address } };
    if (qps > 0) this.rateLimits.update(key, { qps, burst });
    else this.rateLimits.delete(key);
  }

  /** Counters summed over CPUs. */
  totals(): DnsFilterStats {
    return sumCounters(this.stats.lookup(0) ?? []);
  }

  /** Per-source counters summed over CPUs (one batch syscall per ~1000 sources). */
  sourceStats(): Array<[Uint8Array, DnsSourceStats]> {
    return this.sources.entries().map(([k, v]) => [k.bytes, sumCounters(v)]);
  }

  /** Unloads the object (attachments keep the program until they are detached). */
  close(): void {
    this.object.close();
  }
}
