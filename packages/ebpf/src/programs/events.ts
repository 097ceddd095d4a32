/** Decodes the records of the shared `events` ring buffer into the runtime's `DatapathEvent`s. */
import type { DatapathEvent } from '@hypermesh/runtime';
import { formatAddress } from '../policy/address.js';
import { decodeDnsName } from './dns-wire.js';
import { hmDnsEvent, hmFlowEvent } from './layouts.js';

// enum hm_event_kind and enum hm_drop_reason (bpf/include/hypermesh.h)
const KIND_FLOW = 1;
const KIND_DNS_DROP = 2;
const KIND_DNS_ANSWERED = 3;
const DROP_REASONS = [undefined, 'blocked', 'rate-limited', 'malformed'] as const;

/** Converts a kernel timestamp (CLOCK_MONOTONIC ns) to the clock service's milliseconds. */
export type KernelTime = (monotonicNs: bigint) => number;

/**
 * Decodes one record; `undefined` for a record of unknown kind or size (skipped and counted by
 * the reader, never thrown: the ring is input from outside this process).
 */
export function decodeDatapathRecord(view: DataView, offset: number, length: number, time: KernelTime): DatapathEvent | undefined {
  if (length < 4) return undefined;
  const kind = view.getUint32(offset, true);
  if (kind === KIND_FLOW && length >= hmFlowEvent.size) {
    const e = hmFlowEvent.read(view, offset);
    return {
      kind: 'flow',
      at: time(e.at_ns),
      source: formatAddress(e.saddr.bytes),
      destination: formatAddress(e.daddr.bytes),
      sourcePort: e.sport,
      destinationPort: e.dport,
      protocol: e.protocol,
      packets: Number(e.packets),
      bytes: Number(e.bytes),
      packetSize: e.packet_size,
    };
  }
  if ((kind === KIND_DNS_DROP || kind === KIND_DNS_ANSWERED) && length >= hmDnsEvent.size) {
    const e = hmDnsEvent.read(view, offset);
    const source = formatAddress(e.saddr.bytes);
    if (kind === KIND_DNS_ANSWERED) {
      const type = e.qtype === 28 ? 'AAAA' : e.qtype === 1 ? 'A' : undefined;
      if (!type) return undefined;
      return { kind: 'dns-answered', at: time(e.at_ns), source, name: decodeDnsName(e.qname, 0, e.qname_len), type };
    }
    const reason = DROP_REASONS[e.reason];
    if (!reason) return undefined;
    return { kind: 'dns-drop', at: time(e.at_ns), source, reason };
  }
  return undefined;
}
