import type { Span, Tracer } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { HypermeshError, RuntimeErrorCode, messageOf } from '../errors.js';
import { DurationHistogram } from '../metrics/duration-histogram.js';
import type { AnyHookRef, HookKind, HookRef, HookTapFn, TapOrder } from './define-hook.js';
import { TapDeadline } from './tap-deadline.js';

/** Options of `hooks.tap`. */
export interface TapOptions {
  /** A name for the tap, shown in `describe()` and in errors. Defaults to the function's name. */
  name?: string;
  /** `pre` taps run first, then `normal` (default), then `post`; within a group, in tap order. */
  order?: TapOrder;
}

/** Removes a tap again. */
export type Untap = () => void;

/**
 * Tapping and calling hooks. Plugins get one bound to their name (`ctx.hooks`); the node has one
 * for the integrator (`node.hooks`).
 */
export interface HookApi {
  /** Adds a tap to a hook. The function's type is checked against the hook's arguments and result. */
  tap<Args extends unknown[], Result>(
    hook: HookRef<Args, Result>,
    fn: NoInfer<HookTapFn<Args, Result>>,
    options?: TapOptions,
  ): Untap;
  /** Calls a hook's taps according to its kind. Rejects with `E_HOOK_FAILED` when a tap fails. */
  call<Args extends unknown[], Result>(hook: HookRef<Args, Result>, ...args: Args): Promise<Result>;
  /**
   * Calls a hook whose taps are synchronous, without allocating a Promise — for per-packet paths.
   * A tap that returns a Promise is an error (`E_HOOK_ASYNC_TAP`) that names it.
   */
  callSync<Args extends unknown[], Result>(hook: HookRef<Args, Result>, ...args: Args): Result;
  /** True when the hook has at least one tap, so callers can skip building an event nobody reads. */
  hasTaps(hook: AnyHookRef): boolean;
}

/** A tap as `describe()` reports it. */
export interface TapDescription {
  /** The tap's name. */
  name: string;
  /** The plugin that added it, or `'<integrator>'`. */
  plugin: string;
  /** Its ordering group. */
  order: TapOrder;
}

/** A hook as `describe()` reports it. */
export interface HookDescription {
  /** The hook id. */
  id: string;
  /** The hook kind. */
  kind: HookKind;
  /** What the hook is for. */
  description: string | undefined;
  /** Taps in the order they run. */
  taps: TapDescription[];
  /** How many times the hook was called on this node. */
  calls: number;
  /** Failed tap invocations, by plugin. */
  errors: Record<string, number>;
}

interface Tap {
  readonly fn: (...args: unknown[]) => unknown;
  readonly plugin: string;
  readonly name: string;
  readonly rank: number;
}

const ORDER_RANK: Record<TapOrder, number> = { pre: 0, normal: 1, post: 2 };
const now = () => performance.now();

/** @internal Per-node state of one hook. */
export class HookState {
  readonly id: string;
  readonly kind: HookKind;
  readonly ref: AnyHookRef;
  /** Copy-on-write: a call iterates the array it started with, even if taps change meanwhile. */
  taps: readonly Tap[] = [];
  calls = 0;
  readonly errors = new Map<string, number>();
  readonly duration = new DurationHistogram();

  constructor(ref: AnyHookRef) {
    this.id = ref.id;
    this.kind = ref.kind;
    this.ref = ref;
  }

  countError(plugin: string): void {
    this.errors.set(plugin, (this.errors.get(plugin) ?? 0) + 1);
  }
}

/** @internal The hooks of one node: taps, calls, metrics. */
export class HookRegistry {
  readonly states = new Map<string, HookState>();

  constructor(
    private readonly tracer: Tracer,
    private readonly nodeId: string,
    /** Limit for async hook calls; 0 disables it. */
    private readonly timeoutMs: number,
  ) {}

  private state(ref: AnyHookRef): HookState {
    let s = this.states.get(ref.id);
    if (s === undefined) {
      s = new HookState(ref);
      this.states.set(ref.id, s);
    } else if (s.ref !== ref && s.kind !== ref.kind) {
      throw new HypermeshError(
        RuntimeErrorCode.HookConflict,
        `hook '${ref.id}' is used as kind '${ref.kind}' here but was first defined as kind '${s.kind}'; two packages define the same hook id differently — rename one of them`,
      );
    }
    return s;
  }

  tap(plugin: string, ref: AnyHookRef, fn: (...args: unknown[]) => unknown, options: TapOptions = {}): Untap {
    if (typeof fn !== 'function') {
      throw new HypermeshError(
        RuntimeErrorCode.InvalidArgument,
        `plugin '${plugin}' tapped hook '${ref?.id}' with ${typeof fn} instead of a function`,
        { plugin },
      );
    }
    const order = options.order ?? 'normal';
    const rank = ORDER_RANK[order];
    if (rank === undefined) {
      throw new HypermeshError(
        RuntimeErrorCode.InvalidArgument,
        `plugin '${plugin}' tapped hook '${ref.id}' with order ${JSON.stringify(order)}; use 'pre', 'normal' or 'post'`,
        { plugin },
      );
    }
    const s = this.state(ref);
    const tap: Tap = { fn, plugin, name: options.name ?? (fn.name || plugin), rank };
    // Insert after every tap of the same or an earlier group: registration order within a group.
    let at = s.taps.length;
    while (at > 0 && s.taps[at - 1]!.rank > rank) at--;
    s.taps = [...s.taps.slice(0, at), tap, ...s.taps.slice(at)];
    return () => {
      s.taps = s.taps.filter((t) => t !== tap);
    };
  }

  hasTaps(ref: AnyHookRef): boolean {
    const s = this.states.get(ref.id);
    return s !== undefined && s.taps.length > 0;
  }

  private failure(s: HookState, tap: Tap, err: unknown): HypermeshError {
    s.countError(tap.plugin);
    if (TapDeadline.isTimeout(err)) return err;
    return new HypermeshError(
      RuntimeErrorCode.HookFailed,
      `hook '${s.id}' failed in tap '${tap.name}' of plugin '${tap.plugin}': ${messageOf(err)}`,
      { plugin: tap.plugin, cause: err, details: { hook: s.id, tap: tap.name } },
    );
  }

  private aggregate(s: HookState, failures: HypermeshError[]): HypermeshError {
    const timeout = failures.find((f) => TapDeadline.isTimeout(f));
    if (timeout !== undefined) return timeout;
    const list = failures.map((f) => `'${f.details?.tap}' of plugin '${f.plugin}'`).join(', ');
    return new HypermeshError(
      RuntimeErrorCode.HookFailed,
      `hook '${s.id}' failed in ${failures.length} of its parallel taps (${list}): ${failures.map((f) => messageOf(f.cause)).join('; ')}`,
      {
        plugin: failures[0]!.plugin,
        cause: new AggregateError(failures, `hook '${s.id}' parallel taps failed`),
        details: { hook: s.id, taps: failures.map((f) => f.details?.tap) },
      },
    );
  }

  async call(ref: AnyHookRef, args: unknown[]): Promise<unknown> {
    const s = this.state(ref);
    s.calls++;
    const taps = s.taps;
    if (taps.length === 0) return s.kind === 'waterfall' ? args[0] : undefined;
    const started = now();
    const span = this.openSpan(s);
    const deadline = new TapDeadline(s.id, this.timeoutMs);
    try {
      return await this.runAsync(s, taps, args, deadline);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      deadline.dispose();
      s.duration.observe((now() - started) / 1000);
      span.end();
    }
  }

  private openSpan(s: HookState): Span {
    return this.tracer.startSpan(`hook ${s.id}`, {
      attributes: { 'hypermesh.hook': s.id, 'hypermesh.hook.kind': s.kind, 'hypermesh.node': this.nodeId },
    });
  }

  private async runAsync(s: HookState, taps: readonly Tap[], args: unknown[], deadline: TapDeadline): Promise<unknown> {
    switch (s.kind) {
      case 'series':
        for (const tap of taps) {
          try {
            await deadline.wait(tap, tap.fn(...args));
          } catch (err) {
            throw this.failure(s, tap, err);
          }
        }
        return undefined;
      case 'waterfall': {
        let value = args[0];
        for (const tap of taps) {
          try {
            args[0] = value;
            value = await deadline.wait(tap, tap.fn(...args));
          } catch (err) {
            throw this.failure(s, tap, err);
          }
        }
        return value;
      }
      case 'first':
        for (const tap of taps) {
          let result: unknown;
          try {
            result = await deadline.wait(tap, tap.fn(...args));
          } catch (err) {
            throw this.failure(s, tap, err);
          }
          if (result !== undefined) return result;
        }
        return undefined;
      case 'parallel': {
        const failures: HypermeshError[] = [];
        await Promise.all(
          taps.map(async (tap) => {
            try {
              await deadline.wait(tap, tap.fn(...args));
            } catch (err) {
              failures.push(this.failure(s, tap, err));
            }
          }),
        );
        if (failures.length > 0) throw this.aggregate(s, failures);
        return undefined;
      }
    }
  }

  callSync(ref: AnyHookRef, args: unknown[]): unknown {
    const s = this.state(ref);
    s.calls++;
    const taps = s.taps;
    if (taps.length === 0) return s.kind === 'waterfall' ? args[0] : undefined;
    const started = now();
    const span = this.openSpan(s);
    try {
      return this.runSync(s, taps, args);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      s.duration.observe((now() - started) / 1000);
      span.end();
    }
  }

  private invokeSync(s: HookState, tap: Tap, args: unknown[]): unknown {
    let result: unknown;
    try {
      result = tap.fn(...args);
    } catch (err) {
      throw this.failure(s, tap, err);
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      // The tap's work goes on without us; make sure its rejection is not reported as unhandled.
      Promise.resolve(result).catch(() => undefined);
      s.countError(tap.plugin);
      throw new HypermeshError(
        RuntimeErrorCode.HookAsyncTap,
        `hook '${s.id}' was called with hooks.callSync, but tap '${tap.name}' of plugin '${tap.plugin}' returned a Promise; make the tap synchronous or call the hook with hooks.call`,
        { plugin: tap.plugin, details: { hook: s.id, tap: tap.name } },
      );
    }
    return result;
  }

  private runSync(s: HookState, taps: readonly Tap[], args: unknown[]): unknown {
    switch (s.kind) {
      case 'series':
        for (const tap of taps) this.invokeSync(s, tap, args);
        return undefined;
      case 'waterfall': {
        let value = args[0];
        for (const tap of taps) {
          args[0] = value;
          value = this.invokeSync(s, tap, args);
        }
        return value;
      }
      case 'first':
        for (const tap of taps) {
          const result = this.invokeSync(s, tap, args);
          if (result !== undefined) return result;
        }
        return undefined;
      case 'parallel': {
        let failures: HypermeshError[] | undefined;
        for (const tap of taps) {
          try {
            this.invokeSync(s, tap, args);
          } catch (err) {
            (failures ??= []).push(err as HypermeshError);
          }
        }
        if (failures !== undefined) throw this.aggregate(s, failures);
        return undefined;
      }
    }
  }

  describe(): HookDescription[] {
    return [...this.states.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((s) => ({
        id: s.id,
        kind: s.kind,
        description: s.ref.description,
        taps: s.taps.map((t) => ({ name: t.name, plugin: t.plugin, order: rankName(t.rank) })),
        calls: s.calls,
        errors: Object.fromEntries(s.errors),
      }));
  }

  /** A {@link HookApi} whose taps are attributed to `plugin`. */
  api(plugin: string): HookApi {
    return {
      tap: (hook, fn, options) => this.tap(plugin, hook, fn as (...args: unknown[]) => unknown, options),
      call: (hook, ...args) => this.call(hook, args) as Promise<never>,
      callSync: (hook, ...args) => this.callSync(hook, args) as never,
      hasTaps: (hook) => this.hasTaps(hook),
    };
  }
}

function failSpan(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(err) });
}

function rankName(rank: number): TapOrder {
  return rank === 0 ? 'pre' : rank === 1 ? 'normal' : 'post';
}
