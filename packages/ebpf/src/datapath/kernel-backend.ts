/**
 * The kernel side of the datapath: `dns_filter` (XDP) and `flow_stats` (TC) loaded once, writing
 * to one shared ring buffer, attached per interface, with every policy change mirrored into their
 * maps. Times in the maps are CLOCK_MONOTONIC, so the kernel enforces expiries on its own.
 */
import { networkInterfaces } from 'node:os';
import type { ClockService, DatapathAttachOptions, DatapathEvent } from '@hypermesh/runtime';
import type { Attachment } from '../attach/link.js';
import { EbpfError, EbpfErrorCode } from '../errors.js';
import { DnsFilterProgram, monotonicNs } from '../programs/dns-filter.js';
import { decodeDatapathRecord } from '../programs/events.js';
import { FlowStatsProgram } from '../programs/flow-stats.js';
import { addressKey, parseAddress } from '../policy/address.js';
import type { CachedAnswer } from '../policy/dns-cache.js';
import type { BlockRule, RateLimitRule } from '../policy/datapath-policy.js';
import { RingBufferReader } from '../ringbuf/ring-buffer.js';
import { ifindexOf, isVirtualInterface } from '../system/interfaces.js';
import { libbpf } from '../native/libbpf.js';
import type { EventHub } from './event-hub.js';
import type { KernelBackend, KernelCounters } from './datapath-service.js';

/** Options of {@link createKernelBackend}. */
export interface KernelBackendOptions {
  readonly clock: ClockService;
  readonly hub: EventHub;
  readonly dnsPort: number;
  readonly cacheEntries: number;
  readonly answeredEventEvery: number;
  readonly flowReportIntervalMs: number;
  readonly ringHighWaterMark: number;
  /** Called once per interface attached, with what was attached. */
  readonly onAttach?: (iface: string, description: string) => void;
}

interface Attached {
  readonly xdp: Attachment;
  readonly tc: Attachment | undefined;
  readonly addresses: readonly Uint8Array[];
}

const MS = 1_000_000n;

/** Loads both programs; throws `E_EBPF_…` when the kernel refuses them. */
export function createKernelBackend(options: KernelBackendOptions): KernelBackend {
  const dns = DnsFilterProgram.load({ cacheEntries: options.cacheEntries });
  let flows: FlowStatsProgram | undefined;
  let reader: RingBufferReader<DatapathEvent> | undefined;
  try {
    flows = FlowStatsProgram.load({ events: dns.events });
    flows.setReportInterval(options.flowReportIntervalMs);
    dns.configure({ port: options.dnsPort, answeredEventEvery: options.answeredEventEvery, blocking: false, rateLimiting: false });
    const { clock, hub } = options;
    const time = (ns: bigint) => clock.now() - Number(monotonicNs() - ns) / 1e6;
    reader = new RingBufferReader(dns.events, {
      // nobody listening: skip the decoding, keep the ring drained so listeners see fresh events
      decode: (view, offset, length) => (hub.active ? decodeDatapathRecord(view, offset, length, time) : undefined),
      highWaterMark: options.ringHighWaterMark,
    });
  } catch (err) {
    flows?.close();
    dns.close();
    throw err;
  }
  const events: RingBufferReader<DatapathEvent> = reader;
  void (async () => {
    for await (const event of events) options.hub.publish(event);
  })();

  const attached = new Map<string, Attached>();
  const serverRefs = new Map<string, number>();

  const addServer = (address: Uint8Array) => {
    const key = addressKey(address);
    serverRefs.set(key, (serverRefs.get(key) ?? 0) + 1);
    dns.addServer(address);
  };
  const removeServer = (address: Uint8Array) => {
    const key = addressKey(address);
    const n = (serverRefs.get(key) ?? 1) - 1;
    if (n > 0) serverRefs.set(key, n);
    else {
      serverRefs.delete(key);
      dns.servers.delete({ bytes: address });
    }
  };

  return {
    attach(iface, attachOptions: DatapathAttachOptions) {
      if (attached.has(iface)) return;
      ifindexOf(libbpf(), iface);
      const addresses = (attachOptions.addresses ?? interfaceAddresses(iface)).map(parseAddress);
      if (addresses.length === 0) {
        throw new EbpfError(EbpfErrorCode.Interface, `interface '${iface}' has no addresses for the DNS server: give attach() the addresses it listens on`);
      }
      if (attachOptions.dnsPort !== undefined) dns.configure({ port: attachOptions.dnsPort });
      const mode = attachOptions.xdpMode ?? (isVirtualInterface(iface) ? 'generic' : 'native');
      const xdp = dns.attach(iface, mode);
      let tc: Attachment | undefined;
      try {
        tc = flows?.attach(iface);
      } catch (err) {
        xdp.detach();
        throw err;
      }
      for (const a of addresses) addServer(a);
      attached.set(iface, { xdp, tc, addresses });
      options.onAttach?.(iface, [xdp.description, tc?.description].filter(Boolean).join(' and '));
    },
    detach(iface) {
      const a = attached.get(iface);
      if (!a) return;
      attached.delete(iface);
      a.tc?.detach();
      a.xdp.detach();
      for (const address of a.addresses) removeServer(address);
    },
    interfaces: () => [...attached.keys()],
    putAnswer(answer: CachedAnswer) {
      const ttlNs = BigInt(answer.entry.ttl) * 1000n * MS;
      dns.putAnswer(answer, monotonicNs() + ttlNs, BigInt(answer.entry.consensusSequence ?? 0));
    },
    deleteAnswer: (answer: CachedAnswer) => dns.deleteAnswer(answer.wire, answer.entry.type),
    clearAnswers: () => void dns.cache.clear(),
    block(rule: BlockRule, ttlMs: number) {
      dns.block(rule.address, Number.isFinite(ttlMs) ? monotonicNs() + BigInt(Math.ceil(ttlMs)) * MS : undefined);
    },
    unblock: (address: Uint8Array) => dns.unblock(address),
    rateLimit: (rule: RateLimitRule) => dns.setRateLimit(rule.prefix, rule.qps, rule.burst),
    setPolicyActive: (blocking, rateLimiting) => dns.configure({ blocking, rateLimiting }),
    counters(): KernelCounters {
      const d = dns.totals();
      const f = flows?.sum();
      return {
        packets: Number(d.packets),
        answered: Number(d.answered),
        passed: Number(d.passed),
        blocked: Number(d.blocked),
        rateLimited: Number(d.rate_limited),
        malformed: Number(d.malformed),
        eventsLost: Number(d.events_lost) + Number(f?.events_lost ?? 0n),
      };
    },
    close() {
      for (const iface of [...attached.keys()]) this.detach(iface);
      events.close();
      flows?.close();
      dns.close();
    },
    programStatistics() {
      return [dns.object.program('dns_filter'), ...(flows ? [flows.object.program('flow_stats')] : [])].map((p) => ({ program: p.name, ...p.statistics() }));
    },
  };
}

/** The addresses of an interface, as the DNS server would bind them. */
function interfaceAddresses(iface: string): string[] {
  return (networkInterfaces()[iface] ?? []).map((a) => a.address.split('%')[0] ?? a.address);
}
