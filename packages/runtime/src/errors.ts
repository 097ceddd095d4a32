/**
 * Every error the runtime throws, one registry (Fastify's lib/errors.js habit): a stable `code`,
 * the plugin it concerns, and a sentence that says what happened and what to do.
 */

/** The stable codes of errors thrown by `@hypermesh/runtime`. */
export const RuntimeErrorCode = {
  /** A plugin's `requires`/`optional` range is not satisfied by the loaded version. */
  VersionMismatch: 'E_VERSION_MISMATCH',
  /** A plugin requires another plugin that is not in the plugin list. */
  DependencyMissing: 'E_DEP_MISSING',
  /** Plugins depend on each other in a cycle; the message carries the whole path. */
  DependencyCycle: 'E_DEP_CYCLE',
  /** Two plugins with the same name were given to `createNode`. */
  DuplicatePlugin: 'E_DUPLICATE_PLUGIN',
  /** Two plugins provide the same service and no override decides between them. */
  DuplicateService: 'E_DUPLICATE_SERVICE',
  /** A required service has no provider, or a declared provider did not provide it. */
  ServiceMissing: 'E_SERVICE_MISSING',
  /** A consumer's service ref and the provider's do not share a major version. */
  ServiceVersion: 'E_SERVICE_VERSION',
  /** A plugin used or provided a service it did not declare in its manifest. */
  ServiceUndeclared: 'E_SERVICE_UNDECLARED',
  /** A plugin's config (or a cluster document) failed validation; every issue has its path. */
  ConfigInvalid: 'E_CONFIG_INVALID',
  /** A hook tap threw or rejected; the cause is kept and the plugin and hook are named. */
  HookFailed: 'E_HOOK_FAILED',
  /** An async hook call did not settle within `hookTimeoutMs`; the message names the pending taps. */
  HookTimeout: 'E_HOOK_TIMEOUT',
  /** `hooks.callSync` met a tap that returned a Promise. */
  HookAsyncTap: 'E_HOOK_ASYNC_TAP',
  /** Two hook refs share an id but disagree on their kind. */
  HookConflict: 'E_HOOK_CONFLICT',
  /** A plugin's setup or start did not finish within `startTimeoutMs`. */
  StartTimeout: 'E_START_TIMEOUT',
  /** A plugin's setup or start threw; what had started was stopped in reverse order. */
  StartFailed: 'E_START_FAILED',
  /** One or more plugins failed or timed out while stopping. */
  StopFailed: 'E_STOP_FAILED',
  /** A plugin definition (manifest) is malformed. */
  PluginInvalid: 'E_PLUGIN_INVALID',
  /** `loadPlugins` could not import a specifier. */
  PluginLoadFailed: 'E_PLUGIN_LOAD_FAILED',
  /** An API was called in a node state where it cannot work (e.g. `get` before `start`). */
  NodeState: 'E_NODE_STATE',
  /** A bad argument was passed to a runtime API. */
  InvalidArgument: 'E_INVALID_ARGUMENT',
  /** A message was refused by a transport (unknown peer, too large, closed). */
  TransportRefused: 'E_TRANSPORT_REFUSED',
} as const;

/** One of the runtime's stable error codes. */
export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

/** Options accepted by {@link HypermeshError}. */
export interface HypermeshErrorOptions {
  /** The plugin the error concerns (its npm name), when there is one. */
  plugin?: string;
  /** The underlying error. */
  cause?: unknown;
  /** Structured detail for programs (e.g. the list of config issues). */
  details?: Record<string, unknown>;
}

/**
 * The base class of every error HyperMesh throws. Packages extend the set of codes with their
 * own (`E_DNS_…`, `E_PBFT_…`); the runtime's codes are listed in {@link RuntimeErrorCode}.
 *
 * ```ts
 * try { await node.start(); } catch (err) {
 *   if (err instanceof HypermeshError && err.code === 'E_START_TIMEOUT') …
 * }
 * ```
 */
export class HypermeshError<Code extends string = string> extends Error {
  /** Stable, machine-readable code such as `E_VERSION_MISMATCH`. */
  readonly code: Code;
  /** The plugin the error concerns, when there is one. */
  readonly plugin: string | undefined;
  /** Structured detail for programs; the message already says it in words. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, options: HypermeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HypermeshError';
    this.code = code;
    this.plugin = options.plugin;
    this.details = options.details;
  }
}

/** True when `err` is a {@link HypermeshError}, optionally with the given code. */
export function isHypermeshError<Code extends string>(err: unknown, code?: Code): err is HypermeshError<Code> {
  return err instanceof HypermeshError && (code === undefined || err.code === code);
}

/** Formats `name@version` the way every runtime message quotes a plugin. */
export function pluginLabel(name: string, version?: string): string {
  return version === undefined ? `'${name}'` : `'${name}@${version}'`;
}

/** Returns the message of any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
