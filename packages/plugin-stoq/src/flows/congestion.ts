import { PageHinkley } from '../timeseries/change-point.js';

/** One interval of link measurements. */
export interface LinkSample {
  /** Bytes per second in the interval. */
  readonly bytesPerSecond: number;
  /** Mean jitter of the flows (ms). */
  readonly jitterMs: number;
  /** Estimated loss share, when known. */
  readonly lossRate?: number;
}

/** What the congestion detector concludes. */
export interface CongestionAssessment {
  /** In [0, 1]. */
  readonly probability: number;
  /** The evidence, as sentences. */
  readonly reasons: readonly string[];
}

/**
 * Congestion from three kinds of evidence, combined as independent ones (1 − Π(1 − pᵢ)):
 * utilisation of a known capacity (predicted, so it can warn ahead), a sustained rise of jitter
 * (queues building up: a Page–Hinkley change point), and loss.
 */
export class CongestionDetector {
  private readonly jitterShift = new PageHinkley(0.5, 8, { warmup: 20, minStd: 0.05, minRelativeStd: 0.1 });
  private jitterAlarmAge = Infinity;

  constructor(
    /** Link capacity in bytes/s; 0 when unknown (utilisation is then not used). */
    readonly capacityBytesPerSecond = 0,
  ) {}

  /** Feeds one interval; `predictedBytesPerSecond` is the bandwidth forecast for the next one. */
  update(sample: LinkSample, predictedBytesPerSecond = sample.bytesPerSecond): CongestionAssessment {
    const reasons: string[] = [];
    let pUtilisation = 0;
    if (this.capacityBytesPerSecond > 0) {
      const utilisation = Math.max(sample.bytesPerSecond, predictedBytesPerSecond) / this.capacityBytesPerSecond;
      pUtilisation = clamp((utilisation - 0.7) / 0.25);
      if (pUtilisation > 0) reasons.push(`utilisation ${(utilisation * 100).toFixed(0)} % of capacity (predicted ${(predictedBytesPerSecond / this.capacityBytesPerSecond * 100).toFixed(0)} %)`);
    }
    const shift = this.jitterShift.update(sample.jitterMs);
    this.jitterAlarmAge = shift.alarm && shift.direction === 'up' ? 0 : this.jitterAlarmAge + 1;
    const pJitter = this.jitterAlarmAge < 10 ? 0.6 : 0;
    if (pJitter > 0) reasons.push(`jitter rose to ${sample.jitterMs.toFixed(1)} ms (change point ${this.jitterAlarmAge} intervals ago)`);
    const pLoss = sample.lossRate === undefined ? 0 : clamp(sample.lossRate / 0.05);
    if (pLoss > 0) reasons.push(`loss ${((sample.lossRate ?? 0) * 100).toFixed(1)} %`);
    const probability = 1 - (1 - pUtilisation) * (1 - pJitter) * (1 - pLoss);
    return { probability, reasons };
  }
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));
