import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { loadLogKey, type CtLog } from './log-list.js';
import { decodeDigitallySigned, encodeDigitallySigned } from './sct.js';
import { checkDigitallySigned, signDigitally } from './signature.js';
import { TlsReader, TlsWriter } from './tls-codec.js';

/** A get-sth response body (RFC 6962 §4.3). */
export interface GetSthResponse {
  readonly tree_size: number;
  readonly timestamp: number;
  /** base64 */
  readonly sha256_root_hash: string;
  /** base64 of a TLS `digitally-signed` struct */
  readonly tree_head_signature: string;
}

/** A tree head whose signature was checked. */
export interface TreeHead {
  readonly treeSize: number;
  /** ms since the epoch */
  readonly timestamp: number;
  readonly rootHash: Uint8Array;
}

/** The outcome of {@link verifySth}. */
export type SthVerdict = { readonly valid: true; readonly treeHead: TreeHead } | { readonly valid: false; readonly reason: string };

/** A log key in any form the CT functions accept. */
export type LogKeyInput = KeyObject | string | Uint8Array | CtLog;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
/** The shape of a get-sth response, checked at the edge. */
export const getSthResponseSchema = z.object({
  tree_size: z.number().int().min(0),
  timestamp: z.number().int().min(0),
  sha256_root_hash: base64,
  tree_head_signature: base64,
});

/** The bytes a tree head signature covers (RFC 6962 §3.5 TreeHeadSignature). */
export function treeHeadSignedData(head: TreeHead): Uint8Array {
  return new TlsWriter().uint(0, 1).uint(1, 1).uint(head.timestamp, 8).uint(head.treeSize, 8).fixed(head.rootHash).finish();
}

/** The key of a log given in any accepted form. */
export function keyOf(input: LogKeyInput): KeyObject {
  return typeof input === 'object' && 'publicKey' in input && 'logId' in input ? input.publicKey : loadLogKey(input as KeyObject | string | Uint8Array);
}

/**
 * Verifies a signed tree head: the get-sth JSON (object or text) and the log's public key. The
 * verdict carries the tree head on success, or why it fails (malformed JSON, root hash not 32
 * bytes, bad signature). A key that cannot be used throws `E_CT_LOG_KEY`.
 */
export function verifySth(options: { readonly sth: GetSthResponse | string | unknown; readonly publicKey: LogKeyInput }): SthVerdict {
  const key = keyOf(options.publicKey);
  let value = options.sth;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { valid: false, reason: 'the STH is not JSON' };
    }
  }
  const parsed = getSthResponseSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { valid: false, reason: `the STH is malformed at '${issue.path.join('.')}': ${issue.message}` };
  }
  const rootHash = new Uint8Array(Buffer.from(parsed.data.sha256_root_hash, 'base64'));
  if (rootHash.length !== 32) return { valid: false, reason: `sha256_root_hash is ${rootHash.length} bytes, not 32` };
  const head: TreeHead = { treeSize: parsed.data.tree_size, timestamp: parsed.data.timestamp, rootHash };
  let problem: string | undefined;
  try {
    const reader = new TlsReader(Buffer.from(parsed.data.tree_head_signature, 'base64'));
    const signed = decodeDigitallySigned(reader);
    reader.end('tree_head_signature');
    problem = checkDigitallySigned(key, treeHeadSignedData(head), signed);
  } catch (err) {
    problem = `tree_head_signature is malformed (${(err as Error).message})`;
  }
  return problem === undefined ? { valid: true, treeHead: head } : { valid: false, reason: `the tree head signature does not verify: ${problem}` };
}

/** Signs a tree head and returns the get-sth body a log serves. */
export function signTreeHead(head: TreeHead, privateKey: KeyObject): GetSthResponse {
  return {
    tree_size: head.treeSize,
    timestamp: head.timestamp,
    sha256_root_hash: Buffer.from(head.rootHash).toString('base64'),
    tree_head_signature: Buffer.from(encodeDigitallySigned(signDigitally(privateKey, treeHeadSignedData(head)))).toString('base64'),
  };
}
