import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createKeyring, type KeysService, type NodeKeyPair } from '@hypermesh/runtime';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/** The roles `hypermesh init` makes an API key for. */
export const CREDENTIAL_ROLES = ['admin', 'operator', 'viewer'] as const;

/**
 * Where a cluster directory (made by `hypermesh init`) keeps its files. The cluster.yaml refers to
 * none of them by path: `up` finds them beside it.
 *
 * ```
 * cluster.yaml
 * pki/ca.crt, pki/ca.key                  the cluster CA (keep ca.key off the nodes)
 * pki/nodes/<id>.crt, pki/nodes/<id>.key  each node's mTLS certificate and key
 * keys/nodes.json                         every node's Ed25519 public key (hex), for consensus signatures
 * keys/<id>.key                           each node's Ed25519 private key (hex)
 * credentials/<role>.token                API keys for admin, operator, viewer (their SHA-256 is in cluster.yaml)
 * audit/<id>.jsonl                        each node's API audit log (written by up)
 * ```
 */
export interface ClusterFiles {
  readonly dir: string;
  readonly config: string;
  readonly caCert: string;
  readonly caKey: string;
  nodeCert(nodeId: string): string;
  nodeKey(nodeId: string): string;
  readonly publicKeys: string;
  signingKey(nodeId: string): string;
  credential(role: (typeof CREDENTIAL_ROLES)[number]): string;
  audit(nodeId: string): string;
}

/** The file layout of the cluster directory `dir`. */
export function clusterFiles(dir: string): ClusterFiles {
  return {
    dir,
    config: join(dir, 'cluster.yaml'),
    caCert: join(dir, 'pki', 'ca.crt'),
    caKey: join(dir, 'pki', 'ca.key'),
    nodeCert: (id) => join(dir, 'pki', 'nodes', `${id}.crt`),
    nodeKey: (id) => join(dir, 'pki', 'nodes', `${id}.key`),
    publicKeys: join(dir, 'keys', 'nodes.json'),
    signingKey: (id) => join(dir, 'keys', `${id}.key`),
    credential: (role) => join(dir, 'credentials', `${role}.token`),
    audit: (id) => join(dir, 'audit', `${id}.jsonl`),
  };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.trim(), 'hex'));

/** The contents of `keys/nodes.json` and `keys/<id>.key` for a set of key pairs. */
export function serialiseNodeKeys(pairs: Readonly<Record<string, NodeKeyPair>>): { publicKeys: string; privateKeys: Record<string, string> } {
  const publicKeys = Object.fromEntries(Object.entries(pairs).map(([id, p]) => [id, hex(p.publicKey)]));
  const privateKeys = Object.fromEntries(Object.entries(pairs).map(([id, p]) => [id, `${hex(p.privateKey)}\n`]));
  return { publicKeys: `${JSON.stringify(publicKeys, null, 2)}\n`, privateKeys };
}

/**
 * The `keys` service of one node from the cluster directory, or `undefined` when the directory
 * has no keys (a cluster.yaml written by hand: `up` then generates keys in memory).
 */
export async function loadNodeKeyring(files: ClusterFiles, nodeId: string): Promise<KeysService | undefined> {
  let publicText: string;
  try {
    publicText = await readFile(files.publicKeys, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const publicKeys = Object.fromEntries(Object.entries(JSON.parse(publicText) as Record<string, string>).map(([id, h]) => [id, fromHex(h)]));
    const privateKey = fromHex(await readFile(files.signingKey(nodeId), 'utf8'));
    if (privateKey.length !== 32) throw new Error(`${files.signingKey(nodeId)} does not hold a 32-byte Ed25519 key in hex`);
    return createKeyring({ nodeId, privateKey, publicKeys });
  } catch (err) {
    throw new CliError(CliErrorCode.InvalidInput, `the node keys in ${join(files.dir, 'keys')} are unusable for '${nodeId}': ${(err as Error).message}; run hypermesh init again or restore them`, ExitCode.InvalidInput, {
      cause: err,
    });
  }
}
