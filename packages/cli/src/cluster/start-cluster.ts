import {
  createDefaultLogger,
  createKeyring,
  createMemoryNetwork,
  generateNodeKeys,
  systemClock,
  type AnyPlugin,
  type ClockService,
  type ClusterConfig,
  type HypermeshNode,
  type KeysService,
  type MemoryNetwork,
} from '@hypermesh/runtime';
import { access } from 'node:fs/promises';
import { createClusterCa } from '@hypermesh/plugin-grpc/certs';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { assembleNode, type AssembledNode } from './assemble-node.js';
import type { DnsPlacement, NodeTls } from './config-slices.js';
import { loadNodeKeyring, type ClusterFiles } from './cluster-files.js';
import { clusterNodeIds } from './node-ids.js';
import { defaultPluginSource, type MissingPlugin, type PluginSource } from './plugin-catalog.js';

/** What {@link startCluster} reports while it works. */
export type ClusterProgress =
  | { readonly kind: 'assembling'; readonly node: string }
  | { readonly kind: 'starting'; readonly nodes: readonly string[] }
  | { readonly kind: 'started'; readonly node: string; readonly ms: number }
  | { readonly kind: 'missing'; readonly missing: MissingPlugin };

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
  /** The cluster directory: node keys are read from it when present, audit logs written under it. */
  readonly files?: ClusterFiles;
  /** The node-to-node transport; default `spec.networking.transport`. */
  readonly transport?: 'memory' | 'grpc';
  /** The nodes to run in this process; default all of them. */
  readonly nodes?: readonly string[];
  /** Which nodes serve the API: the first one run here (default), all (ports offset by node index), or none. */
  readonly gateway?: 'first' | 'all' | 'none';
  /** The first API node's addresses (e.g. `127.0.0.1:0` in tests); others follow the cluster's, offset. */
  readonly api?: { readonly listen?: string; readonly grpcListen?: string | false };
  /**
   * Which nodes serve DNS to clients (UDP/TCP listeners): the first one run here (default), all
   * (ports offset by node index), or none. The others resolve in-process only.
   */
  readonly dnsServers?: 'first' | 'all' | 'none';
  /** The first DNS node's listen address (e.g. `127.0.0.1:0`); default `spec.dns_ct.listen`. */
  readonly dnsListen?: string;
  /** Plugins chosen by the integrator, by npm name (`false` leaves one out). */
  readonly plugins?: Readonly<Record<string, AnyPlugin | false>>;
  readonly pluginSource?: PluginSource;
  /** Config slices merged over the derived ones, by plugin name (every node). */
  readonly config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly logger?: HypermeshNode['logger'];
  /** Default: the system clock (a real-time cluster). */
  readonly clock?: ClockService;
  /** Seed of the memory network's random choices. */
  readonly seed?: number | string;
  readonly onProgress?: (event: ClusterProgress) => void;
}

/** A running cluster (or the part of it this process runs). */
export interface RunningCluster {
  readonly name: string;
  readonly transport: 'memory' | 'grpc';
  readonly nodes: readonly AssembledNode[];
  /** Catalog plugins the nodes wanted but could not load (one entry per plugin). */
  readonly missing: readonly MissingPlugin[];
  /** The first API node's base URL. */
  readonly api: string | undefined;
  /** The first API node's gRPC address. */
  readonly grpcApi: string | undefined;
  /** The first DNS node's UDP/TCP address. */
  readonly dns: string | undefined;
  /** The memory network, for fault injection (partition, disconnect), when the transport is memory. */
  readonly network: MemoryNetwork | undefined;
  /** Stops every node (in parallel) and frees their ports. Idempotent. */
  stop(): Promise<void>;
}

async function keyringsFor(ids: readonly string[], all: readonly string[], files: ClusterFiles | undefined): Promise<Map<string, KeysService>> {
  const keyrings = new Map<string, KeysService>();
  if (files !== undefined) {
    for (const id of ids) {
      const keyring = await loadNodeKeyring(files, id);
      if (keyring !== undefined) keyrings.set(id, keyring);
    }
    if (keyrings.size === ids.length) return keyrings;
  }
  // No keys on disk (a hand-written cluster.yaml): fresh keys for this run, in memory only.
  const pairs = generateNodeKeys(all);
  const publicKeys = Object.fromEntries(Object.entries(pairs).map(([id, p]) => [id, p.publicKey]));
  for (const id of ids) keyrings.set(id, createKeyring({ nodeId: id, privateKey: pairs[id]!.privateKey, publicKeys }));
  return keyrings;
}

/**
 * TLS material for the gRPC transport: the cluster directory's pki/ when it has one (`undefined`:
 * assembleNode reads the files), else a CA made in memory for this run.
 */
async function tlsFor(ids: readonly string[], files: ClusterFiles | undefined): Promise<Map<string, NodeTls> | undefined> {
  if (files !== undefined) {
    try {
      await access(files.caCert);
      return undefined;
    } catch {
      // no pki/: fall through
    }
  }
  const ca = createClusterCa({ name: 'HyperMesh ephemeral cluster CA' });
  return new Map(
    ids.map((id) => {
      const cert = ca.issueNodeCertificate(id, { hosts: ['127.0.0.1', 'localhost'] });
      return [id, { ca: ca.caCertPem, cert: cert.certPem, key: cert.keyPem }];
    }),
  );
}

/**
 * Starts the nodes of a cluster document in this process: assembles each with
 * {@link assembleNode}, connects them (one in-memory network, or gRPC + mTLS), and starts them
 * together. If any node fails to start, the others are stopped and the error names the node.
 * `hypermesh up` runs this; so do the reference clusters and tests.
 */
export async function startCluster(cluster: ClusterConfig, options: StartClusterOptions = {}): Promise<RunningCluster> {
  const all = clusterNodeIds(cluster);
  const ids = options.nodes ?? all;
  const unknown = ids.filter((id) => !all.includes(id));
  if (unknown.length > 0) {
    throw new CliError(CliErrorCode.InvalidInput, `node ${unknown.map((u) => `'${u}'`).join(', ')} is not in cluster '${cluster.metadata.name}' (its nodes: ${all.join(', ')})`, ExitCode.InvalidInput);
  }
  const transport = options.transport ?? cluster.spec.networking.transport;
  const clock = options.clock ?? systemClock;
  const network = transport === 'memory' ? createMemoryNetwork({ seed: options.seed ?? Date.now(), clock }) : undefined;
  // Every transport first: a memory-network node's peers are the transports that exist.
  if (network !== undefined) for (const id of all) network.transport(id);
  const keyrings = await keyringsFor(ids, all, options.files);
  const tls = transport === 'grpc' ? await tlsFor(ids, options.files) : undefined;
  const logger = options.logger ?? createDefaultLogger();
  const gatewayMode = options.gateway ?? 'first';
  const pluginSource = options.pluginSource ?? defaultPluginSource;

  const nodes: AssembledNode[] = [];
  const dnsMode = options.dnsServers ?? 'first';
  let apiPlaced = false;
  let dnsPlaced = false;
  for (const [i, id] of ids.entries()) {
    options.onProgress?.({ kind: 'assembling', node: id });
    const servesApi = gatewayMode === 'all' || (gatewayMode === 'first' && i === 0);
    // The first API node takes the addresses asked for; others keep the cluster's, offset by index.
    const asked = apiPlaced ? {} : { ...options.api };
    const gateway = servesApi ? { portOffset: all.indexOf(id), ...asked } : (false as const);
    apiPlaced ||= servesApi;
    const servesDns = dnsMode === 'all' || (dnsMode === 'first' && i === 0);
    const dns: DnsPlacement | false = servesDns
      ? { portOffset: all.indexOf(id), ...(dnsPlaced || options.dnsListen === undefined ? {} : { listen: options.dnsListen }) }
      : false;
    dnsPlaced ||= servesDns;
    nodes.push(
      await assembleNode(cluster, id, {
        ...(options.files === undefined ? {} : { files: options.files }),
        transport,
        ...(network === undefined ? {} : { network }),
        ...(tls === undefined ? {} : { tls: tls.get(id)! }),
        keys: keyrings.get(id)!,
        clock,
        ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
        pluginSource,
        gateway,
        dns,
        ...(options.config === undefined ? {} : { config: options.config }),
        logger,
      }),
    );
  }
  const missing = [...new Map(nodes.flatMap((n) => n.missing).map((m) => [m.plugin, m])).values()];
  for (const m of missing) options.onProgress?.({ kind: 'missing', missing: m });

  options.onProgress?.({ kind: 'starting', nodes: ids });
  const started = performance.now();
  const results = await Promise.allSettled(
    nodes.map(async (n) => {
      await n.node.start();
      options.onProgress?.({ kind: 'started', node: n.id, ms: Math.round(performance.now() - started) });
    }),
  );
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ node: nodes[i]!.id, error: r.reason as Error }] : []));
  if (failures.length > 0) {
    await Promise.allSettled(nodes.map((n) => n.node.stop()));
    throw new CliError(
      CliErrorCode.UpFailed,
      `cluster '${cluster.metadata.name}' did not start:\n${failures.map((f) => `  - node ${f.node}: ${f.error.message}`).join('\n')}`,
      ExitCode.Failed,
      { cause: failures[0]!.error },
    );
  }
  const apiNode = nodes.find((n) => n.gatewayUrl() !== undefined);
  const dnsNode = nodes.find((n) => n.dnsAddress() !== undefined);
  let stopping: Promise<void> | undefined;
  return {
    name: cluster.metadata.name,
    transport,
    nodes,
    missing,
    api: apiNode?.gatewayUrl(),
    grpcApi: apiNode?.gatewayGrpcAddress(),
    dns: dnsNode?.dnsAddress(),
    network,
    stop: () => {
      stopping ??= Promise.allSettled(nodes.map((n) => n.node.stop())).then((settled) => {
        const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [`node ${nodes[i]!.id}: ${(s.reason as Error).message}`] : []));
        if (failed.length > 0) throw new CliError(CliErrorCode.UpFailed, `some nodes did not stop cleanly:\n  - ${failed.join('\n  - ')}`, ExitCode.Failed);
      });
      return stopping;
    },
  };
}
