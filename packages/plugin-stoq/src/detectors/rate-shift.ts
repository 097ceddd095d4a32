import type { ThreatReason } from '@hypermesh/runtime';
import type { StoqConfig } from '../config.js';
import { Cusum, PageHinkley, type ChangePointState } from '../timeseries/change-point.js';
import { HoltWinters } from '../timeseries/holt-winters.js';

/** A detected shift of the node's total query or byte rate. */
export interface RateShift {
  readonly series: 'queries' | 'bytes';
  readonly direction: 'up' | 'down';
  /** Start of the step where it was detected (ms). */
  readonly at: number;
  /** Observed and forecast rate (per second) in that step. */
  readonly observed: number;
  readonly forecast: number;
  /** Detection statistic over its threshold (≥ 1). */
  readonly level: number;
  readonly reasons: readonly ThreatReason[];
}

interface Series {
  readonly name: 'queries' | 'bytes';
  readonly seasonal: HoltWinters;
  readonly detector: { update(z: number): ChangePointState };
  sum: number;
}

/**
 * The node's total query rate and byte rate, in steps: each closed step goes through additive
 * Holt–Winters with a daily season, and its standardised forecast error through a change-point
 * detector — CUSUM for queries, Page–Hinkley for bytes. The daily rhythm is forecast, so only a
 * departure from it alarms. Until a season has been seen (and a quarter more to learn the error
 * spread) nothing alarms: the first day is learning.
 */
export class RateShiftDetector {
  private readonly stepMs: number;
  private readonly series: Series[];
  private step = Number.NaN;

  constructor(config: StoqConfig['seasonal']) {
    this.stepMs = config.step;
    const period = Math.max(2, Math.round(config.period / config.step));
    const hw = () => new HoltWinters({ period, alpha: config.alpha, beta: config.beta, gamma: config.gamma });
    const options = { warmup: Math.max(8, Math.round(period / 12)), minStd: 0.5, minRelativeStd: 0 };
    this.series = [
      { name: 'queries', seasonal: hw(), detector: new Cusum(config.cusum_k, config.cusum_h, options), sum: 0 },
      { name: 'bytes', seasonal: hw(), detector: new PageHinkley(config.cusum_k, config.cusum_h * 2, options), sum: 0 },
    ];
  }

  /** Adds one event's contribution at event time `at` (steps already closed are not reopened). */
  add(at: number, queries: number, bytes: number): void {
    const step = Math.floor(at / this.stepMs);
    if (Number.isNaN(this.step)) this.step = step;
    if (step < this.step) return;
    if (step > this.step) return void this.pendingAdd(step, queries, bytes);
    this.series[0]!.sum += queries;
    this.series[1]!.sum += bytes;
  }

  private carry: { step: number; queries: number; bytes: number } | undefined;

  private pendingAdd(step: number, queries: number, bytes: number): void {
    // an event of a later step before close() ran: keep it for that step
    if (this.carry === undefined || this.carry.step !== step) this.carry = { step, queries: 0, bytes: 0 };
    this.carry.queries += queries;
    this.carry.bytes += bytes;
  }

  /** Closes every step that ended by `now`; returns the shifts detected. */
  close(now: number): RateShift[] {
    const shifts: RateShift[] = [];
    const current = Math.floor(now / this.stepMs);
    if (Number.isNaN(this.step)) this.step = current;
    while (this.step < current) {
      for (const s of this.series) {
        const rate = (s.sum * 1000) / this.stepMs;
        const forecast = s.seasonal.forecast(1);
        const step = s.seasonal.update(rate);
        const state = s.detector.update(step.z);
        if (state.alarm && state.direction !== undefined) {
          shifts.push({
            series: s.name,
            direction: state.direction,
            at: this.step * this.stepMs,
            observed: rate,
            forecast,
            level: state.level,
            reasons: [
              {
                feature: `${s.name}_rate`,
                value: Math.round(rate * 100) / 100,
                threshold: Math.round(forecast * 100) / 100,
                weight: 1,
                explanation: `total ${s.name} per second ${rate.toFixed(1)} against a seasonal forecast of ${forecast.toFixed(1)} (forecast error ${step.z.toFixed(1)} σ); the change point moved ${state.direction}`,
              },
            ],
          });
        }
        s.sum = 0;
      }
      this.step++;
      if (this.carry !== undefined && this.carry.step === this.step) {
        this.series[0]!.sum += this.carry.queries;
        this.series[1]!.sum += this.carry.bytes;
        this.carry = undefined;
      }
    }
    return shifts;
  }

  /** True once forecasts exist (after the first season). */
  ready(): boolean {
    return this.series[0]!.seasonal.ready();
  }
}
