import type { FlowObservation } from '@hypermesh/runtime';
import { Ewma } from '../stats/ewma.js';
import { fitAutoregressive, forecastAutoregressive } from '../timeseries/autoregressive.js';
import { CongestionDetector, type CongestionAssessment } from './congestion.js';
import { FlowStatsTracker, type FlowStatistics } from './flow-stats.js';
import { recommendQos, type QosRecommendation } from './qos.js';

/** The bandwidth forecast for the next interval. */
export interface BandwidthPrediction {
  /** Forecast byte rate (bytes/s). */
  readonly bytesPerSecond: number;
  /** Its standard error (bytes/s). */
  readonly stdError: number;
  /** How far ahead (ms). */
  readonly horizonMs: number;
  /** AR order used. */
  readonly order: number;
}

/** Everything known about one flow: the seed's `FlowModel`. */
export interface FlowModel {
  /** `proto source:port > destination:port`. */
  readonly key: string;
  readonly statistics: FlowStatistics;
  /** Undefined until enough intervals have been seen. */
  readonly bandwidthPrediction: BandwidthPrediction | undefined;
  readonly qos: QosRecommendation;
}

/** Options of {@link FlowTable}. */
export interface FlowTableOptions {
  /** Flows tracked at most; the least recently seen is evicted. */
  readonly maxFlows: number;
  /** Time constant of rates (ms). */
  readonly tauMs: number;
  /** Bandwidth-history interval (ms). */
  readonly intervalMs: number;
  /** AR order of the bandwidth predictor. */
  readonly arOrder: number;
  /** Link capacity (bytes/s) for the congestion detector; 0 = unknown. */
  readonly capacityBytesPerSecond: number;
}

/** Flow key of a sample. */
export function flowKey(f: FlowObservation): string {
  return `${f.protocol} ${f.source}:${f.sourcePort} > ${f.destination}:${f.destinationPort}`;
}

/**
 * Per-flow models in bounded memory (a `Map` in recency order is the LRU), plus the link as a
 * whole: its bandwidth series, an AR(p) forecast per interval and the congestion detector.
 */
export class FlowTable {
  private readonly flows = new Map<string, { tracker: FlowStatsTracker; sample: FlowObservation }>();
  private readonly link: FlowStatsTracker;
  private readonly congestion: CongestionDetector;
  private readonly jitter: Ewma;
  private linkInterval = Number.NaN;
  private lastAssessment: CongestionAssessment = { probability: 0, reasons: [] };
  private lastPrediction: BandwidthPrediction | undefined;
  private evicted = 0;

  constructor(readonly options: FlowTableOptions) {
    this.link = new FlowStatsTracker(options.tauMs, options.intervalMs, 64);
    this.congestion = new CongestionDetector(options.capacityBytesPerSecond);
    this.jitter = new Ewma(options.intervalMs);
  }

  /** Adds a validated sample. O(1) amortised (plus one AR fit per completed link interval). */
  observe(sample: FlowObservation): void {
    const key = flowKey(sample);
    let entry = this.flows.get(key);
    if (entry === undefined) {
      if (this.flows.size >= this.options.maxFlows) {
        const oldest = this.flows.keys().next().value;
        if (oldest !== undefined) this.flows.delete(oldest);
        this.evicted++;
      }
      entry = { tracker: new FlowStatsTracker(this.options.tauMs, this.options.intervalMs), sample };
    } else {
      this.flows.delete(key); // re-insert: most recent last
    }
    entry.sample = sample;
    this.flows.set(key, entry);
    entry.tracker.observe(sample);
    this.jitter.update(entry.tracker.statistics(sample.at).jitterMs, sample.at);

    const interval = Math.floor(sample.at / this.options.intervalMs);
    this.link.observe(sample);
    if (Number.isNaN(this.linkInterval)) this.linkInterval = interval;
    if (interval > this.linkInterval) {
      this.linkInterval = interval;
      this.assessLink(sample.at);
    }
  }

  private assessLink(at: number): void {
    const series = this.link.bandwidthSeries();
    const current = series[series.length - 1] ?? 0;
    this.lastPrediction = predict(series, this.options.arOrder, this.options.intervalMs);
    const loss = this.link.statistics(at).lossRate;
    this.lastAssessment = this.congestion.update(
      { bytesPerSecond: current, jitterMs: this.jitter.value(), ...(loss === undefined ? {} : { lossRate: loss }) },
      this.lastPrediction?.bytesPerSecond ?? current,
    );
  }

  /** The model of one flow, or undefined when it is not tracked. */
  model(key: string, at: number): FlowModel | undefined {
    const entry = this.flows.get(key);
    if (entry === undefined) return undefined;
    const statistics = entry.tracker.statistics(at);
    const bandwidthPrediction = predict(entry.tracker.bandwidthSeries(), this.options.arOrder, this.options.intervalMs);
    const upper = bandwidthPrediction ? bandwidthPrediction.bytesPerSecond + 2 * bandwidthPrediction.stdError : statistics.byteRate;
    const qos = recommendQos(statistics, { predictedUpperBytesPerSecond: upper, destinationPort: entry.sample.destinationPort, protocol: entry.sample.protocol });
    return { key, statistics, bandwidthPrediction, qos };
  }

  /** The link: its statistics, bandwidth forecast and congestion assessment. */
  linkModel(at: number): { statistics: FlowStatistics; bandwidthPrediction: BandwidthPrediction | undefined; congestion: CongestionAssessment } {
    return { statistics: this.link.statistics(at), bandwidthPrediction: this.lastPrediction, congestion: this.lastAssessment };
  }

  /** Keys of the tracked flows, most recently seen last. */
  keys(): string[] {
    return [...this.flows.keys()];
  }

  /** Flows tracked now, and flows evicted so far. */
  size(): { tracked: number; evicted: number } {
    return { tracked: this.flows.size, evicted: this.evicted };
  }
}

function predict(series: readonly number[], order: number, intervalMs: number): BandwidthPrediction | undefined {
  if (series.length < Math.max(order * 3, 8)) return undefined;
  const model = fitAutoregressive(series, order);
  const forecast = forecastAutoregressive(model, series, 1);
  return { bytesPerSecond: Math.max(0, forecast.mean[0]!), stdError: forecast.stdError[0]!, horizonMs: intervalMs, order };
}
