import type { FlowObservation } from '@hypermesh/runtime';
import { Ewma, RateMeter } from '../stats/ewma.js';

/** Upper bounds (bytes) of the packet-size histogram bins; the last bin is open. */
export const PACKET_SIZE_BINS: readonly number[] = [64, 128, 256, 512, 1024, 1518];

/** The statistics of one flow, as the seed's flow model lists them. */
export interface FlowStatistics {
  /** Packets per second (exponentially weighted). */
  readonly packetRate: number;
  /** Bytes per second (exponentially weighted). */
  readonly byteRate: number;
  /** Share of packets per size bin (`PACKET_SIZE_BINS`, then larger). */
  readonly packetSizeDistribution: readonly number[];
  /** Mean and standard deviation of the time between samples (ms). */
  readonly interArrival: { readonly meanMs: number; readonly stdMs: number };
  /** Interarrival jitter (ms), RFC 3550 §6.4.1's estimator. */
  readonly jitterMs: number;
  /** Estimated share of packets lost, when the flow is sampled packet by packet; undefined otherwise. */
  readonly lossRate: number | undefined;
  /** Packets and bytes seen in total. */
  readonly packets: number;
  readonly bytes: number;
}

/**
 * Running statistics of one flow (one 5-tuple), O(1) per sample and a few hundred bytes of state.
 *
 * Jitter follows RFC 3550 §6.4.1, J += (|D| − J)/16, where D is the difference in transit time of
 * consecutive packets. Flow samples carry no sender timestamps, so D is taken as the change of the
 * inter-arrival gap — exact for a constant-rate sender, an estimate otherwise.
 *
 * Loss is estimated only for packet-by-packet samples (`packetSize` set): a gap of g × the mean
 * gap counts as round(g) − 1 missing packets (for g ≥ 1.5). Interval counters cannot reveal loss.
 */
export class FlowStatsTracker {
  private readonly packetRate: RateMeter;
  private readonly byteRate: RateMeter;
  private readonly sizes = new Float64Array(PACKET_SIZE_BINS.length + 1);
  private readonly gaps: Ewma;
  private lastAt = Number.NaN;
  private lastGap = Number.NaN;
  private jitter = 0;
  private packetSamples = 0;
  private missing = 0;
  private totalPackets = 0;
  private totalBytes = 0;
  /** Bytes per interval, most recent last (a ring), for the bandwidth predictor. */
  readonly history: Float64Array;
  private historyHead = 0;
  private historyFilled = 0;
  private interval = Number.NaN;
  private intervalBytes = 0;

  constructor(
    /** Time constant of the rates (ms). */
    tauMs: number,
    /** Width of one bandwidth-history interval (ms). */
    readonly intervalMs: number,
    historyLength = 32,
  ) {
    this.packetRate = new RateMeter(tauMs);
    this.byteRate = new RateMeter(tauMs);
    this.gaps = new Ewma(tauMs);
    this.history = new Float64Array(historyLength);
  }

  /** Adds one sample (already validated: finite, non-negative counters). */
  observe(sample: FlowObservation): void {
    const at = sample.at;
    this.packetRate.mark(at, sample.packets);
    this.byteRate.mark(at, sample.bytes);
    this.totalPackets += sample.packets;
    this.totalBytes += sample.bytes;
    if (sample.packetSize !== undefined) this.sizes[binOf(sample.packetSize)]! += 1;
    else if (sample.packets > 0) this.sizes[binOf(sample.bytes / sample.packets)]! += sample.packets;

    if (!Number.isNaN(this.lastAt) && at >= this.lastAt) {
      const gap = at - this.lastAt;
      if (sample.packetSize !== undefined && this.gaps.started() && this.packetSamples > 8) {
        const ratio = gap / Math.max(this.gaps.value(), 1e-9);
        if (ratio >= 1.5) this.missing += Math.round(ratio) - 1;
      }
      if (!Number.isNaN(this.lastGap)) this.jitter += (Math.abs(gap - this.lastGap) - this.jitter) / 16;
      this.gaps.update(gap, at);
      this.lastGap = gap;
    }
    if (sample.packetSize !== undefined) this.packetSamples++;
    this.lastAt = Number.isNaN(this.lastAt) ? at : Math.max(this.lastAt, at);
    this.addToHistory(at, sample.bytes);
  }

  private addToHistory(at: number, bytes: number): void {
    const interval = Math.floor(at / this.intervalMs);
    if (Number.isNaN(this.interval)) this.interval = interval;
    if (interval > this.interval) {
      this.push(this.intervalBytes);
      const skipped = Math.min(interval - this.interval - 1, this.history.length);
      for (let i = 0; i < skipped; i++) this.push(0);
      this.interval = interval;
      this.intervalBytes = 0;
    }
    if (interval === this.interval) this.intervalBytes += bytes;
  }

  private push(value: number): void {
    this.history[this.historyHead] = value;
    this.historyHead = (this.historyHead + 1) % this.history.length;
    this.historyFilled = Math.min(this.historyFilled + 1, this.history.length);
  }

  /** Completed intervals' byte rates (bytes/s), oldest first. */
  bandwidthSeries(): number[] {
    const out: number[] = [];
    const n = this.history.length;
    for (let i = n - this.historyFilled; i < n; i++) out.push((this.history[(this.historyHead + i) % n]! * 1000) / this.intervalMs);
    return out;
  }

  /** The statistics at time `at`. */
  statistics(at: number): FlowStatistics {
    const binned = this.sizes.reduce((a, b) => a + b, 0);
    const expected = this.packetSamples + this.missing;
    return {
      packetRate: this.packetRate.rate(at),
      byteRate: this.byteRate.rate(at),
      packetSizeDistribution: Array.from(this.sizes, (c) => (binned > 0 ? c / binned : 0)),
      interArrival: { meanMs: this.gaps.value(), stdMs: Math.sqrt(this.gaps.variance()) },
      jitterMs: this.jitter,
      lossRate: this.packetSamples > 8 ? this.missing / expected : undefined,
      packets: this.totalPackets,
      bytes: this.totalBytes,
    };
  }

  /** When the flow was last seen (ms). */
  lastSeen(): number {
    return this.lastAt;
  }
}

function binOf(size: number): number {
  for (let i = 0; i < PACKET_SIZE_BINS.length; i++) if (size <= PACKET_SIZE_BINS[i]!) return i;
  return PACKET_SIZE_BINS.length;
}
