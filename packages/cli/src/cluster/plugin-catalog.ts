import { isPlugin, type AnyPlugin, type ClusterConfig } from '@hypermesh/runtime';

/** What decides whether a node of this cluster wants a catalog plugin. */
export interface CatalogContext {
  readonly cluster: ClusterConfig;
  /** The node-to-node transport the cluster runs on here. */
  readonly transport: 'memory' | 'grpc';
  /** Whether this node serves the API. */
  readonly gateway: boolean;
}

/** A HyperMesh plugin `up` knows how to place on a node. */
export interface CatalogEntry {
  /** npm name. */
  readonly name: string;
  /** What the node lacks without it. */
  readonly role: string;
  /** Whether a node of this cluster should load it. */
  wanted(context: CatalogContext): boolean;
}

/** The plugins `up` assembles nodes from, in the order they are listed to `createNode`. */
export const PLUGIN_CATALOG: readonly CatalogEntry[] = [
  { name: '@hypermesh/plugin-grpc', role: 'node-to-node transport over gRPC + mutual TLS', wanted: (c) => c.transport === 'grpc' },
  { name: '@hypermesh/plugin-pbft', role: 'consensus (PBFT): ordering, view changes, reputation', wanted: () => true },
  { name: '@hypermesh/ebpf', role: 'eBPF datapath (XDP dns_filter, TC flow_stats)', wanted: (c) => c.cluster.spec.networking.ebpf_programs.length > 0 },
  { name: '@hypermesh/plugin-dns-ct', role: 'DNS resolver, service-discovery zone and CT verification', wanted: (c) => c.cluster.spec.dns_ct.enabled },
  { name: '@hypermesh/plugin-stoq', role: 'analytics (STOQ): anomaly scores and threat detection', wanted: (c) => c.cluster.spec.stoq.enabled },
  { name: '@hypermesh/plugin-scheduler', role: 'scheduling and the node agent (workloads)', wanted: () => true },
  { name: '@hypermesh/plugin-gateway', role: 'API gateway (REST + gRPC)', wanted: (c) => c.gateway },
];

/** A plugin a node wanted but could not load. */
export interface MissingPlugin {
  readonly plugin: string;
  readonly role: string;
  /** Why: not installed, or the import failed (with the error). */
  readonly reason: string;
}

/** How plugins are found: by default `import(name)`; tests and integrators may supply their own. */
export type PluginSource = (name: string) => Promise<AnyPlugin>;

// A variable specifier keeps bundlers and the type checker from resolving plugins at build time:
// a plugin that is not installed is a runtime report, not a build error.
const importPlugin: PluginSource = async (name) => {
  const specifier = name;
  const mod = (await import(specifier)) as { default?: unknown };
  let candidate = mod.default;
  if (!isPlugin(candidate) && candidate !== null && typeof candidate === 'object') candidate = (candidate as { default?: unknown }).default;
  if (!isPlugin(candidate)) throw new Error(`'${name}' has no plugin as its default export`);
  return candidate;
};

/** The default {@link PluginSource}: imports the package by name from the CLI's dependencies. */
export const defaultPluginSource: PluginSource = importPlugin;

/**
 * Loads one plugin: the integrator's choice when given (`false` = leave it out), else from
 * `source`. A package that is not installed or fails to import is reported, not thrown.
 */
export async function loadPlugin(
  name: string,
  role: string,
  choice: AnyPlugin | false | undefined,
  source: PluginSource,
): Promise<{ plugin: AnyPlugin } | { missing: MissingPlugin } | { skipped: true }> {
  if (choice === false) return { skipped: true };
  if (choice !== undefined) return { plugin: choice };
  try {
    return { plugin: await source(name) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = (err as Error).message;
    const notInstalled = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Failed to load url/.test(message);
    return { missing: { plugin: name, role, reason: notInstalled ? 'not installed' : `failed to load: ${message.split('\n')[0]}` } };
  }
}
