import { HyperLogLog } from '../sketch/hyperloglog.js';

/**
 * Counters over a sliding window, approximated with two fixed windows (the current one and the
 * previous one): a count "over the last window" is current + previous × (1 − elapsed share of the
 * current window). Constant memory (2 numbers per counter) and O(1) per update, for state kept per
 * client and per domain where a bucket ring would cost too much.
 */
export class WindowCounters {
  private readonly current: Float64Array;
  private readonly previous: Float64Array;
  private index = Number.NaN;

  constructor(
    counters: number,
    /** Window length (ms). */
    readonly windowMs: number,
  ) {
    this.current = new Float64Array(counters);
    this.previous = new Float64Array(counters);
  }

  /**
   * Moves to the window of time `at`: returns 0 when it is the current window (or an older one),
   * 1 when it is the next one, 2 when one or more windows were skipped (or on the first call).
   */
  roll(at: number): 0 | 1 | 2 {
    const index = Math.floor(at / this.windowMs);
    if (index <= this.index) return 0;
    const next = index === this.index + 1;
    if (next) this.previous.set(this.current);
    else this.previous.fill(0);
    this.current.fill(0);
    this.index = index;
    return next ? 1 : 2;
  }

  /** Adds `value` to counter `i` in the current window. */
  add(i: number, value = 1): void {
    this.current[i]! += value;
  }

  /** Counter `i` over the sliding window ending at `at`. */
  sliding(i: number, at: number): number {
    const index = Math.floor(at / this.windowMs);
    if (index > this.index + 1 || Number.isNaN(this.index)) return 0;
    if (index === this.index + 1) return this.current[i]! * (1 - (at - index * this.windowMs) / this.windowMs);
    const elapsed = (at - index * this.windowMs) / this.windowMs;
    return this.current[i]! + this.previous[i]! * (1 - elapsed);
  }

  /** Counter `i` summed over the current and the previous window. */
  total(i: number): number {
    return this.current[i]! + this.previous[i]!;
  }
}

/**
 * Distinct keys over the current and the previous window: a HyperLogLog of the current window and
 * one of both windows together, so that `count` is O(1). At a rotation the union restarts from
 * the window that just ended.
 */
export class WindowDistinct {
  private readonly current: HyperLogLog;
  private readonly both: HyperLogLog;

  constructor(precision: number) {
    this.current = new HyperLogLog(precision);
    this.both = new HyperLogLog(precision);
  }

  /** Call with the result of the owning {@link WindowCounters.roll} when it is not 0. */
  rotate(roll: 1 | 2): void {
    if (roll === 1) this.both.copyFrom(this.current);
    else this.both.clear();
    this.current.clear();
  }

  /** Adds a key. */
  add(key: string): void {
    this.current.add(key);
    this.both.add(key);
  }

  /** Distinct keys over the current and the previous window. */
  count(): number {
    return this.both.count();
  }
}
