import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MerkleTree } from './tree.js';
import { EMPTY_ROOT, leafHash, verifyConsistency, verifyInclusion } from './proofs.js';

interface Vectors {
  leafInputs: string[];
  rootHashes: string[];
  inclusion: { file: string; leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean }[];
  consistency: { file: string; size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean }[];
}
const vectors = JSON.parse(readFileSync(new URL('../testdata/merkle/vectors.json', import.meta.url), 'utf8')) as Vectors;
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('RFC 6962 Merkle hashing against published vectors', () => {
  it('builds the roots of the reference trees of sizes 0 to 8', () => {
    const tree = new MerkleTree();
    expect(hex(tree.root())).toBe(vectors.rootHashes[0]);
    expect(hex(EMPTY_ROOT)).toBe(vectors.rootHashes[0]);
    vectors.leafInputs.forEach((input, i) => {
      tree.append(leafHash(Buffer.from(input, 'hex')));
      expect(hex(tree.root()), `size ${i + 1}`).toBe(vectors.rootHashes[i + 1]);
    });
  });

  const happy = vectors.inclusion.filter((v) => !v.wantErr);
  const tampered = vectors.inclusion.filter((v) => v.wantErr);
  it(`accepts the ${happy.length} valid inclusion proofs`, () => {
    expect(happy.length).toBeGreaterThan(0);
    for (const v of happy) {
      const verdict = verifyInclusion({ leafHash: b64(v.leafHash), index: v.leafIdx, treeSize: v.treeSize, proof: (v.proof ?? []).map(b64), rootHash: b64(v.root) });
      expect(verdict, v.file).toEqual({ valid: true });
    }
  });

  it(`rejects the ${tampered.length} tampered inclusion proofs with a reason`, () => {
    expect(tampered.length).toBeGreaterThan(50);
    for (const v of tampered) {
      const verdict = verifyInclusion({ leafHash: b64(v.leafHash), index: v.leafIdx, treeSize: v.treeSize, proof: (v.proof ?? []).map(b64), rootHash: b64(v.root) });
      expect(verdict.valid, v.file).toBe(false);
      if (!verdict.valid) expect(verdict.reason.length).toBeGreaterThan(10);
    }
  });

  const goodConsistency = vectors.consistency.filter((v) => !v.wantErr);
  const badConsistency = vectors.consistency.filter((v) => v.wantErr);
  it(`accepts the ${goodConsistency.length} valid consistency proofs and rejects the ${badConsistency.length} tampered ones`, () => {
    expect(badConsistency.length).toBeGreaterThan(50);
    for (const v of vectors.consistency) {
      const verdict = verifyConsistency({ oldSize: v.size1, newSize: v.size2, oldRoot: b64(v.root1), newRoot: b64(v.root2), proof: (v.proof ?? []).map(b64) });
      expect(verdict.valid, `${v.file}: ${JSON.stringify(verdict)}`).toBe(!v.wantErr);
    }
  });
});

describe('MerkleTree proofs', () => {
  const tree = new MerkleTree();
  for (let i = 0; i < 67; i++) tree.append(leafHash(Uint8Array.of(i, i >> 8)));

  it('produces inclusion proofs that verify for every leaf of every size, and fail for a neighbour', () => {
    for (let size = 1; size <= tree.size; size++) {
      for (let index = 0; index < size; index++) {
        const proof = tree.inclusionProof(index, size);
        const check = { leafHash: tree.leaf(index)!, index, treeSize: size, proof, rootHash: tree.root(size) };
        expect(verifyInclusion(check).valid).toBe(true);
        if (size > 1) expect(verifyInclusion({ ...check, index: (index + 1) % size }).valid).toBe(false);
      }
    }
  });

  it('produces consistency proofs that verify between every pair of sizes, and fail against another root', () => {
    for (let newSize = 1; newSize <= tree.size; newSize++) {
      for (let oldSize = 1; oldSize <= newSize; oldSize++) {
        const check = { oldSize, newSize, oldRoot: tree.root(oldSize), newRoot: tree.root(newSize), proof: tree.consistencyProof(oldSize, newSize) };
        expect(verifyConsistency(check), `${oldSize} → ${newSize}`).toEqual({ valid: true });
        if (oldSize > 1 && oldSize < newSize) expect(verifyConsistency({ ...check, oldRoot: tree.root(oldSize - 1) }).valid).toBe(false);
      }
    }
  });
});
