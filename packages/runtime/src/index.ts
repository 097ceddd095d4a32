/**
 * `@hypermesh/runtime` — the plugin host of HyperMesh: versioned plugins, typed hooks, typed
 * service contracts, lifecycle, config, metrics, and the contracts every subsystem implements.
 *
 * @packageDocumentation
 */

export { HypermeshError, RuntimeErrorCode, isHypermeshError, type HypermeshErrorOptions } from './errors.js';
export { RUNTIME_NAME, RUNTIME_VERSION } from './version.js';

export {
  definePlugin,
  isPlugin,
  type AnyPlugin,
  type Plugin,
  type PluginConfigOf,
  type PluginConfigSchema,
  type PluginDefinition,
  type PluginRequirements,
} from './plugin/define-plugin.js';
export type { HealthReport, LifecycleHandler, PluginContext } from './plugin/context.js';
export { loadPlugins, type LoadPluginsOptions } from './plugin/load-plugins.js';

export {
  createServiceRef,
  type AnyServiceRef,
  type ServiceConsumer,
  type ServiceImplementation,
  type ServiceRef,
  type ServiceRefOptions,
  type ServiceScope,
  type ServiceType,
} from './services/service-ref.js';
export type { ServiceDescription } from './services/service-registry.js';

export {
  defineHook,
  type AllowedHookKinds,
  type AnyHookRef,
  type HookArgs,
  type HookKind,
  type HookOptions,
  type HookRef,
  type HookResult,
  type HookTapFn,
  type TapOrder,
} from './hooks/define-hook.js';
export type { HookApi, HookDescription, TapDescription, TapOptions, Untap } from './hooks/hook-registry.js';

export {
  createNode,
  type CheckedOverrides,
  type CreateNodeOptions,
  type HypermeshNode,
  type NodeDescription,
  type NodeHealth,
  type NodeState,
  type PluginDescription,
  type ServiceOverride,
} from './node/create-node.js';
export type { ProviderKind } from './node/plan.js';
export { PLUGIN_STATES, type PluginMetrics, type PluginState, type ScrapedMetricConfig, type ScrapedValue } from './metrics/node-metrics.js';
export { createDefaultLogger, type LogLevel } from './logging/default-logger.js';

export {
  clusterConfigSchema,
  clusterSections,
  durationSchema,
  loadClusterConfig,
  parseClusterConfig,
  quantitySchema,
  type ClusterConfig,
  type ClusterConfigOptions,
} from './config/cluster-config.js';
export type { ConfigIssue } from './config/format-issues.js';

export * from './contracts/index.js';

export {
  createMemoryNetwork,
  type LatencyModel,
  type LinkFaults,
  type MemoryNetwork,
  type MemoryNetworkOptions,
  type NetworkStats,
} from './network/memory-network.js';
export { createSimulatedClock, settle, type SimulatedClock } from './network/simulated-clock.js';
export { createRandom, type Random } from './network/random.js';
export { createKeyring, generateNodeKeys, type KeyringOptions, type NodeKeyPair } from './keys/ed25519-keyring.js';
export { canonicalJson, canonicalJsonBytes, type JsonValue } from './json/canonical-json.js';
