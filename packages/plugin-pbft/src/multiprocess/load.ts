// Closed-loop load for benchmarks: a fixed number of submissions outstanding at all times.
import { performance } from 'node:perf_hooks';

/** What a load run measured. */
export interface LoadResult {
  readonly ops: number;
  readonly seconds: number;
  /** Latencies in ms, sorted. */
  readonly latencies: number[];
  readonly failures: number;
}

/** The p-th percentile of sorted values. */
export const percentile = (sorted: readonly number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
/** The arithmetic mean. */
export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/**
 * Closed-loop load: `concurrency` submissions outstanding at all times, spread over the nodes
 * `via`, for `durationMs` after `warmupMs`. Each operation sets a key to a value of `payloadBytes`.
 */
export async function closedLoop(
  submit: (via: number, value: string, key: string) => Promise<unknown>,
  via: readonly number[],
  options: { concurrency: number; payloadBytes: number; durationMs: number; warmupMs: number },
): Promise<LoadResult> {
  const value = 'x'.repeat(options.payloadBytes);
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let ops = 0;
  let failures = 0;
  let counter = 0;
  const worker = async (w: number) => {
    while (performance.now() < end) {
      const i = counter++;
      const t0 = performance.now();
      try {
        await submit(via[(w + i) % via.length]!, value, `k${i % 1000}`);
      } catch {
        failures++;
        continue;
      }
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) {
        ops++;
        latencies.push(t1 - t0);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  latencies.sort((a, b) => a - b);
  return { ops, seconds: options.durationMs / 1000, latencies, failures };
}

