import { createRandom } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { BoostedTrees, trainBoostedTrees } from './boosted-trees.js';

function data(seed: string, n: number) {
  const random = createRandom(seed);
  const rows = new Float64Array(n * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = random.uniform(-1, 1);
    const b = random.uniform(-1, 1);
    rows.set([a, b, random.uniform(-1, 1)], i * 3);
    labels[i] = a + 0.5 * b + random.normal(0, 0.1) > 0 ? 1 : 0; // the third column is noise
  }
  return { rows, labels };
}

const options = { trees: 60, depth: 3, learningRate: 0.3, lambda: 1, minChildWeight: 1, rowSample: 1, featureSample: 1, bins: 32, seed: 'bt' };

describe('boosted trees', () => {
  it('learns a separable rule and generalises to fresh data', () => {
    const train = data('train', 3000);
    const model = new BoostedTrees(trainBoostedTrees(train.rows, 3, train.labels, options));
    const test = data('test', 1000);
    let correct = 0;
    for (let i = 0; i < 1000; i++) if ((model.probability(test.rows.subarray(i * 3, i * 3 + 3)) >= 0.5 ? 1 : 0) === test.labels[i]) correct++;
    expect(correct / 1000).toBeGreaterThan(0.93);
  });

  it('explains: bias + contributions = margin, and the noise column contributes little', () => {
    const train = data('train', 3000);
    const model = new BoostedTrees(trainBoostedTrees(train.rows, 3, train.labels, options));
    const x = [0.8, 0.4, -0.9];
    const c = model.contributions(x);
    expect(model.bias() + c.reduce((a, b) => a + b, 0)).toBeCloseTo(model.margin(x), 9);
    expect(Math.abs(c[2]!)).toBeLessThan(Math.abs(c[0]!));
  });

  it('honours monotone constraints', () => {
    const train = data('train', 3000);
    // forbid the score to rise with column 0, although the data says it should
    const model = new BoostedTrees(trainBoostedTrees(train.rows, 3, train.labels, { ...options, monotone: [-1, 0, 0] }));
    for (const b of [-0.5, 0, 0.5]) {
      let previous = Infinity;
      for (let a = -1; a <= 1; a += 0.05) {
        const m = model.margin([a, b, 0]);
        expect(m).toBeLessThanOrEqual(previous + 1e-12);
        previous = m;
      }
    }
  });

  it('is deterministic for a seed', () => {
    const train = data('train', 1000);
    const sampled = { ...options, rowSample: 0.7, featureSample: 0.7 };
    expect(trainBoostedTrees(train.rows, 3, train.labels, sampled)).toEqual(trainBoostedTrees(train.rows, 3, train.labels, sampled));
  });
});
