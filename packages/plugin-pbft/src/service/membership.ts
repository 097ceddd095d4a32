/**
 * Who the replicas are. The list comes from config (`replicas`) or, by default, from every node
 * the `keys` service knows, sorted. Every replica needs a public key, and every replica other than
 * this node must be reachable through the transport.
 */
import type { KeysService, TransportService } from '@hypermesh/runtime';
import type { PbftConfig } from '../config.js';
import { PbftError, PbftErrorCode } from '../errors.js';
import { ReplicaGroup } from '../replica/group.js';

/** Builds the replica group and checks it against keys, transport and `nodes`. */
export function resolveMembership(config: PbftConfig, keys: KeysService, transport: TransportService, nodeId: string): ReplicaGroup {
  const ids = config.replicas ?? [...keys.knownNodes()].sort();
  if (ids.length === 0) {
    throw new PbftError(PbftErrorCode.Membership, `node '${nodeId}': no replicas — the keys service knows no nodes and config.replicas is not set`);
  }
  if (config.nodes !== undefined && config.nodes !== ids.length) {
    throw new PbftError(
      PbftErrorCode.Membership,
      `node '${nodeId}': spec.consensus.nodes is ${config.nodes} but the replica list has ${ids.length} (${ids.join(', ')}); make them agree`,
    );
  }
  const keyless = ids.filter((id) => keys.publicKey(id) === undefined);
  if (keyless.length > 0) {
    throw new PbftError(PbftErrorCode.Membership, `node '${nodeId}': no public key for replica(s) ${keyless.map((id) => `'${id}'`).join(', ')}; add them to the keys service`);
  }
  const peers = new Set(transport.peers());
  const unreachable = ids.filter((id) => id !== nodeId && !peers.has(id));
  if (unreachable.length > 0) {
    throw new PbftError(
      PbftErrorCode.Membership,
      `node '${nodeId}': replica(s) ${unreachable.map((id) => `'${id}'`).join(', ')} are not peers of the transport (peers: ${[...peers].join(', ') || 'none'}); configure the transport with every replica`,
    );
  }
  return new ReplicaGroup(ids);
}
