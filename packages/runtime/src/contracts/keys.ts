import { createServiceRef } from '../services/service-ref.js';

/**
 * This node's signing key and the public keys of the cluster's nodes (Ed25519). Consensus signs
 * and verifies every protocol message through it.
 */
export interface KeysService {
  /** This node's id. */
  readonly nodeId: string;
  /** The signature scheme. */
  readonly algorithm: 'ed25519';
  /** The raw 32-byte public key of a node, or `undefined` for an unknown node. */
  publicKey(nodeId: string): Uint8Array | undefined;
  /** Ids of every node whose public key is known, this node included. */
  knownNodes(): readonly string[];
  /** Signs `message` with this node's private key (64-byte signature). */
  sign(message: Uint8Array): Uint8Array;
  /** Verifies a signature by `nodeId`; `false` for a bad signature or an unknown node. */
  verify(nodeId: string, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The `keys` service: node identity and signatures. */
export const keysRef = createServiceRef<KeysService>({
  id: 'keys',
  version: '1.0.0',
  description: 'Node signing key and the public keys of the cluster (Ed25519)',
});
