import type { Logger } from 'pino';
import type { HookApi } from '../hooks/hook-registry.js';
import type { PluginMetrics } from '../metrics/node-metrics.js';
import type { ServiceConsumer, ServiceRef } from '../services/service-ref.js';

/** What a plugin's health check reports. */
export interface HealthReport {
  /** `ok`: serving; `degraded`: serving with a problem; `down`: not serving. */
  status: 'ok' | 'degraded' | 'down';
  /** A sentence an operator can act on, e.g. "2 of 3 upstreams unreachable". */
  detail?: string;
}

/** Work to run at start or stop. */
export type LifecycleHandler = () => void | Promise<void>;

/**
 * Everything a plugin's `setup(ctx)` receives. Services and hooks are reached only through typed
 * refs; the config is already validated against the plugin's schema.
 */
export interface PluginContext<Config = unknown> {
  /** The plugin's npm name. */
  readonly name: string;
  /** The plugin's version. */
  readonly version: string;
  /** The id of the node this plugin runs on (`createNode({ id })`). */
  readonly nodeId: string;
  /** The plugin's config slice, parsed by its zod schema (defaults applied). */
  readonly config: Config;
  /** A pino logger whose records carry `plugin` and `node`. */
  readonly logger: Logger;
  /** Creates metrics in the node's registry. */
  readonly metrics: PluginMetrics;
  /** Taps and calls hooks; taps are attributed to this plugin. */
  readonly hooks: HookApi;
  /** Aborted when the node stops (before this plugin's `onStop` handlers run). */
  readonly signal: AbortSignal;
  /**
   * Provides a service declared in the manifest's `provides`. Call it during setup. For a
   * plugin-scoped ref, give a factory that makes one instance per consuming plugin.
   */
  provide<T>(ref: ServiceRef<T, 'node'>, implementation: NoInfer<T>): void;
  provide<T>(ref: ServiceRef<T, 'plugin'>, factory: (consumer: ServiceConsumer) => NoInfer<T>): void;
  /**
   * Returns a service declared in `requires.services`. Its provider was set up first, so this works
   * in setup as well as later. Throws `E_SERVICE_UNDECLARED` for an undeclared ref.
   */
  use<T>(ref: ServiceRef<T>): T;
  /** Returns a service declared in `optionalServices`, or `undefined` when nobody provides it. */
  useOptional<T>(ref: ServiceRef<T>): T | undefined;
  /** Runs `fn` when the node starts, after every plugin this one depends on has started. */
  onStart(fn: LifecycleHandler): void;
  /**
   * Runs `fn` when the node stops, before the plugins this one depends on stop. Handlers of one
   * plugin run in reverse registration order. They also run when a failed start is rolled back
   * after this plugin's setup completed.
   */
  onStop(fn: LifecycleHandler): void;
  /** Registers this plugin's health check, reported by `node.health()`. */
  onHealthCheck(fn: () => HealthReport | Promise<HealthReport>): void;
}
