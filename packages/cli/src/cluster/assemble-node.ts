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
import { createNodeIntrospection, gatewayRef, nodeIntrospectionRef } from '@hypermesh/plugin-gateway';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { ClusterFiles } from './cluster-files.js';
import { clusterNodeIds, offsetPort } from './node-ids.js';
import { defaultPluginSource, loadPlugin, PLUGIN_CATALOG, type MissingPlugin, type PluginSource } from './plugin-catalog.js';

const GATEWAY = '@hypermesh/plugin-gateway';
const GRPC = '@hypermesh/plugin-grpc';

/** TLS material of one node for the gRPC transport: PEM text or file paths. */
export interface NodeTls {
  /** The cluster CA certificate(s). */
  readonly ca: string;
  /** This node's certificate (subjectAltName `hypermesh://node/<id>`). */
  readonly cert: string;
  /** This node's private key. */
  readonly key: string;
}

/** Where a node's API gateway listens. */
export interface GatewayPlacement {
  /** REST address; default the cluster's gateway `listen` (127.0.0.1:8080) moved up by `portOffset`. */
  readonly listen?: string;
  /** gRPC address, or `false` for no gRPC API; default the cluster's `grpc.listen` (127.0.0.1:9090) moved up by `portOffset`. */
  readonly grpcListen?: string | false;
  /** Added to default ports, so several nodes on one host do not collide (node i gets i). */
  readonly portOffset?: number;
}

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
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The gateway's config for one node: the cluster's slice, the security section, per-node addresses. */
function gatewaySlice(cluster: ClusterConfig, nodeId: string, placement: GatewayPlacement, files: ClusterFiles | undefined): Record<string, unknown> {
  const user = isRecord(cluster.spec.plugins[GATEWAY]) ? cluster.spec.plugins[GATEWAY] : {};
  const userGrpc = isRecord(user.grpc) ? user.grpc : {};
  const userAudit = isRecord(user.audit) ? user.audit : {};
  const offset = placement.portOffset ?? 0;
  const listen = placement.listen ?? offsetPort(typeof user.listen === 'string' ? user.listen : '127.0.0.1:8080', offset);
  const grpc =
    placement.grpcListen === false
      ? { ...userGrpc, enabled: false }
      : { ...userGrpc, listen: placement.grpcListen ?? offsetPort(typeof userGrpc.listen === 'string' ? userGrpc.listen : '127.0.0.1:9090', offset) };
  return {
    rbac: cluster.spec.security.rbac_enabled,
    ...user,
    listen,
    grpc,
    audit: { enabled: cluster.spec.security.audit_logging, ...(files === undefined ? {} : { file: files.audit(nodeId) }), ...userAudit },
  };
}

/**
 * The gRPC transport's config for one node: listen on the node's `spec.nodes[].address`, dial the
 * others at theirs, present the node's certificate; the cluster's own slice
 * (`spec.plugins['@hypermesh/plugin-grpc']`, e.g. limits or keepalive) is merged over it.
 */
function grpcSlice(cluster: ClusterConfig, nodeId: string, tls: NodeTls | undefined): Record<string, unknown> {
  const user = isRecord(cluster.spec.plugins[GRPC]) ? cluster.spec.plugins[GRPC] : {};
  const addresses = new Map((cluster.spec.nodes ?? []).map((n) => [n.id, n.address]));
  const ids = clusterNodeIds(cluster);
  const without = ids.filter((id) => addresses.get(id) === undefined);
  if (without.length > 0 && (user.listen === undefined || user.peers === undefined)) {
    throw new CliError(
      CliErrorCode.InvalidInput,
      `transport grpc needs spec.nodes[].address for every node; ${without.length === ids.length ? 'no node has one' : `missing for ${without.join(', ')}`} (hypermesh init writes them)`,
      ExitCode.InvalidInput,
    );
  }
  if (tls === undefined && user.tls === undefined) {
    throw new CliError(
      CliErrorCode.InvalidInput,
      `transport grpc needs TLS material for node '${nodeId}': pki/ beside the cluster.yaml (hypermesh init writes it) or spec.plugins['${GRPC}'].tls`,
      ExitCode.InvalidInput,
    );
  }
  return {
    listen: addresses.get(nodeId),
    peers: Object.fromEntries(ids.filter((id) => id !== nodeId).map((id) => [id, addresses.get(id)])),
    ...(tls === undefined ? {} : { tls }),
    ...user,
  };
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
  };
}
