import type { AnalyticsEvent, DnsObservation, FlowObservation } from '@hypermesh/runtime';

/** Why an event was dropped: the label of the `hypermesh_stoq_events_dropped_total` metric. */
export type DropReason = 'not-an-event' | 'bad-time' | 'bad-client' | 'bad-name' | 'bad-type' | 'bad-size' | 'bad-flow' | 'internal';

const RCODES = new Set(['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']);
const TYPE = /^(?:[A-Z]{1,10}|TYPE\d{1,5})$/;

const finiteTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const address = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 100;
const count = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e12;
const port = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;

/**
 * Checks an event from outside at the edge, without allocating: returns the typed event or the
 * reason to drop it. Names are checked later, when they are parsed.
 */
export function validateEvent(event: unknown): AnalyticsEvent | DropReason {
  if (event === null || typeof event !== 'object') return 'not-an-event';
  const e = event as Record<string, unknown>;
  if (e.kind === 'dns') {
    if (!finiteTime(e.at)) return 'bad-time';
    if (!address(e.client)) return 'bad-client';
    if (typeof e.name !== 'string') return 'bad-name';
    if (typeof e.type !== 'string' || !TYPE.test(e.type)) return 'bad-type';
    if (e.rcode !== undefined && (typeof e.rcode !== 'string' || !RCODES.has(e.rcode))) return 'bad-type';
    if (e.responseSize !== undefined && !(count(e.responseSize) && (e.responseSize as number) <= 65535)) return 'bad-size';
    return event as DnsObservation;
  }
  if (e.kind === 'flow') {
    if (!finiteTime(e.at)) return 'bad-time';
    if (!address(e.source) || !address(e.destination)) return 'bad-client';
    if (!port(e.sourcePort) || !port(e.destinationPort) || !Number.isInteger(e.protocol) || (e.protocol as number) < 0 || (e.protocol as number) > 255) return 'bad-flow';
    if (!count(e.packets) || !count(e.bytes)) return 'bad-flow';
    if (e.packetSize !== undefined && !(count(e.packetSize) && (e.packetSize as number) <= 65535)) return 'bad-size';
    return event as FlowObservation;
  }
  return 'not-an-event';
}
