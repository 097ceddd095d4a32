import type { ClusterConfig } from '@hypermesh/runtime';

/** The node ids of a cluster: `spec.nodes[].id`, or `node-1` … `node-n` for `spec.consensus.nodes`. */
export function clusterNodeIds(cluster: ClusterConfig): string[] {
  return cluster.spec.nodes?.map((n) => n.id) ?? Array.from({ length: cluster.spec.consensus.nodes }, (_, i) => `node-${i + 1}`);
}

/** `HOST:PORT` with the port moved up by `offset` (port 0 stays 0: any free port). */
export function offsetPort(address: string, offset: number): string {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  return port === 0 || offset === 0 ? address : `${address.slice(0, i)}:${port + offset}`;
}
