/**
 * A token bucket (RFC 2697's single-rate idea, one bucket): `rate` tokens per second up to a burst
 * of `burst`; each admitted query takes one. Time is the event time in ms, so it is deterministic.
 */
export class TokenBucket {
  private tokens: number;
  private last = Number.NaN;

  constructor(
    readonly rate: number,
    readonly burst = Math.max(1, rate),
  ) {
    this.tokens = this.burst;
  }

  /** Takes one token at time `at`; false when the bucket is empty. */
  take(at: number): boolean {
    if (!Number.isNaN(this.last) && at > this.last) this.tokens = Math.min(this.burst, this.tokens + ((at - this.last) * this.rate) / 1000);
    if (Number.isNaN(this.last) || at > this.last) this.last = at;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
