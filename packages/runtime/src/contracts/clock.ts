import { createServiceRef } from '../services/service-ref.js';

/** An opaque timer handle returned by {@link ClockService.setTimeout}. */
export interface TimerHandle {
  /** Type marker only. */
  readonly '~timer'?: true;
}

/**
 * Time as plugins must read it. Code whose behaviour depends on time (timeouts, view changes,
 * TTLs, rate windows) reads it from this service instead of `Date.now()`/`setTimeout`, so a
 * simulation can replace it with a deterministic clock (`createSimulatedClock`). The runtime
 * provides the system clock unless an integrator overrides `clockRef`.
 */
export interface ClockService {
  /** Milliseconds: since the epoch for the system clock, since the start for a simulated one. */
  now(): number;
  /** Runs `callback` once after `delayMs` milliseconds of this clock's time. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Runs `callback` every `periodMs` milliseconds until cleared. */
  setInterval(callback: () => void, periodMs: number): TimerHandle;
  /** Cancels a timeout or interval; cancelling twice or a fired timeout is harmless. */
  clearTimeout(handle: TimerHandle): void;
}

/** The `clock` service. Always available: the runtime provides the system clock by default. */
export const clockRef = createServiceRef<ClockService>({
  id: 'clock',
  version: '1.0.0',
  description: 'Time and timers; overridden by simulations for deterministic runs',
});

/** The wall clock and Node's timers. */
export const systemClock: ClockService = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs) as unknown as TimerHandle,
  setInterval: (callback, periodMs) => setInterval(callback, periodMs) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
