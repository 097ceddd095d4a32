/**
 * A token bucket: `burst` tokens, refilled at `rate` per second; each admitted query takes one.
 * The same arithmetic as the kernel's (bpf/dns_filter.bpf.c is_rate_limited).
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes a token at time `now` (ms); false when the bucket is empty. */
  take(now: number, rate = this.rate, burst = this.burst): boolean {
    const elapsed = Math.max(0, now - this.#last);
    this.#tokens = Math.min(burst, this.#tokens + (elapsed / 1000) * rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
