import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { KeysService } from '../contracts/keys.js';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';

/** A node's Ed25519 key pair as raw bytes. */
export interface NodeKeyPair {
  readonly nodeId: string;
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** Raw 32-byte private key (the RFC 8032 seed). Keep it secret. */
  readonly privateKey: Uint8Array;
}

// RFC 8410 DER prefixes that wrap a raw Ed25519 key into SPKI / PKCS#8.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function privateKeyObject(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

function rawPublicFromPrivate(raw: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyObject(raw)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

/**
 * Generates Ed25519 key pairs for nodes. With `seed`, keys are derived deterministically
 * (SHA-256 of seed and node id) — for simulations and tests only; without it they are random.
 */
export function generateNodeKeys(nodeIds: readonly string[], options: { seed?: string | number } = {}): Record<string, NodeKeyPair> {
  const out: Record<string, NodeKeyPair> = {};
  for (const nodeId of nodeIds) {
    let privateKey: Uint8Array;
    if (options.seed !== undefined) {
      privateKey = new Uint8Array(createHash('sha256').update(`hypermesh-key:${options.seed}:${nodeId}`).digest());
    } else {
      const der = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
      privateKey = new Uint8Array(der.subarray(PKCS8_PREFIX.length));
    }
    out[nodeId] = { nodeId, privateKey, publicKey: rawPublicFromPrivate(privateKey) };
  }
  return out;
}

/** Options of {@link createKeyring}. */
export interface KeyringOptions {
  /** This node's id. */
  readonly nodeId: string;
  /** This node's raw 32-byte Ed25519 private key. */
  readonly privateKey: Uint8Array;
  /** Raw public keys of every node (this one may be included), by node id. */
  readonly publicKeys: Readonly<Record<string, Uint8Array>>;
}

/** A {@link KeysService} over Ed25519 keys held in memory (node:crypto). */
export function createKeyring(options: KeyringOptions): KeysService {
  if (!(options.privateKey instanceof Uint8Array) || options.privateKey.byteLength !== 32) {
    throw new HypermeshError(RuntimeErrorCode.InvalidArgument, `createKeyring: the private key of '${options.nodeId}' must be 32 raw bytes`);
  }
  const privateKey = privateKeyObject(options.privateKey);
  const ownPublic = rawPublicFromPrivate(options.privateKey);
  const publicRaw = new Map<string, Uint8Array>();
  const publicObjects = new Map<string, KeyObject>();
  for (const [id, raw] of Object.entries(options.publicKeys)) {
    if (!(raw instanceof Uint8Array) || raw.byteLength !== 32) {
      throw new HypermeshError(RuntimeErrorCode.InvalidArgument, `createKeyring: the public key of '${id}' must be 32 raw bytes`);
    }
    publicRaw.set(id, raw);
    publicObjects.set(id, publicKeyObject(raw));
  }
  const declaredOwn = publicRaw.get(options.nodeId);
  if (declaredOwn !== undefined && Buffer.compare(Buffer.from(declaredOwn), Buffer.from(ownPublic)) !== 0) {
    throw new HypermeshError(
      RuntimeErrorCode.InvalidArgument,
      `createKeyring: the public key listed for '${options.nodeId}' does not match its private key`,
    );
  }
  publicRaw.set(options.nodeId, ownPublic);
  publicObjects.set(options.nodeId, publicKeyObject(ownPublic));
  const known = Object.freeze([...publicRaw.keys()].sort());
  return {
    nodeId: options.nodeId,
    algorithm: 'ed25519',
    publicKey: (nodeId) => publicRaw.get(nodeId),
    knownNodes: () => known,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
    verify: (nodeId, message, signature) => {
      const key = publicObjects.get(nodeId);
      if (key === undefined || signature.byteLength !== 64) return false;
      try {
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}
