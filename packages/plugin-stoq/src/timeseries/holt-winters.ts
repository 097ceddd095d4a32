import { requireArgument } from '../errors.js';

/** Smoothing parameters of {@link HoltWinters}. */
export interface HoltWintersOptions {
  /** Samples per season (e.g. 288 five-minute steps for a daily period). */
  readonly period: number;
  /** Level smoothing α in (0, 1). */
  readonly alpha: number;
  /** Trend smoothing β in [0, 1). */
  readonly beta: number;
  /** Seasonal smoothing γ in (0, 1). */
  readonly gamma: number;
}

/** One step of the decomposition. */
export interface SeasonalStep {
  /** The one-step-ahead forecast made before this sample (undefined during the first season). */
  readonly forecast: number | undefined;
  /** Sample minus forecast. */
  readonly residual: number;
  /** Residual divided by the running residual standard deviation (NaN until a quarter season of residuals is known). */
  readonly z: number;
}

/**
 * Additive Holt–Winters (triple exponential smoothing; Winters, 1960): a series as level + trend +
 * a seasonal profile of `period` samples, updated in O(1) per sample. The first season initialises
 * the profile; after that each sample yields a forecast error, standardised by an exponentially
 * weighted residual variance, which a change-point detector can watch without being fooled by the
 * daily rhythm itself.
 */
export class HoltWinters {
  readonly options: HoltWintersOptions;
  private readonly seasonal: Float64Array;
  private readonly first: number[] = [];
  private level = 0;
  private trend = 0;
  private t = 0;
  private residualVariance = 0;
  private residuals = 0;

  constructor(options: HoltWintersOptions) {
    requireArgument(Number.isInteger(options.period) && options.period >= 2, `HoltWinters: period must be an integer ≥ 2, not ${options.period}`);
    for (const [name, v] of [['alpha', options.alpha], ['gamma', options.gamma]] as const) {
      requireArgument(v > 0 && v < 1, `HoltWinters: ${name} must be in (0, 1), not ${v}`);
    }
    requireArgument(options.beta >= 0 && options.beta < 1, `HoltWinters: beta must be in [0, 1), not ${options.beta}`);
    this.options = options;
    this.seasonal = new Float64Array(options.period);
  }

  /** True once the first season has been seen and forecasts are available. */
  ready(): boolean {
    return this.t >= this.options.period;
  }

  /** Feeds one sample (non-finite samples are ignored and return a zero step). */
  update(y: number): SeasonalStep {
    if (!Number.isFinite(y)) return { forecast: undefined, residual: 0, z: Number.NaN };
    const { period, alpha, beta, gamma } = this.options;
    if (this.t < period) {
      this.first.push(y);
      this.t++;
      if (this.t === period) {
        this.level = this.first.reduce((a, b) => a + b, 0) / period;
        this.first.forEach((v, i) => (this.seasonal[i] = v - this.level));
        this.first.length = 0;
      }
      return { forecast: undefined, residual: 0, z: Number.NaN };
    }
    const i = this.t % period;
    const forecast = this.level + this.trend + this.seasonal[i]!;
    const residual = y - forecast;
    const std = Math.sqrt(this.residualVariance);
    const z = this.residuals >= period / 4 && std > 0 ? residual / std : Number.NaN;
    const previousLevel = this.level;
    this.level = alpha * (y - this.seasonal[i]!) + (1 - alpha) * (this.level + this.trend);
    this.trend = beta * (this.level - previousLevel) + (1 - beta) * this.trend;
    this.seasonal[i] = gamma * (y - this.level) + (1 - gamma) * this.seasonal[i]!;
    // residual variance: a plain mean over the first residuals, then exponential forgetting
    this.residuals++;
    const weight = Math.max(1 / this.residuals, 2 / (period + 1));
    this.residualVariance += weight * (residual * residual - this.residualVariance);
    this.t++;
    return { forecast, residual, z };
  }

  /** The forecast `h` ≥ 1 samples ahead (NaN before the first season is complete). */
  forecast(h = 1): number {
    if (!this.ready()) return Number.NaN;
    const steps = Math.max(1, Math.floor(h));
    return this.level + steps * this.trend + this.seasonal[(this.t + steps - 1) % this.options.period]!;
  }

  /** The current decomposition: level, trend per sample, and the seasonal profile. */
  components(): { level: number; trend: number; seasonal: number[] } {
    return { level: this.level, trend: this.trend, seasonal: Array.from(this.seasonal) };
  }
}
