/**
 * Exponentially weighted moving averages over irregular time: a sample `dt` after the previous
 * one weighs `1 − exp(−dt/τ)`, so the average forgets at the same speed whatever the event rate.
 */
export class Ewma {
  /** Time constant τ in ms. */
  readonly tauMs: number;
  private current = 0;
  private squares = 0;
  private last = Number.NaN;

  constructor(tauMs: number) {
    this.tauMs = tauMs > 0 ? tauMs : 1;
  }

  /** Adds a sample `value` at time `at` (ms). Non-finite values are ignored. */
  update(value: number, at: number): number {
    if (!Number.isFinite(value) || !Number.isFinite(at)) return this.current;
    if (Number.isNaN(this.last)) {
      this.current = value;
      this.squares = value * value;
    } else {
      const alpha = 1 - Math.exp(-Math.max(0, at - this.last) / this.tauMs);
      this.current += alpha * (value - this.current);
      this.squares += alpha * (value * value - this.squares);
    }
    this.last = Math.max(at, Number.isNaN(this.last) ? at : this.last);
    return this.current;
  }

  /** The average. */
  value(): number {
    return this.current;
  }

  /** The exponentially weighted variance. */
  variance(): number {
    return Math.max(0, this.squares - this.current * this.current);
  }

  /** True once a sample was seen. */
  started(): boolean {
    return !Number.isNaN(this.last);
  }
}

/**
 * An event rate (events per second) with exponential forgetting: each event adds 1/τ to a level
 * that decays as exp(−dt/τ), so the level estimates the recent rate. O(1), two numbers of state.
 */
export class RateMeter {
  /** Time constant τ in ms. */
  readonly tauMs: number;
  private level = 0;
  private last = Number.NaN;

  constructor(tauMs: number) {
    this.tauMs = tauMs > 0 ? tauMs : 1;
  }

  /** Records `weight` events (default 1) at `at` ms; returns the rate in events/s. */
  mark(at: number, weight = 1): number {
    if (!Number.isFinite(at) || !Number.isFinite(weight) || weight < 0) return this.rate(this.last);
    this.decayTo(at);
    this.level += weight;
    return (this.level * 1000) / this.tauMs;
  }

  /** The rate (events/s) at time `at`, without recording anything. */
  rate(at: number): number {
    if (Number.isNaN(this.last)) return 0;
    const dt = Math.max(0, at - this.last);
    return ((this.level * Math.exp(-dt / this.tauMs)) * 1000) / this.tauMs;
  }

  private decayTo(at: number): void {
    if (!Number.isNaN(this.last) && at > this.last) this.level *= Math.exp(-(at - this.last) / this.tauMs);
    if (Number.isNaN(this.last) || at > this.last) this.last = at;
  }
}

/** Mean and variance of a stream in one pass (Welford, 1962). */
export class RunningStats {
  private n = 0;
  private mean_ = 0;
  private m2 = 0;

  /** Adds a value; non-finite values are ignored. */
  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.n++;
    const delta = value - this.mean_;
    this.mean_ += delta / this.n;
    this.m2 += delta * (value - this.mean_);
  }

  /** Values added. */
  count(): number {
    return this.n;
  }

  /** The mean (0 before any value). */
  mean(): number {
    return this.mean_;
  }

  /** The sample variance (0 with fewer than two values). */
  variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : 0;
  }
}
