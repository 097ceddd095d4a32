/** Replays events through an engine on a simulated clock (test support). */
import { createSimulatedClock, type DnsObservation, type SimulatedClock, type ThreatEvent } from '@hypermesh/runtime';
import { defaultStoqConfig, type StoqConfig } from '../config.js';
import { AnalyticsEngine } from '../engine/analytics-engine.js';
import type { ForestTrainer } from '../forest/forest-trainer.js';
import { defaultNameClassifier, defaultNameModel } from '../names/classify-name.js';

/** An engine with a simulated clock that records every threat it emits. */
export interface Harness {
  readonly engine: AnalyticsEngine;
  readonly clock: SimulatedClock;
  readonly threats: ThreatEvent[];
  /**
   * Feeds events in time order, calling `engine.tick()` every `tickMs` of simulated time. With
   * `until`, stops before the first event at or after it (leaving it in `events`) and ticks up to it.
   */
  replay(events: Iterable<DnsObservation> | EventSource, until?: number): Promise<void>;
}

/** A stream of events that can be replayed in several parts. */
export class EventSource implements Iterable<DnsObservation> {
  private readonly iterator: Iterator<DnsObservation>;
  private head: IteratorResult<DnsObservation>;

  constructor(events: Iterable<DnsObservation>) {
    this.iterator = events[Symbol.iterator]();
    this.head = this.iterator.next();
  }

  /** The next event if it is before `until`. */
  takeBefore(until: number): DnsObservation | undefined {
    if (this.head.done || this.head.value.at >= until) return undefined;
    const value = this.head.value;
    this.head = this.iterator.next();
    return value;
  }

  /** The remaining events. */
  *[Symbol.iterator](): Generator<DnsObservation> {
    for (let e = this.takeBefore(Number.POSITIVE_INFINITY); e !== undefined; e = this.takeBefore(Number.POSITIVE_INFINITY)) yield e;
  }
}

/** Builds a harness; `config` overrides the defaults (as in the plugin's config). */
export function harness(config: Parameters<typeof defaultStoqConfig>[0] = {}, options: { trainer?: ForestTrainer; tickMs?: number } = {}): Harness {
  const clock = createSimulatedClock(0);
  const threats: ThreatEvent[] = [];
  const full: StoqConfig = defaultStoqConfig(config);
  const engine = new AnalyticsEngine({
    config: full,
    clock,
    nodeId: 'node-1',
    model: defaultNameModel(),
    classifier: defaultNameClassifier(),
    emit: (t) => threats.push(t),
    ...(options.trainer ? { trainer: options.trainer } : {}),
  });
  const tickMs = options.tickMs ?? 1000;
  let nextTick = tickMs;
  const tickTo = async (at: number) => {
    while (nextTick <= at) {
      await clock.advance(nextTick - clock.now());
      engine.tick();
      nextTick += tickMs;
    }
  };
  return {
    engine,
    clock,
    threats,
    async replay(events, until) {
      const source = events instanceof EventSource ? events : new EventSource(events);
      const end = until ?? Number.POSITIVE_INFINITY;
      for (let event = source.takeBefore(end); event !== undefined; event = source.takeBefore(end)) {
        if (event.at >= nextTick) await tickTo(event.at);
        engine.observe(event);
      }
      if (until !== undefined) await tickTo(until);
    },
  };
}

/** Merges time-ordered event streams into one. */
export function* merge<T extends { at: number }>(...streams: Iterable<T>[]): Generator<T> {
  const its = streams.map((s) => s[Symbol.iterator]());
  const heads = its.map((it) => it.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (!h.done && (best < 0 || h.value.at < (heads[best]!.value as T).at)) best = i;
    }
    if (best < 0) return;
    yield heads[best]!.value as T;
    heads[best] = its[best]!.next();
  }
}
