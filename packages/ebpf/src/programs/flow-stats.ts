/** The shipped TC program `flow_stats` (bpf/flow_stats.bpf.c) and its maps, typed. */
import type { TcAttachment } from '../attach/tc.js';
import type { LayoutValue } from '../layout/layout.js';
import type { BpfMap, PerCpuBpfMap } from '../maps/bpf-map.js';
import type { RawBpfMap } from '../maps/raw-map.js';
import { BpfObject } from '../object/bpf-object.js';
import { arrayIndex, flowConfig, flowCounters, flowKey, flowTotals } from './layouts.js';
import { shippedObjectPath } from './objects.js';
import { sumCounters } from './sum.js';

/** `struct flow_totals`, summed over CPUs. */
export type FlowTotals = LayoutValue<typeof flowTotals>;
/** A flow's 5-tuple and its counters. */
export type FlowEntry = [LayoutValue<typeof flowKey>, LayoutValue<typeof flowCounters>];

/** The loaded `flow_stats` object with typed access to its maps. */
export class FlowStatsProgram {
  readonly object: BpfObject;
  readonly flows: BpfMap<LayoutValue<typeof flowKey>, LayoutValue<typeof flowCounters>>;
  readonly config: BpfMap<number, LayoutValue<typeof flowConfig>>;
  readonly totals: PerCpuBpfMap<number, FlowTotals>;

  private constructor(object: BpfObject) {
    this.object = object;
    this.flows = object.map('flows').typed(flowKey, flowCounters);
    this.config = object.map('flow_config').typed(arrayIndex, flowConfig);
    this.totals = object.map('flow_totals').perCpuTyped(arrayIndex, flowTotals);
  }

  /** Opens and loads the shipped object, writing events to `events` when given (a shared ring). */
  static load(options: { readonly events?: RawBpfMap } = {}): FlowStatsProgram {
    const object = BpfObject.open(shippedObjectPath('flow_stats'));
    try {
      object.load({ reuseMaps: options.events ? { events: options.events } : undefined });
      return new FlowStatsProgram(object);
    } catch (err) {
      object.close();
      throw err;
    }
  }

  /** The ring buffer the program writes samples to. */
  get events(): RawBpfMap {
    return this.object.map('events');
  }

  /** Samples each flow at most once per interval (0 stops sampling). */
  setReportInterval(ms: number): void {
    this.config.update(0, { report_interval_ns: BigInt(Math.round(ms * 1e6)) });
  }

  /** Attaches the program to an interface's ingress (TCX where the kernel has it, else clsact). */
  attach(iface: string): TcAttachment {
    return this.object.program('flow_stats').attachTc(iface, { direction: 'ingress' });
  }

  /** Counters summed over CPUs. */
  sum(): FlowTotals {
    return sumCounters(this.totals.lookup(0) ?? []);
  }

  /** Every flow with its counters (batch reads). */
  entries(): FlowEntry[] {
    return this.flows.entries();
  }

  /** Unloads the object. */
  close(): void {
    this.object.close();
  }
}
