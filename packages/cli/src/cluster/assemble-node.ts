import {
  clockRef,
  clusterSections,
  createDefaultLogger,
  createNode,
  keysRef,
  transportRef,
  type AnyPlugin,
  type ClockService,
  type ClusterConfig,
  type HypermeshNode,
  type KeysService,
  type MemoryNetwork,
  type ServiceOverride,
} from '@hypermesh/runtime';
import { dnsServerRef } from '@hypermesh/plugin-dns-ct';
import { createNodeIntrospection, gatewayRef, nodeIntrospectionRef } from '@hypermesh/plugin-gateway';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { ClusterFiles } from './cluster-files.js';
import { clusterNodeIds } from './node-ids.js';
import { isRecord, datapathSlice, DNS_CT, dnsSlice, EBPF, SCHEDULER, schedulerSlice, GATEWAY, gatewaySlice, GRPC, grpcSlice, type DnsPlacement, type GatewayPlacement, type NodeTls } from './config-slices.js';
import { defaultPluginSource, loadPlugin, PLUGIN_CATALOG, type MissingPlugin, type PluginSource } from './plugin-catalog.js';




/** Options of {@link assembleNode}. */
export interface AssembleNodeOptions {
  /** The cluster directory (`hypermesh init`): audit logs go under it. */
  readonly files?: ClusterFiles;
  /** The node-to-node transport; default `spec.networking.transport`. */
  readonly transport?: 'memory' | 'grpc';
  /** For the memory transport: the network all nodes of the process share. */
  readonly network?: MemoryNetwork;
  /** For the gRPC transport: this node's TLS material; default the files under `files` (pki/). */
  readonly tls?: NodeTls;
  /** The node's `keys` service (Ed25519 signing for consensus). */
  readonly keys?: KeysService;
  /** The clock; default the runtime's system clock. */
  readonly clock?: ClockService;
  /** Plugins chosen by the integrator, by npm name: a plugin replaces the catalog's, `false` leaves it out. */
  readonly plugins?: Readonly<Record<string, AnyPlugin | false>>;
  /** How catalog plugins are found; default `import(name)`. */
  readonly pluginSource?: PluginSource;
  /** Serve the API on this node, and where; `false` for none. Default: serve with the cluster's addresses. */
  readonly gateway?: GatewayPlacement | false;
  /** Serve DNS to clients on this node (UDP/TCP listeners), and where; `false`: the resolver works in-process only. */
  readonly dns?: DnsPlacement | false;
  /** Config slices merged over the ones derived from the cluster document, by plugin name. */
  readonly config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Extra service overrides (they win over the ones assembleNode makes). */
  readonly overrides?: readonly ServiceOverride[];
  /** The node's logger; default JSON on stderr at HYPERMESH_LOG_LEVEL. */
  readonly logger?: HypermeshNode['logger'];
  /** `createNode`'s start timeout. */
  readonly startTimeoutMs?: number;
}

/** A node assembled from a cluster document, not yet started. */
export interface AssembledNode {
  readonly id: string;
  readonly node: HypermeshNode;
  /** The plugins it runs, in the order given to `createNode`. */
  readonly plugins: readonly { readonly name: string; readonly version: string }[];
  /** Plugins it should run but could not load, and what it lacks without them. */
  readonly missing: readonly MissingPlugin[];
  /** The API's base URL once started, when this node serves it. */
  gatewayUrl(): string | undefined;
  /** The gRPC API's HOST:PORT once started, when served. */
  gatewayGrpcAddress(): string | undefined;
  /** HOST:PORT of the DNS server (UDP and TCP) once started, when this node serves DNS to clients. */
  dnsAddress(): string | undefined;
}

/**
 * Assembles one node of a cluster document: picks the plugins the document asks for (consensus,
 * transport, DNS/CT, analytics, datapath, scheduler, gateway, and any other plugin named under
 * `spec.plugins`), derives each plugin's config slice from the document, and wires the services
 * the integrator supplies (transport, keys, clock, the node itself for the gateway). A catalog
 * plugin that is not installed is reported in `missing`, so a cluster still starts with what
 * exists; a plugin named under `spec.plugins` that cannot load is an error.
 *
 * This is what `hypermesh up` runs for every node, and what the reference clusters call.
 */
export async function assembleNode(cluster: ClusterConfig, nodeId: string, options: AssembleNodeOptions = {}): Promise<AssembledNode> {
  const ids = clusterNodeIds(cluster);
  if (!ids.includes(nodeId)) {
    throw new CliError(CliErrorCode.InvalidInput, `node '${nodeId}' is not in the cluster '${cluster.metadata.name}' (its nodes: ${ids.join(', ')})`, ExitCode.InvalidInput);
  }
  const transport = options.transport ?? cluster.spec.networking.transport;
  const source = options.pluginSource ?? defaultPluginSource;
  const chosen = options.plugins ?? {};
  const context = { cluster, transport, gateway: options.gateway !== false };

  const plugins: AnyPlugin[] = [];
  const missing: MissingPlugin[] = [];
  for (const entry of PLUGIN_CATALOG) {
    if (!entry.wanted(context) && chosen[entry.name] === undefined) continue;
    const loaded = await loadPlugin(entry.name, entry.role, chosen[entry.name], source);
    if ('plugin' in loaded) plugins.push(loaded.plugin);
    else if ('missing' in loaded) missing.push(loaded.missing);
  }
  const catalogNames = new Set(PLUGIN_CATALOG.map((e) => e.name));
  const extraNames = new Set([...Object.keys(cluster.spec.plugins), ...Object.keys(chosen)].filter((n) => !catalogNames.has(n)));
  for (const name of extraNames) {
    const loaded = await loadPlugin(name, `plugin configured under spec.plugins['${name}']`, chosen[name], source);
    if ('missing' in loaded) {
      throw new CliError(CliErrorCode.UpFailed, `spec.plugins names '${name}', but it ${loaded.missing.reason === 'not installed' ? 'is not installed' : loaded.missing.reason}; install it next to the CLI or remove its section`, ExitCode.Failed);
    }
    if ('plugin' in loaded) plugins.push(loaded.plugin);
  }

  // Config slices: those the document maps to plugins, then the per-node gateway slice, then the
  // integrator's; only for plugins that are loaded (a slice for an absent plugin is an error).
  const loadedNames = new Set(plugins.map((p) => p.name));
  const sections = clusterSections(cluster);
  const config: Record<string, unknown> = {};
  for (const name of loadedNames) if (sections[name] !== undefined) config[name] = sections[name];
  if (loadedNames.has(GATEWAY) && options.gateway !== false) config[GATEWAY] = gatewaySlice(cluster, nodeId, options.gateway ?? {}, options.files);
  if (loadedNames.has(DNS_CT) && isRecord(config[DNS_CT])) config[DNS_CT] = dnsSlice(config[DNS_CT], options.dns ?? {});
  if (loadedNames.has(SCHEDULER)) config[SCHEDULER] = schedulerSlice(cluster, nodeId);
  if (loadedNames.has(EBPF)) {
    const dnsConfig = config[DNS_CT];
    config[EBPF] = datapathSlice(cluster, options.dns !== false, isRecord(dnsConfig) && typeof dnsConfig.listen === 'string' ? dnsConfig.listen : undefined);
  }
  if (loadedNames.has(GRPC) && transport === 'grpc') {
    const files = options.files;
    const tls = options.tls ?? (files === undefined ? undefined : { ca: files.caCert, cert: files.nodeCert(nodeId), key: files.nodeKey(nodeId) });
    config[GRPC] = grpcSlice(cluster, nodeId, tls);
  }
  for (const [name, slice] of Object.entries(options.config ?? {})) {
    if (loadedNames.has(name)) config[name] = { ...(isRecord(config[name]) ? config[name] : {}), ...slice };
  }

  const introspection = createNodeIntrospection();
  const mine: ServiceOverride[] = [[nodeIntrospectionRef, introspection]];
  if (transport === 'memory') {
    if (options.network === undefined) {
      throw new CliError(CliErrorCode.UpFailed, `node '${nodeId}' uses the memory transport but no memory network was given; pass options.network (createMemoryNetwork)`, ExitCode.Failed);
    }
    mine.push([transportRef, options.network.transport(nodeId)]);
  }
  if (options.keys !== undefined) mine.push([keysRef, options.keys]);
  if (options.clock !== undefined) mine.push([clockRef, options.clock]);
  const theirs = options.overrides ?? [];
  const overridden = new Set(theirs.map(([ref]) => ref.id));
  const overrides = [...mine.filter(([ref]) => !overridden.has(ref.id)), ...theirs];

  const node = createNode({
    id: nodeId,
    plugins,
    config,
    overrides,
    logger: options.logger ?? createDefaultLogger(),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  });
  introspection.attach(node);
  const gateway = () => (node.state === 'started' ? node.getOptional(gatewayRef) : undefined);
  return {
    id: nodeId,
    node,
    plugins: plugins.map((p) => ({ name: p.name, version: p.version })),
    missing,
    gatewayUrl: () => gateway()?.url(),
    gatewayGrpcAddress: () => gateway()?.grpcAddress(),
    dnsAddress: () => {
      const udp = node.state === 'started' ? node.getOptional(dnsServerRef)?.addresses()?.udp : undefined;
      return udp === undefined ? undefined : udp.host.includes(':') ? `[${udp.host}]:${udp.port}` : `${udp.host}:${udp.port}`;
    },
  };
}
