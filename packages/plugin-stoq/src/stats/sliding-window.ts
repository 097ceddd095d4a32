import { requireArgument } from '../errors.js';

/**
 * Counts over a sliding time window, in a ring of fixed buckets: `add` and `sum` are O(1)
 * amortised (expired buckets are cleared as time moves on), memory is one number per bucket.
 * The window covers the current bucket and the `buckets − 1` before it.
 */
export class SlidingWindow {
  /** Width of one bucket (ms). */
  readonly bucketMs: number;
  private readonly ring: Float64Array;
  private head = Number.NEGATIVE_INFINITY; // the newest bucket, in bucket units since time 0
  private total = 0;

  constructor(windowMs: number, buckets = 60) {
    requireArgument(windowMs > 0 && Number.isFinite(windowMs), `SlidingWindow: windowMs must be positive, not ${windowMs}`);
    requireArgument(Number.isInteger(buckets) && buckets >= 1 && buckets <= 1 << 16, `SlidingWindow: buckets must be an integer in [1, 65536], not ${buckets}`);
    this.bucketMs = windowMs / buckets;
    this.ring = new Float64Array(buckets);
  }

  /** Adds `value` at time `at` (ms). Samples older than the window, or non-finite, are ignored. */
  add(at: number, value = 1): void {
    if (!Number.isFinite(at) || !Number.isFinite(value)) return;
    const bucket = Math.floor(at / this.bucketMs);
    this.advance(bucket);
    if (bucket <= this.head - this.ring.length) return;
    this.ring[((bucket % this.ring.length) + this.ring.length) % this.ring.length]! += value;
    this.total += value;
  }

  /** Sum over the window ending at `at` (ms). */
  sum(at: number): number {
    if (Number.isFinite(at)) this.advance(Math.floor(at / this.bucketMs));
    return this.total;
  }

  /** Values per bucket, oldest first, for the window ending at `at`. */
  buckets(at: number): number[] {
    this.sum(at);
    const n = this.ring.length;
    const out: number[] = [];
    if (this.head === Number.NEGATIVE_INFINITY) return new Array<number>(n).fill(0);
    for (let b = this.head - n + 1; b <= this.head; b++) out.push(this.ring[((b % n) + n) % n]!);
    return out;
  }

  private advance(bucket: number): void {
    if (bucket <= this.head) return;
    const n = this.ring.length;
    if (bucket - this.head >= n) {
      this.ring.fill(0);
      this.total = 0;
    } else {
      for (let b = this.head + 1; b <= bucket; b++) {
        const i = ((b % n) + n) % n;
        this.total -= this.ring[i]!;
        this.ring[i] = 0;
      }
    }
    this.head = bucket;
  }
}
