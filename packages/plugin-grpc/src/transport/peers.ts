import { GrpcErrorCode, GrpcTransportError } from '../errors.js';
import { isValidNodeId } from '../identity/node-identity.js';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** Checks a peer list given at run time (`setPeers`); the config path is checked by zod already. */
export function checkPeers(nodeId: string, peers: Readonly<Record<string, string>>): void {
  for (const [peer, address] of Object.entries(peers)) {
    if (peer === nodeId) {
      throw new GrpcTransportError(GrpcErrorCode.ConfigInvalid, `peers of '${nodeId}' list '${nodeId}' itself; list only the other nodes`);
    }
    if (!isValidNodeId(peer)) throw new GrpcTransportError(GrpcErrorCode.ConfigInvalid, `peers of '${nodeId}': '${peer}' is not a valid node id`);
    if (typeof address !== 'string' || !HOST_PORT.test(address)) {
      throw new GrpcTransportError(GrpcErrorCode.ConfigInvalid, `peers of '${nodeId}': the address of '${peer}' must be HOST:PORT, got ${JSON.stringify(address)}`);
    }
  }
}

/** An `E_TRANSPORT_REFUSED` error from the transport of `nodeId`. */
export function refused(nodeId: string, problem: string): GrpcTransportError {
  return new GrpcTransportError(GrpcErrorCode.TransportRefused, `gRPC transport of '${nodeId}': ${problem}`);
}

/** Sentences of refusals that need a little formatting. */
export const refusedMessage = {
  unknownPeer: (to: string, peers: readonly string[]) =>
    `cannot send to '${to}', which is not a peer (peers: ${peers.length === 0 ? 'none' : peers.join(', ')}); add it to peers`,
};
