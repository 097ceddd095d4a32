import { Metadata, status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { nodeIdOfCertificate } from '../identity/node-identity.js';
import { NODE_METADATA_KEY } from './exchange-method.js';

/** Why an incoming stream was refused, as counted in `hypermesh_transport_refused_streams_total{reason}`. */
export type RefusalReason =
  /** The client's certificate (valid for the CA) names no node, or several. */
  | 'no-node-id'
  /** The node id the client claims differs from the one its certificate names. */
  | 'identity-mismatch'
  /** The certificate names a node that is not one of this node's peers. */
  | 'unknown-peer';

/** Every refusal reason, in the order metrics list them. */
export const REFUSAL_REASONS: readonly RefusalReason[] = ['no-node-id', 'identity-mismatch', 'unknown-peer'];

/** The outcome of authenticating an incoming stream. */
export type Authentication = { readonly peer: string } | { readonly reason: RefusalReason; readonly message: string };

/**
 * Decides who is on the other end of an incoming stream. TLS has already checked that the client
 * certificate chains to the cluster CA (the server requires one); here the certificate must name
 * exactly one node, the client must claim that same node, and it must be a configured peer. The
 * certificate is what authenticates `from`; the claim only catches a node run with the wrong files.
 */
export function authenticate(call: ServerDuplexStream<Buffer, Buffer>, isPeer: (id: string) => boolean): Authentication {
  const certificate = call.getAuthContext().sslPeerCertificate;
  const claimed = call.metadata.get(NODE_METADATA_KEY)[0];
  const claim = typeof claimed === 'string' ? claimed : '(none)';
  if (certificate?.raw === undefined) {
    return { reason: 'no-node-id', message: `a client claiming to be '${claim}' presented no verified certificate` };
  }
  const identity = nodeIdOfCertificate(certificate.raw);
  if ('problem' in identity) return { reason: 'no-node-id', message: `a client claiming to be '${claim}' was refused: ${identity.problem}` };
  if (claim !== identity.nodeId) {
    return {
      reason: 'identity-mismatch',
      message: `a client claiming to be '${claim}' presented a certificate for node '${identity.nodeId}'`,
    };
  }
  if (!isPeer(identity.nodeId)) {
    return { reason: 'unknown-peer', message: `node '${identity.nodeId}' is not a peer of this node (add it to peers)` };
  }
  return { peer: identity.nodeId };
}

/** Ends a refused stream with PERMISSION_DENIED and the reason in words. */
export function refuse(call: ServerDuplexStream<Buffer, Buffer>, message: string): void {
  call.on('error', () => undefined);
  call.emit('error', { code: GrpcStatus.PERMISSION_DENIED, details: message, metadata: new Metadata() });
}
