import type { ClockService, TimerHandle } from '../contracts/clock.js';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';

/**
 * A clock that moves only when told to. Timers fire in time order (ties in the order they were
 * set), and between two timers every pending microtask runs, so promise chains started by a timer
 * settle before the next timer fires. Given the same inputs, a run is the same every time.
 */
export interface SimulatedClock extends ClockService {
  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): Promise<void>;
  /**
   * Advances in steps of `stepMs` until `predicate()` is true or `maxMs` has passed.
   * Resolves with whether the predicate became true.
   */
  runUntil(predicate: () => boolean, options?: { maxMs?: number; stepMs?: number }): Promise<boolean>;
  /** Timers not yet fired or cleared. */
  pending(): number;
}

interface Timer extends TimerHandle {
  at: number;
  seq: number;
  callback: () => void;
  period: number | undefined;
  cancelled: boolean;
}

/** Lets every queued microtask (and promise chain) run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Creates a simulated clock starting at `start` ms (default 0). */
export function createSimulatedClock(start = 0): SimulatedClock {
  let now = start;
  let seq = 0;
  let live = 0;
  const heap: Timer[] = [];
  const less = (x: Timer, y: Timer) => x.at < y.at || (x.at === y.at && x.seq < y.seq);
  const push = (t: Timer) => {
    heap.push(t);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Timer | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  const schedule = (callback: () => void, delayMs: number, period: number | undefined): Timer => {
    if (typeof callback !== 'function') {
      throw new HypermeshError(RuntimeErrorCode.InvalidArgument, 'SimulatedClock: a timer callback must be a function');
    }
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: Timer = { at: now + delay, seq: seq++, callback, period, cancelled: false };
    live++;
    push(timer);
    return timer;
  };

  const clock: SimulatedClock = {
    now: () => now,
    setTimeout: (callback, delayMs) => schedule(callback, delayMs, undefined),
    setInterval: (callback, periodMs) => schedule(callback, periodMs, Math.max(periodMs, 1)),
    clearTimeout: (handle) => {
      const timer = handle as Timer;
      if (timer !== undefined && timer !== null && !timer.cancelled && typeof timer.seq === 'number') {
        timer.cancelled = true;
        live--;
      }
    },
    pending: () => live,
    async advance(ms) {
      const target = now + Math.max(0, ms);
      await settle();
      for (;;) {
        const top = heap[0];
        if (top === undefined || top.at > target) break;
        pop();
        if (top.cancelled) continue;
        now = top.at;
        if (top.period !== undefined) {
          top.at = now + top.period;
          top.seq = seq++;
          push(top);
        } else {
          top.cancelled = true;
          live--;
        }
        top.callback();
        await settle();
      }
      now = target;
    },
    async runUntil(predicate, options = {}) {
      const maxMs = options.maxMs ?? 60_000;
      const stepMs = options.stepMs ?? 1;
      const deadline = now + maxMs;
      while (!predicate()) {
        if (now >= deadline) return false;
        await clock.advance(Math.min(stepMs, deadline - now));
      }
      return true;
    },
  };
  return clock;
}
