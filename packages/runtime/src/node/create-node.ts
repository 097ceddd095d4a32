import { trace, type Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { clockRef, systemClock } from '../contracts/clock.js';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';
import { HookRegistry, type HookApi, type HookDescription } from '../hooks/hook-registry.js';
import { createDefaultLogger } from '../logging/default-logger.js';
import { createNodeMetrics, createPluginMetrics, type PluginState } from '../metrics/node-metrics.js';
import type { HealthReport } from '../plugin/context.js';
import type { AnyPlugin } from '../plugin/define-plugin.js';
import { ServiceRegistry, type ServiceDescription } from '../services/service-registry.js';
import type { AnyServiceRef, ServiceImplementation, ServiceRef, ServiceScope } from '../services/service-ref.js';
import { RUNTIME_NAME, RUNTIME_VERSION } from '../version.js';
import { validatePluginConfigs } from './config-slices.js';
import { Lifecycle, type PluginRecord } from './lifecycle.js';
import { planNode } from './plan.js';

/** An integrator's replacement for a service: `[ref, implementation]`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServiceOverride = readonly [ServiceRef<any, ServiceScope>, unknown];

/** Checks each override tuple's implementation against its ref's type. */
export type CheckedOverrides<O extends readonly ServiceOverride[]> = {
  readonly [K in keyof O]: O[K] extends readonly [ServiceRef<infer T, infer S>, unknown]
    ? readonly [ServiceRef<T, S>, ServiceImplementation<T, S>]
    : O[K];
};

/** Options of {@link createNode}. */
export interface CreateNodeOptions<O extends readonly ServiceOverride[] = readonly ServiceOverride[]> {
  /** This node's id, used in logs, metrics labels and by plugins (`ctx.nodeId`). Default `node-1`. */
  id?: string;
  /** The plugins; they are ordered by their dependencies, ties keep this order. */
  plugins: readonly AnyPlugin[];
  /** Config slices by plugin name; each is validated by the plugin's zod schema. */
  config?: Readonly<Record<string, unknown>>;
  /** Services the integrator supplies; an override always wins over a plugin's provider. */
  overrides?: CheckedOverrides<O>;
  /** A pino logger; plugins get children of it. Default: JSON on stderr at `HYPERMESH_LOG_LEVEL`. */
  logger?: Logger;
  /** How long each plugin's setup and each start handler may take. Default 30 000 ms. */
  startTimeoutMs?: number;
  /** How long each plugin's stop handlers may take. Default 10 000 ms. */
  stopTimeoutMs?: number;
  /**
   * How long an async hook call (`hooks.call`) may take before it rejects with `E_HOOK_TIMEOUT`
   * naming the taps still running. Default 30 000 ms; 0 disables the limit.
   */
  hookTimeoutMs?: number;
  /** The OpenTelemetry tracer for hook spans. Default: the global tracer (a no-op without an SDK). */
  tracer?: Tracer;
}

/** The lifecycle state of a node. */
export type NodeState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'failed';

/** A plugin as `describe()` reports it. */
export interface PluginDescription {
  name: string;
  version: string;
  description: string | undefined;
  state: PluginState;
  /** Ids of the services it provides. */
  provides: string[];
  /** Ids of the services it requires, then those it uses when present. */
  uses: { required: string[]; optional: string[] };
  /** Required and optional plugins with their ranges. */
  dependsOn: Record<string, string>;
}

/** What `node.describe()` returns: plugins in boot order, services and hooks. */
export interface NodeDescription {
  nodeId: string;
  runtime: { name: string; version: string };
  state: NodeState;
  plugins: PluginDescription[];
  services: ServiceDescription[];
  hooks: HookDescription[];
}

/** What `node.health()` returns. */
export interface NodeHealth {
  /** The worst status among plugins; `down` unless the node is started. */
  status: HealthReport['status'];
  nodeId: string;
  state: NodeState;
  plugins: { name: string; state: PluginState; status: HealthReport['status']; detail?: string }[];
}

/** A node assembled from plugins. */
export interface HypermeshNode {
  /** The node id. */
  readonly id: string;
  /** Where the node is in its lifecycle. */
  readonly state: NodeState;
  /** The node's logger. */
  readonly logger: Logger;
  /** Hooks, for the integrator: taps added here are attributed to `<integrator>`. */
  readonly hooks: HookApi;
  /** The node's Prometheus registry: runtime metrics and every plugin's. */
  readonly metrics: Registry;
  /**
   * Runs every plugin's setup, then every start handler, in dependency order. If one fails or
   * times out, what was set up is stopped in reverse order and the promise rejects with
   * `E_START_FAILED` / `E_START_TIMEOUT` (or the configuration error that caused it).
   */
  start(): Promise<void>;
  /** Stops plugins in reverse order. Idempotent: later calls return the same promise. */
  stop(): Promise<void>;
  /** Returns a service (after setup). Throws `E_SERVICE_MISSING` when nobody provides it. */
  get<T>(ref: ServiceRef<T>): T;
  /** Returns a service, or `undefined` when nobody provides it. */
  getOptional<T>(ref: ServiceRef<T>): T | undefined;
  /** Plugins in boot order with versions and states, services and providers, hooks and taps. */
  describe(): NodeDescription;
  /** Runs every plugin's health check. */
  health(): Promise<NodeHealth>;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

/**
 * Assembles a node. Manifests, versions, dependencies, services and config are all checked here,
 * synchronously, so a misassembled node fails before anything runs; `start()` then runs the
 * plugins.
 *
 * ```ts
 * const node = createNode({ plugins: [greeter], config: { '@acme/plugin-greeter': { greeting: 'hi' } } });
 * await node.start();
 * node.get(greeterRef).greet('ada');
 * await node.stop();
 * ```
 */
export function createNode<const O extends readonly ServiceOverride[] = []>(options: CreateNodeOptions<O>): HypermeshNode {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.plugins)) {
    throw new HypermeshError(RuntimeErrorCode.InvalidArgument, 'createNode: options.plugins must be an array of plugins made by definePlugin');
  }
  const nodeId = options.id ?? 'node-1';
  const overrides = (options.overrides ?? []) as readonly ServiceOverride[];
  for (const [i, entry] of overrides.entries()) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0]?.id !== 'string') {
      throw new HypermeshError(
        RuntimeErrorCode.InvalidArgument,
        `createNode: overrides[${i}] must be a [serviceRef, implementation] pair`,
      );
    }
  }
  const builtins: AnyServiceRef[] = [clockRef];
  const plan = planNode(
    options.plugins,
    overrides.map(([ref]) => ref),
    builtins,
    { name: RUNTIME_NAME, version: RUNTIME_VERSION },
  );
  const configs = validatePluginConfigs(plan.ordered, options.config ?? {});

  const logger = (options.logger ?? createDefaultLogger()).child({ node: nodeId });
  const hooks = new HookRegistry(
    options.tracer ?? trace.getTracer(RUNTIME_NAME, RUNTIME_VERSION),
    nodeId,
    options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
  );
  const services = new ServiceRegistry(plan, nodeId);
  services.preset(clockRef, systemClock, { builtin: true });
  for (const [ref, implementation] of overrides) services.preset(ref, implementation);

  const records: PluginRecord[] = plan.ordered.map((plugin) => ({
    plugin,
    state: 'registered',
    config: configs.get(plugin.name),
    startHandlers: [],
    stopHandlers: [],
    healthCheck: undefined,
    abort: new AbortController(),
  }));
  const metrics = createNodeMetrics(nodeId, hooks, () => records.map((r) => [r.plugin.name, r.state] as [string, PluginState]));
  const lifecycle = new Lifecycle({
    nodeId,
    records,
    services,
    hooks,
    logger,
    makeMetrics: (plugin) => createPluginMetrics(metrics, plugin),
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
  });

  const requireSetUp = (what: string) => {
    if (!lifecycle.setUp) {
      throw new HypermeshError(
        RuntimeErrorCode.NodeState,
        `node.${what} was called while the node is '${lifecycle.state}'; services exist once start() has run the plugins' setup — await node.start() first`,
      );
    }
  };

  return {
    id: nodeId,
    get state() {
      return lifecycle.state;
    },
    logger,
    hooks: hooks.api('<integrator>'),
    metrics,
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop(),
    get<T>(ref: ServiceRef<T>): T {
      requireSetUp('get');
      return services.get('<integrator>', ref, false) as T;
    },
    getOptional<T>(ref: ServiceRef<T>): T | undefined {
      requireSetUp('getOptional');
      return services.get('<integrator>', ref, true) as T | undefined;
    },
    describe: () => ({
      nodeId,
      runtime: { name: RUNTIME_NAME, version: RUNTIME_VERSION },
      state: lifecycle.state,
      plugins: records.map(({ plugin, state }) => ({
        name: plugin.name,
        version: plugin.version,
        description: plugin.description,
        state,
        provides: plugin.provides.map((r) => r.id),
        uses: {
          required: plugin.requires.services.map((r) => r.id),
          optional: plugin.optionalServices.map((r) => r.id),
        },
        dependsOn: { ...plugin.requires.plugins, ...plugin.optional },
      })),
      services: services.describe(),
      hooks: hooks.describe(),
    }),
    health: () => lifecycle.health(),
  };
}
