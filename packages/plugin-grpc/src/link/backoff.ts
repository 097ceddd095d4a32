/** Parameters of {@link Backoff}. */
export interface BackoffPolicy {
  readonly initialBackoff: number;
  readonly maxBackoff: number;
  readonly multiplier: number;
  readonly jitter: number;
}

/**
 * Exponential backoff with jitter (the gRPC connection-backoff scheme): the n-th consecutive
 * failure waits min(initial × multiplier^(n-1), max), randomised by ± jitter.
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {
    this.current = policy.initialBackoff;
  }

  /** The delay before the next attempt; each call lengthens the following one. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.policy.maxBackoff, this.current * this.policy.multiplier);
    const spread = base * this.policy.jitter;
    return Math.max(0, Math.round(base - spread + this.random() * 2 * spread));
  }

  /** Back to the initial delay, after a success. */
  reset(): void {
    this.current = this.policy.initialBackoff;
  }
}
