import { MAX_NODE_SCORE } from '@hypermesh/runtime';

/**
 * Scales scores to [0, MAX_NODE_SCORE] by the largest one (Kubernetes' DefaultNormalizeScore);
 * with `reverse`, a lower raw score becomes a higher one. Integer results, so every replica agrees.
 */
export function normalizeByMax(scores: Float64Array, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  for (let i = 0; i < scores.length; i++) {
    const scaled = max === 0 ? 0 : Math.floor((scores[i]! * MAX_NODE_SCORE) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}
