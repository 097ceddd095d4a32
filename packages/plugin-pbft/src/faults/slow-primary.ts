/**
 * Slow-primary detection ("slow primary relative to the others"). A backup measures, for each
 * request it received directly, how long the primary took to order it (request arrival →
 * PRE-PREPARE arrival). The current primary's median over its recent requests is compared with a
 * reference: the median of what other replicas achieved when they were primary, or — before any
 * other has been — the batch timeout plus twice the backups' own response time.
 */

const WINDOW = 16;
const MIN_SAMPLES = 8;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Options of {@link SlowPrimaryMonitor}. */
export interface SlowPrimaryOptions {
  /** Slow when the primary's delay exceeds this many times the reference. */
  readonly factor: number;
  /** ...and exceeds the batch timeout by at least this many ms. */
  readonly marginMs: number;
  /** The configured batch timeout T (ms). */
  readonly batchTimeoutMs: number;
  /** Samples needed before judging. */
  readonly minSamples?: number;
}

/** Tracks ordering delays per primary and judges the current one. */
export class SlowPrimaryMonitor {
  private readonly ordering = new Map<string, number[]>();
  /** Median delay each replica achieved in its earlier terms as primary. */
  private readonly history = new Map<string, number>();
  private readonly responses: number[] = [];

  constructor(private readonly options: SlowPrimaryOptions) {}

  /** A request this backup saw arriving was ordered by `primary` after `delayMs`. */
  observeOrdering(primary: string, delayMs: number): void {
    let samples = this.ordering.get(primary);
    if (samples === undefined) this.ordering.set(primary, (samples = []));
    samples.push(Math.max(0, delayMs));
    if (samples.length > WINDOW) samples.shift();
  }

  /** A backup answered a PRE-PREPARE (with its PREPARE) after `delayMs`. */
  observeResponse(delayMs: number): void {
    this.responses.push(Math.max(0, delayMs));
    if (this.responses.length > WINDOW) this.responses.shift();
  }

  /** A term as primary ended (view change): its median joins the history. */
  endTerm(primary: string): void {
    const samples = this.ordering.get(primary);
    if (samples !== undefined && samples.length >= (this.options.minSamples ?? MIN_SAMPLES)) this.history.set(primary, median(samples));
    this.ordering.delete(primary);
  }

  /** The reason `primary` counts as slow now, or `undefined`. */
  verdict(primary: string): string | undefined {
    const samples = this.ordering.get(primary);
    if (samples === undefined || samples.length < (this.options.minSamples ?? MIN_SAMPLES)) return undefined;
    const observed = median(samples);
    const others = [...this.history.entries()].filter(([id]) => id !== primary).map(([, v]) => v);
    const response = this.responses.length > 0 ? median(this.responses) : 1;
    const reference = others.length > 0 ? median(others) : this.options.batchTimeoutMs + 2 * response;
    const threshold = Math.max(this.options.factor * reference, this.options.batchTimeoutMs + this.options.marginMs);
    if (observed <= threshold) return undefined;
    return `slow primary: orders requests in ${observed.toFixed(1)} ms (median of ${samples.length}), threshold ${threshold.toFixed(1)} ms`;
  }
}
