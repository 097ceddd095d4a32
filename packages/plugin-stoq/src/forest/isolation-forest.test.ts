import { createRandom } from '@hypermesh/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { ForestTrainer } from './forest-trainer.js';
import { compileForest, FlatForest, libraryForest, trainIsolationTrees } from './isolation-forest.js';

function cloud(seed: string, n: number, dims: number): number[][] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: dims }, () => random.normal(0, 1)));
}

describe('isolation forest', () => {
  let trainer: ForestTrainer | undefined;
  afterEach(async () => {
    await trainer?.close();
    trainer = undefined;
  });

  it('the flat forest gives exactly the scores of the library scorer over the same trees', () => {
    const rows = cloud('if-equal', 2000, 8);
    const trees = trainIsolationTrees(rows, { trees: 100, sampleSize: 256, seed: 'if-equal' });
    const library = libraryForest(trees, 256);
    const flat = new FlatForest(compileForest(trees, 8, 256));
    const probes = [...cloud('probes', 200, 8), [6, 6, 6, 6, 6, 6, 6, 6], [0, 0, 0, 0, 0, 0, 0, 0]];
    const expected = library.predict(probes);
    const actual = probes.map((p) => flat.score(p));
    expect(actual).toEqual(expected);
  });

  it('scores outliers higher than inliers', () => {
    const rows = cloud('if-outlier', 4000, 8);
    const flat = new FlatForest(compileForest(trainIsolationTrees(rows, { trees: 100, sampleSize: 256, seed: 's' }), 8, 256));
    const inlier = flat.score([0, 0, 0, 0, 0, 0, 0, 0]);
    const outlier = flat.score([5, -5, 5, -5, 5, -5, 5, -5]);
    console.log(`isolation forest: inlier ${inlier.toFixed(3)}, outlier ${outlier.toFixed(3)}`);
    expect(inlier).toBeLessThan(0.5);
    expect(outlier).toBeGreaterThan(0.65);
  });

  it('trains in a worker thread and returns a usable compiled forest', async () => {
    trainer = new ForestTrainer();
    const rows = cloud('if-worker', 3000, 8);
    const flatRows = Float64Array.from(rows.flat());
    const result = await trainer.train(flatRows, 8, { trees: 50, sampleSize: 256, seed: 'w' });
    expect(result.where).toBe('worker');
    const flat = new FlatForest(result.forest);
    expect(flat.trees()).toBe(50);
    expect(flat.score([5, 5, 5, 5, 5, 5, 5, 5])).toBeGreaterThan(flat.score([0, 0, 0, 0, 0, 0, 0, 0]));
  });
});
