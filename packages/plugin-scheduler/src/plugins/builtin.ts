import type { HookApi, Untap } from '@hypermesh/runtime';
import { tapSchedulingPlugin, type SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { defaultBinderPlugin, nodeReadyPlugin, nodeRuntimePlugin } from './node-conditions.js';
import { nodeAffinityPlugin } from './node-affinity.js';
import { nodePortsPlugin } from './node-ports.js';
import { reputationPlugin } from './reputation.js';
import { resourceFitPlugin } from './resource-fit.js';
import { balancedAllocationPlugin, leastAllocatedPlugin } from './resource-scoring.js';
import { taintTolerationPlugin } from './taint-toleration.js';
import { topologySpreadPlugin } from './topology-spread.js';

/** The names of the built-in scheduling plugins, in the order they are tapped. */
export const BUILTIN_PLUGIN_NAMES = [
  'node-ready',
  'node-runtime',
  'reputation',
  'node-affinity',
  'taint-toleration',
  'resource-fit',
  'node-ports',
  'topology-spread',
  'least-allocated',
  'balanced-allocation',
  'default-binder',
] as const;

/** A built-in scheduling plugin's name. */
export type BuiltinPluginName = (typeof BUILTIN_PLUGIN_NAMES)[number];

/** Options of {@link tapBuiltinPlugins}; cluster-wide (every replica must use the same). */
export interface BuiltinPluginOptions {
  /** Built-in plugins to leave out. */
  readonly disabled?: readonly BuiltinPluginName[];
  /** Score weights by plugin name, replacing the defaults. */
  readonly weights?: Readonly<Partial<Record<BuiltinPluginName, number>>>;
  /** Nodes below this reputation get no workloads (`reputation` plugin); default 0.5. */
  readonly minReputation?: number;
}

/** The built-in plugins, by name. */
export function builtinPlugins(options: BuiltinPluginOptions = {}): Record<BuiltinPluginName, SchedulingPlugin> {
  return {
    'node-ready': nodeReadyPlugin,
    'node-runtime': nodeRuntimePlugin,
    reputation: reputationPlugin(options.minReputation ?? 0.5),
    'node-affinity': nodeAffinityPlugin,
    'taint-toleration': taintTolerationPlugin,
    'resource-fit': resourceFitPlugin,
    'node-ports': nodePortsPlugin,
    'topology-spread': topologySpreadPlugin,
    'least-allocated': leastAllocatedPlugin,
    'balanced-allocation': balancedAllocationPlugin,
    'default-binder': defaultBinderPlugin,
  };
}

/**
 * Taps the built-in scheduling plugins onto the `sched.*` hooks of `hooks` (filters cheapest
 * first; the default binder in the `post` group so other binders go first). Returns a function that
 * removes the taps.
 */
export function tapBuiltinPlugins(hooks: HookApi, options: BuiltinPluginOptions = {}): Untap {
  const plugins = builtinPlugins(options);
  const disabled = new Set(options.disabled ?? []);
  const untaps: Untap[] = [];
  for (const name of BUILTIN_PLUGIN_NAMES) {
    if (disabled.has(name)) continue;
    const weight = options.weights?.[name];
    untaps.push(
      tapSchedulingPlugin(hooks, plugins[name], {
        order: name === 'default-binder' ? 'post' : 'normal',
        ...(weight === undefined ? {} : { weight }),
      }),
    );
  }
  return () => {
    for (const untap of untaps.splice(0)) untap();
  };
}
