import type { DropReason } from './validate-event.js';

const SAMPLE_EVERY = 16;
const SAMPLES = 2048;

/**
 * Plain counters the engine bumps on the per-packet path (no label lookups, no allocation); the
 * plugin's Prometheus metrics read them at scrape time. Observe latency is sampled on one event in
 * sixteen into a ring, from which percentiles are computed on demand.
 */
export class EngineCounters {
  readonly events = { dns: 0, flow: 0, answers: 0 };
  readonly dropped = new Map<DropReason, number>();
  readonly threats = new Map<string, number>();
  readonly detectorErrors = new Map<string, number>();
  readonly trainings = { worker: 0, inline: 0, failed: 0, lastMs: 0 };
  private readonly warned = new Set<string>();
  private readonly latencies = new Float64Array(SAMPLES);
  private latencyCount = 0;
  private tick = 0;

  /** Starts timing one event in sixteen: returns the start time, or -1 when this one is not sampled. */
  startTiming(): number {
    return ++this.tick % SAMPLE_EVERY === 0 ? performance.now() : -1;
  }

  /** Ends a timing started by {@link EngineCounters.startTiming}. */
  endTiming(started: number): void {
    if (started < 0) return;
    this.latencies[this.latencyCount++ % SAMPLES] = (performance.now() - started) * 1000;
  }

  /** Percentile `p` (0–100) of the sampled observe latencies in µs, or undefined without samples. */
  latencyPercentile(p: number): number | undefined {
    const n = Math.min(this.latencyCount, SAMPLES);
    if (n === 0) return undefined;
    const sorted = this.latencies.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.floor((p / 100) * n))];
  }

  /** Counts a dropped event and warns once per reason. */
  drop(reason: DropReason, warn: ((message: string) => void) | undefined, detail?: unknown): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
    if (warn !== undefined && !this.warned.has(reason)) {
      this.warned.add(reason);
      const why = detail === undefined ? '' : `: ${detail instanceof Error ? detail.message : String(detail)}`;
      warn(`dropped an event (${reason})${why}; further drops of this kind are only counted in hypermesh_stoq_events_dropped_total`);
    }
  }

  /** Counts a threat event. */
  threat(kind: string, action: string): void {
    const key = `${kind}|${action}`;
    this.threats.set(key, (this.threats.get(key) ?? 0) + 1);
  }

  /** Counts a custom detector failure and warns once per detector. */
  detectorError(name: string, warn: ((message: string) => void) | undefined, err: unknown): void {
    this.detectorErrors.set(name, (this.detectorErrors.get(name) ?? 0) + 1);
    if (warn !== undefined && !this.warned.has(`detector:${name}`)) {
      this.warned.add(`detector:${name}`);
      warn(`custom detector '${name}' threw (${err instanceof Error ? err.message : String(err)}); the event was scored without it`);
    }
  }

  /** Counts a finished training. */
  trained(where: 'worker' | 'inline', ms: number): void {
    this.trainings[where]++;
    this.trainings.lastMs = ms;
  }

  /** Counts a failed training and warns. */
  trainingFailed(warn: ((message: string) => void) | undefined, err: unknown): void {
    this.trainings.failed++;
    warn?.(err instanceof Error ? err.message : String(err));
  }
}
