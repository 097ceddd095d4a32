import { createHash } from 'node:crypto';

/** The outcome of a proof check: valid, or why not. */
export type MerkleVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/** Options of {@link verifyInclusion}. */
export interface InclusionCheck {
  /** The leaf's hash, {@link leafHash} of its MerkleTreeLeaf. */
  readonly leafHash: Uint8Array;
  /** The leaf's index in the tree (0-based). */
  readonly index: number;
  readonly treeSize: number;
  /** The audit path, leaf level first (get-proof-by-hash `audit_path`). */
  readonly proof: readonly Uint8Array[];
  /** The root the proof must reach (an STH's `sha256_root_hash`). */
  readonly rootHash: Uint8Array;
}

/** Options of {@link verifyConsistency}. */
export interface ConsistencyCheck {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: Uint8Array;
  readonly newRoot: Uint8Array;
  /** get-sth-consistency `consistency`. */
  readonly proof: readonly Uint8Array[];
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** The hash of a leaf: SHA-256(0x00 || leaf input) (RFC 6962 §2.1). */
export function leafHash(leafInput: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(LEAF_PREFIX).update(leafInput).digest());
}

/** The hash of an interior node: SHA-256(0x01 || left || right) (RFC 6962 §2.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest());
}

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(createHash('sha256').digest());

const invalid = (reason: string): MerkleVerdict => ({ valid: false, reason });
const VALID: MerkleVerdict = { valid: true };
const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

function badHash(name: string, hash: Uint8Array): string | undefined {
  return hash.length === 32 ? undefined : `${name} is ${hash.length} bytes, not a 32-byte SHA-256 hash`;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Verifies an inclusion proof (audit path) for a leaf in a tree of `treeSize` leaves, following
 * the algorithm of RFC 9162 §2.1.3.2. Sizes and indexes are numbers (exact below 2^53).
 */
export function verifyInclusion(check: InclusionCheck): MerkleVerdict {
  const { index, treeSize, proof } = check;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0) return invalid('index and tree size must be non-negative integers');
  if (index >= treeSize) return invalid(`leaf index ${index} is not inside a tree of size ${treeSize}`);
  const problem = badHash('the leaf hash', check.leafHash) ?? proof.map((p, i) => badHash(`proof[${i}]`, p)).find(Boolean);
  if (problem !== undefined) return invalid(problem);
  let fn = index;
  let sn = treeSize - 1;
  let r = check.leafHash;
  for (const p of proof) {
    if (sn === 0) return invalid(`the proof has ${proof.length} hashes, more than a tree of size ${treeSize} needs`);
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return invalid(`the proof has ${proof.length} hashes, fewer than a tree of size ${treeSize} needs`);
  if (!equal(r, check.rootHash)) return invalid('the proof leads to a different root hash');
  return VALID;
}

/**
 * Verifies that the tree of `newSize` leaves extends the tree of `oldSize` leaves (RFC 9162
 * §2.1.4.2). A proof from the empty tree proves nothing and is rejected; equal sizes need an
 * empty proof and equal roots.
 */
export function verifyConsistency(check: ConsistencyCheck): MerkleVerdict {
  const { oldSize, newSize, oldRoot, newRoot } = check;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0) return invalid('sizes must be non-negative integers');
  if (newSize < oldSize) return invalid(`the new tree (${newSize}) is smaller than the old one (${oldSize})`);
  if (oldSize === 0) return invalid('a consistency proof from the empty tree proves nothing');
  const problem = check.proof.map((p, i) => badHash(`proof[${i}]`, p)).find(Boolean);
  if (problem !== undefined) return invalid(problem);
  if (oldSize === newSize) {
    if (check.proof.length > 0) return invalid('equal tree sizes need an empty proof');
    return equal(oldRoot, newRoot) ? VALID : invalid('equal tree sizes but different root hashes');
  }
  if (check.proof.length === 0) return invalid('the proof is empty');
  // When the old tree is a complete subtree its root is the first node of the path.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...check.proof] : check.proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return invalid('the proof has more hashes than the tree sizes need');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return invalid('the proof has fewer hashes than the tree sizes need');
  if (!equal(fr, oldRoot)) return invalid('the proof does not lead to the old root hash');
  if (!equal(sr, newRoot)) return invalid('the proof does not lead to the new root hash');
  return VALID;
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1) {
    if (isOdd(n)) return false;
    n = half(n);
  }
  return n === 1;
}
