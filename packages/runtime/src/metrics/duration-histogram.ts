/**
 * A fixed-bucket histogram of durations in seconds, cheap enough for per-packet hook calls: one
 * short linear scan and two additions per observation, no labels, no allocation. It is exported to
 * Prometheus at scrape time by the node's metrics collector.
 */
export class DurationHistogram {
  /** Upper bounds in seconds (the `le` labels); a final `+Inf` bucket is implied. */
  static readonly bounds: readonly number[] = [
    1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5, 1, 5,
  ];
  /** Non-cumulative counts per bucket; the last slot is `+Inf`. */
  readonly counts = new Float64Array(DurationHistogram.bounds.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    const bounds = DurationHistogram.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}
