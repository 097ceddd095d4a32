import type { ClusterConfig } from '@hypermesh/runtime';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { ClusterFiles } from './cluster-files.js';
import { clusterNodeIds, offsetPort } from './node-ids.js';

// The config slice of each plugin whose settings differ per node: addresses, files, listeners.

/** npm name of the gateway plugin. */
export const GATEWAY = '@hypermesh/plugin-gateway';
/** npm name of the gRPC transport plugin. */
export const GRPC = '@hypermesh/plugin-grpc';
/** npm name of the DNS/CT plugin. */
export const DNS_CT = '@hypermesh/plugin-dns-ct';
/** npm name of the datapath plugin. */
export const EBPF = '@hypermesh/ebpf';
/** npm name of the scheduler plugin. */
export const SCHEDULER = '@hypermesh/plugin-scheduler';

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

/** Where a node serves DNS to clients. */
export interface DnsPlacement {
  /** UDP/TCP address; default `spec.dns_ct.listen` (127.0.0.1:5353) moved up by `portOffset`. */
  readonly listen?: string;
  /** Added to the default port, so several nodes on one host do not collide. */
  readonly portOffset?: number;
}

/** True for a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The gateway's config for one node: the cluster's slice, the security section, per-node addresses. */
export function gatewaySlice(cluster: ClusterConfig, nodeId: string, placement: GatewayPlacement, files: ClusterFiles | undefined): Record<string, unknown> {
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
export function grpcSlice(cluster: ClusterConfig, nodeId: string, tls: NodeTls | undefined): Record<string, unknown> {
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
 * The DNS/CT slice for one node: the cluster's `spec.dns_ct` with the node's listener. A node that
 * does not serve clients keeps its listeners closed (`enabled: false`): its resolver still works
 * in-process, for the gateway's lookups and the scheduler's records.
 */
export function dnsSlice(section: Record<string, unknown>, placement: DnsPlacement | false): Record<string, unknown> {
  if (placement === false) return { ...section, enabled: false };
  const listen = placement.listen ?? offsetPort(typeof section.listen === 'string' ? section.listen : '127.0.0.1:5353', placement.portOffset ?? 0);
  return { ...section, listen };
}

/**
 * The datapath slice for one node, from `spec.networking.ebpf_programs`: the interfaces named there
 * (the plugin attaches its shipped XDP `dns_filter` and TC `flow_stats` programs to them) and the
 * DNS port. Only a node that serves DNS to clients attaches: several nodes of one host on one
 * interface would replace each other's programs. The cluster's own slice is merged over it.
 */
export function datapathSlice(cluster: ClusterConfig, servesDns: boolean, dnsListen: string | undefined): Record<string, unknown> {
  const user = isRecord(cluster.spec.plugins[EBPF]) ? cluster.spec.plugins[EBPF] : {};
  const interfaces = [...new Set(cluster.spec.networking.ebpf_programs.flatMap((p) => (p.interface === undefined ? [] : [p.interface])))];
  const listen = dnsListen ?? cluster.spec.dns_ct.listen;
  return {
    interfaces: servesDns ? interfaces.map((name) => ({ name })) : [],
    dnsPort: Number(listen.slice(listen.lastIndexOf(':') + 1)) || 53,
    ...user,
  };
}

/**
 * The scheduler slice for one node: the node's labels (`spec.nodes[].labels`) and the host its
 * workloads are reachable at (the host of `spec.nodes[].address`, else 127.0.0.1), under the
 * cluster's own slice (cluster-wide settings such as quotas and framework weights); a `node`
 * section there is merged field by field.
 */
export function schedulerSlice(cluster: ClusterConfig, nodeId: string): Record<string, unknown> {
  const user = isRecord(cluster.spec.plugins[SCHEDULER]) ? cluster.spec.plugins[SCHEDULER] : {};
  const entry = cluster.spec.nodes?.find((n) => n.id === nodeId);
  const host = entry?.address === undefined ? '127.0.0.1' : entry.address.slice(0, entry.address.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  const userNode = isRecord(user.node) ? user.node : {};
  return { ...user, node: { labels: entry?.labels ?? {}, address: host, ...userNode } };
}
