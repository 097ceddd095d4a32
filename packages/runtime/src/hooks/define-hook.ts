import { HypermeshError, RuntimeErrorCode } from '../errors.js';

/**
 * How a hook runs its taps:
 * - `series`: each tap in turn; a failing tap stops the call. Result `void`.
 * - `waterfall`: each tap receives the previous tap's result as its first argument; the call
 *   returns the last result. `Result` must be the type of the first argument.
 * - `first`: taps run in turn until one returns something other than `undefined`; that value is
 *   the result (`undefined` when no tap answers). `Result` must include `undefined`.
 * - `parallel`: all taps at once; every failure is collected into one error. Result `void`.
 */
export type HookKind = 'series' | 'waterfall' | 'first' | 'parallel';

/** Where a tap sits: all `pre` taps run before `normal` ones, which run before `post` ones. */
export type TapOrder = 'pre' | 'normal' | 'post';

/**
 * A typed handle on a hook. To tap or call a hook you import its ref; there are no string-keyed
 * hooks and no global type merging, so a tap only type-checks where its hook's package is used.
 */
export interface HookRef<Args extends unknown[], Result> {
  /** The hook id, e.g. `dns.query`. */
  readonly id: string;
  /** How the hook runs its taps. */
  readonly kind: HookKind;
  /** What the hook is for; shown by `describe()`. */
  readonly description: string | undefined;
  /** Type marker only; never set. */
  readonly '~types'?: { args: Args; result: Result };
}

/** A hook ref of any type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHookRef = HookRef<any[], any>;

/** The arguments a hook is called with. */
export type HookArgs<H> = H extends HookRef<infer A, unknown> ? A : never;
/** The result type of a hook. */
export type HookResult<H> = H extends HookRef<unknown[], infer R> ? R : never;

/** A tap function for a hook with these arguments and result. */
export type HookTapFn<Args extends unknown[], Result> = (...args: Args) => Result | Promise<Result>;

/**
 * The kinds a hook with these types may have, so that `defineHook` rejects at compile time a kind
 * that cannot produce the declared result: `series`/`parallel` need `Result = void`, `first` needs
 * `undefined` in `Result`, `waterfall` needs `Result` to be the type of the first argument.
 */
export type AllowedHookKinds<Args extends unknown[], Result> =
  | ([Result] extends [void] ? 'series' | 'parallel' : never)
  | ([undefined] extends [Result] ? 'first' : never)
  | (Args extends [infer First, ...unknown[]]
      ? [First] extends [Result]
        ? [Result] extends [First]
          ? 'waterfall'
          : never
        : never
      : never);

/** Options of {@link defineHook}. */
export interface HookOptions<Kind extends HookKind> {
  /** The hook id, e.g. `dns.query`: lower-case words joined by `.` or `-`. */
  id: string;
  /** How the hook runs its taps. */
  kind: Kind;
  /** What the hook is for, when it is called and what taps may do. */
  description?: string;
}

const HOOK_ID = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;
const KINDS: ReadonlySet<string> = new Set(['series', 'waterfall', 'first', 'parallel']);

/**
 * Defines a typed hook.
 *
 * ```ts
 * // observers may refuse a query by returning a verdict; the first verdict wins
 * export const queryHook = defineHook<[query: Query], Verdict | undefined>({ id: 'my.query', kind: 'first' });
 * ```
 */
export function defineHook<Args extends unknown[], Result = void>(
  options: HookOptions<AllowedHookKinds<Args, Result>>,
): HookRef<Args, Result> {
  if (typeof options?.id !== 'string' || !HOOK_ID.test(options.id)) {
    throw new HypermeshError(
      RuntimeErrorCode.InvalidArgument,
      `defineHook: id ${JSON.stringify(options?.id)} is not a valid hook id; use lower-case words joined by '.' or '-', e.g. 'dns.query'`,
    );
  }
  if (!KINDS.has(options.kind)) {
    throw new HypermeshError(
      RuntimeErrorCode.InvalidArgument,
      `defineHook: hook '${options.id}' has kind ${JSON.stringify(options.kind)}; use 'series', 'waterfall', 'first' or 'parallel'`,
    );
  }
  return Object.freeze({ id: options.id, kind: options.kind, description: options.description });
}
