/**
 * Merkle trees of RFC 6962 §2.1 / RFC 9162 §2.1: hashing, inclusion and consistency proof
 * verification, and the append-only tree a log keeps.
 */
export {
  EMPTY_ROOT,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyCheck,
  type InclusionCheck,
  type MerkleVerdict,
} from './proofs.js';
export { MerkleTree } from './tree.js';
