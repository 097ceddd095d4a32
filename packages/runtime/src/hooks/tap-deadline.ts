import { HypermeshError, RuntimeErrorCode } from '../errors.js';

/** @internal What the deadline needs to know about a tap to name it. */
export interface NamedTap {
  readonly name: string;
  readonly plugin: string;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';

/**
 * @internal The deadline of one async hook call. A tap that never settles would otherwise leave
 * the call pending forever — and a process whose event loop runs dry exits with code 0 in the
 * middle of it. The timer is armed only when a tap actually returns a promise, so calls whose taps
 * are synchronous pay nothing.
 */
export class TapDeadline {
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private expiry: Promise<never> | undefined;
  private readonly pending = new Set<NamedTap>();

  constructor(
    private readonly hookId: string,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves with the tap's result, or rejects with `E_HOOK_TIMEOUT` once the deadline passes. */
  async wait(tap: NamedTap, result: unknown): Promise<unknown> {
    if (!isThenable(result) || this.timeoutMs <= 0) return result;
    this.pending.add(tap);
    try {
      return await Promise.race([result, this.arm()]);
    } finally {
      this.pending.delete(tap);
    }
  }

  /** True when `err` is this runtime's timeout error (taps' own errors are wrapped instead). */
  static isTimeout(err: unknown): err is HypermeshError {
    return err instanceof HypermeshError && err.code === RuntimeErrorCode.HookTimeout;
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private arm(): Promise<never> {
    if (this.expiry === undefined) {
      this.expiry = new Promise<never>((_, reject) => {
        const remaining = Math.max(0, this.timeoutMs - (performance.now() - this.startedAt));
        this.timer = setTimeout(() => {
          const running = [...this.pending].map((t) => `tap '${t.name}' of plugin '${t.plugin}'`);
          reject(
            new HypermeshError(
              RuntimeErrorCode.HookTimeout,
              `hook '${this.hookId}' did not finish within ${this.timeoutMs} ms: ${running.join(', ') || 'a tap'} ${running.length > 1 ? 'are' : 'is'} still running; it may be waiting for something that never happens (the limit is createNode's hookTimeoutMs)`,
              { plugin: [...this.pending][0]?.plugin, details: { hook: this.hookId, taps: [...this.pending].map((t) => t.name) } },
            ),
          );
        }, remaining);
      });
      this.expiry.catch(() => undefined);
    }
    return this.expiry;
  }
}
