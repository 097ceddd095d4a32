import { EMPTY_ROOT, nodeHash } from './proofs.js';

/** The largest power of two smaller than `n` (n ≥ 2), the split point of RFC 6962 §2.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * An append-only Merkle tree over leaf hashes (RFC 6962 §2.1), as a log keeps it. Hashes of
 * complete, aligned subtrees are stored level by level, so the root of any earlier size, inclusion
 * proofs and consistency proofs cost O(log² n) hashes.
 */
export class MerkleTree {
  /** levels[k][i] is the hash of leaves [i·2^k, (i+1)·2^k). */
  private readonly levels: Uint8Array[][] = [[]];

  /** The number of leaves. */
  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a leaf hash and returns its index. */
  append(leafHash: Uint8Array): number {
    const index = this.size;
    this.levels[0]!.push(leafHash);
    for (let k = 0; this.levels[k]!.length % 2 === 0; k++) {
      const level = this.levels[k]!;
      const parent = (this.levels[k + 1] ??= []);
      parent.push(nodeHash(level[level.length - 2]!, level[level.length - 1]!));
    }
    return index;
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Uint8Array | undefined {
    return this.levels[0]![index];
  }

  /** The Merkle Tree Hash of the first `size` leaves (default: all). */
  root(size = this.size): Uint8Array {
    this.checkSize(size);
    return this.hash(0, size);
  }

  /** The audit path of leaf `index` in the tree of the first `size` leaves (RFC 6962 §2.1.1). */
  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.checkSize(size);
    if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
    let start = 0;
    let end = size;
    const siblings: Uint8Array[] = [];
    while (end - start > 1) {
      const k = splitPoint(end - start);
      if (index < start + k) {
        siblings.push(this.hash(start + k, end));
        end = start + k;
      } else {
        siblings.push(this.hash(start, start + k));
        start += k;
      }
    }
    return siblings.reverse();
  }

  /** The proof that the tree of `newSize` leaves extends that of `oldSize` (RFC 6962 §2.1.2). */
  consistencyProof(oldSize: number, newSize = this.size): Uint8Array[] {
    this.checkSize(newSize);
    if (!(oldSize > 0 && oldSize <= newSize)) throw new RangeError(`no consistency proof from size ${oldSize} to ${newSize}`);
    const proof: Uint8Array[] = [];
    let m = oldSize;
    let start = 0;
    let end = newSize;
    let complete = true;
    // SUBPROOF(m, D[start:end], complete), unrolled; hashes are collected innermost-last.
    while (m !== end - start) {
      const k = splitPoint(end - start);
      if (m <= k) {
        proof.push(this.hash(start + k, end));
        end = start + k;
      } else {
        proof.push(this.hash(start, start + k));
        start += k;
        m -= k;
        complete = false;
      }
    }
    if (!complete) proof.push(this.hash(start, end));
    return proof.reverse();
  }

  private hash(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    let k = 0;
    while (2 ** k < n) k++;
    if (2 ** k === n && start % n === 0) return this.levels[k]![start / n]!;
    const split = splitPoint(n);
    return nodeHash(this.hash(start, start + split), this.hash(start + split, end));
  }

  private checkSize(size: number): void {
    if (!(Number.isInteger(size) && size >= 0 && size <= this.size)) throw new RangeError(`tree size ${size} is not between 0 and ${this.size}`);
  }
}
