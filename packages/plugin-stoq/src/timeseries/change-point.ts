/**
 * Change-point detectors for rates (queries/s, bytes/s): they raise an alarm when the mean of a
 * series shifts, and stay quiet while it only fluctuates. Both learn the in-control mean and
 * spread during a warm-up, then re-learn them after each alarm (the new level becomes normal).
 */

/** What a detector reports after each sample. */
export interface ChangePointState {
  /** True on the sample where a shift was detected. */
  readonly alarm: boolean;
  /** Direction of the shift when `alarm` is true. */
  readonly direction: 'up' | 'down' | undefined;
  /** The detection statistic divided by its alarm threshold (≥ 1 at an alarm). */
  readonly level: number;
}

/** Options shared by the change-point detectors. */
export interface ChangePointOptions {
  /** Samples used to learn the in-control mean and standard deviation. */
  readonly warmup: number;
  /** Smallest standard deviation assumed, so that a flat series does not alarm on noise. */
  readonly minStd: number;
  /** Relative floor of the standard deviation, as a share of the mean (e.g. 0.05 = 5 %). */
  readonly minRelativeStd: number;
}

const QUIET: ChangePointState = Object.freeze({ alarm: false, direction: undefined, level: 0 });
const DEFAULTS: ChangePointOptions = { warmup: 30, minStd: 1e-9, minRelativeStd: 0.02 };

/**
 * What both detectors share: the warm-up that learns the in-control mean μ and spread σ, the
 * standardisation z = (x − μ)/σ, and the re-learning after an alarm. A subclass turns each z into
 * an upward and a downward statistic, in units of its threshold.
 */
abstract class ChangePointDetector {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private std = 1;

  constructor(protected readonly options: ChangePointOptions) {}

  /** Feeds one sample; non-finite samples are ignored. */
  update(x: number): ChangePointState {
    if (!Number.isFinite(x)) return QUIET;
    if (this.n < this.options.warmup) {
      this.n++;
      const d = x - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (x - this.mean);
      const sample = this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
      this.std = Math.max(sample, this.options.minStd, Math.abs(this.mean) * this.options.minRelativeStd);
      return QUIET;
    }
    const [up, down] = this.statistics((x - this.mean) / this.std);
    const level = Math.max(up, down);
    if (level < 1) return { alarm: false, direction: undefined, level };
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
    this.std = 1;
    this.reset();
    return { alarm: true, direction: up >= down ? 'up' : 'down', level };
  }

  /** The learned mean (the in-control level). */
  baseline(): number {
    return this.mean;
  }

  /** True while the baseline is being learned. */
  warmingUp(): boolean {
    return this.n < this.options.warmup;
  }

  /** Updates the statistics with one standardised sample; returns [up, down] over their thresholds. */
  protected abstract statistics(z: number): [number, number];

  /** Clears the statistics after an alarm. */
  protected abstract reset(): void;
}

/**
 * Two-sided tabular CUSUM (Page, 1954) on standardised samples z = (x − μ)/σ:
 * S⁺ = max(0, S⁺ + z − k), S⁻ = max(0, S⁻ − z − k); alarm when either exceeds h.
 * With k = 0.5 and h = 5 it detects a one-σ shift in about 10 samples and false-alarms about once
 * in 465 in-control samples (Montgomery, Introduction to Statistical Quality Control, §9.1).
 */
export class Cusum extends ChangePointDetector {
  private up = 0;
  private down = 0;

  constructor(
    /** Allowance k (in σ): half the shift worth detecting. */
    readonly k = 0.5,
    /** Decision interval h (in σ). */
    readonly h = 5,
    options: ChangePointOptions = DEFAULTS,
  ) {
    super(options);
  }

  protected statistics(z: number): [number, number] {
    this.up = Math.max(0, this.up + z - this.k);
    this.down = Math.max(0, this.down - z - this.k);
    return [this.up / this.h, this.down / this.h];
  }

  protected reset(): void {
    this.up = 0;
    this.down = 0;
  }
}

/**
 * Page–Hinkley test (Page, 1954; Hinkley, 1971) for a shift of the mean, both ways:
 * mₜ = Σ (zᵢ − δ) with its running minimum Mₜ; alarm when mₜ − Mₜ > λ (and the mirror
 * statistic for decreases). On standardised samples, so δ and λ are in σ.
 */
export class PageHinkley extends ChangePointDetector {
  private sumUp = 0;
  private minUp = 0;
  private sumDown = 0;
  private maxDown = 0;

  constructor(
    /** Magnitude δ (in σ) of changes tolerated. */
    readonly delta = 0.5,
    /** Threshold λ (in σ). */
    readonly lambda = 8,
    options: ChangePointOptions = DEFAULTS,
  ) {
    super(options);
  }

  protected statistics(z: number): [number, number] {
    this.sumUp += z - this.delta;
    this.minUp = Math.min(this.minUp, this.sumUp);
    this.sumDown += z + this.delta;
    this.maxDown = Math.max(this.maxDown, this.sumDown);
    return [(this.sumUp - this.minUp) / this.lambda, (this.maxDown - this.sumDown) / this.lambda];
  }

  protected reset(): void {
    this.sumUp = this.minUp = this.sumDown = this.maxDown = 0;
  }
}
