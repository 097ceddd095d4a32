import { createRandom } from '@hypermesh/runtime';
import { IsolationForest, type IsolationTreeNode, type LibraryIsolationForest } from './library.js';

/**
 * Isolation forests (Liu, Ting & Zhou, 2008) trained with `ml-isolation-forest` and compiled to
 * flat typed arrays for the per-event path.
 *
 * The library builds every tree over all rows it is given and scores by walking objects; the
 * paper's method grows each tree on a subsample of ψ = 256 rows, which is both faster and better
 * at isolating anomalies (less swamping and masking). So each tree here is trained by the library
 * on its own seeded subsample, and the trees are then compiled into arrays.
 */

/** Options of {@link trainIsolationForest}. */
export interface IsolationForestOptions {
  /** Number of trees t (the paper uses 100). */
  readonly trees: number;
  /** Subsample size ψ per tree (the paper uses 256). */
  readonly sampleSize: number;
  /** Seed of the subsampling. The library's own split choices use Math.random. */
  readonly seed: string;
}

/** A compiled forest, transferable between threads. */
export interface FlatForestData {
  /** Feature count. */
  readonly dimensions: number;
  /** ψ: the normaliser c(ψ) of scores comes from it. */
  readonly sampleSize: number;
  readonly roots: Int32Array;
  /** Split feature, -1 for a leaf. */
  readonly feature: Int16Array;
  /** Split value: `x[feature] < split` goes left (as in the library). */
  readonly split: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** For leaves: depth + c(rows at the leaf), the path length the library assigns. */
  readonly pathLength: Float64Array;
}

/** Average path length of an unsuccessful BST search among n points, c(n) (the library's constants). */
export function averagePathLength(n: number): number {
  if (n === 0 || n === 1) return 0;
  if (n === 2) return 1;
  return 2 * Math.log(n - 1) + 0.57721 - (2 * (n - 1)) / n;
}

/** Trains `options.trees` single-tree library forests, each on its own subsample of `rows`. */
export function trainIsolationTrees(rows: readonly number[][], options: IsolationForestOptions): IsolationTreeNode[] {
  const random = createRandom(options.seed);
  const size = Math.min(options.sampleSize, rows.length);
  const trees: IsolationTreeNode[] = [];
  for (let t = 0; t < options.trees; t++) {
    // partial Fisher–Yates over indices: a subsample without replacement
    const index = Array.from({ length: rows.length }, (_, i) => i);
    const sample: number[][] = [];
    for (let i = 0; i < size; i++) {
      const j = i + random.int(rows.length - i);
      [index[i], index[j]] = [index[j]!, index[i]!];
      sample.push(rows[index[i]!]!);
    }
    const forest = new IsolationForest({ nEstimators: 1 });
    forest.train(sample);
    trees.push(forest.forest[0]!);
  }
  return trees;
}

/** The library's scorer over the given trees, normalised for subsamples of `sampleSize`. */
export function libraryForest(trees: IsolationTreeNode[], sampleSize: number): LibraryIsolationForest {
  const forest = new IsolationForest({ nEstimators: trees.length });
  forest.forest = trees;
  // the library normalises by c(trainingSet.length); only the length is read
  forest.trainingSet = new Array<number[]>(sampleSize);
  return forest;
}

/** Compiles library trees into flat arrays (depth-first, a tree's nodes contiguous). */
export function compileForest(trees: readonly IsolationTreeNode[], dimensions: number, sampleSize: number): FlatForestData {
  const feature: number[] = [];
  const split: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const pathLength: number[] = [];
  const roots: number[] = [];
  const visit = (node: IsolationTreeNode, depth: number): number => {
    const id = feature.length;
    feature.push(-1);
    split.push(0);
    left.push(-1);
    right.push(-1);
    pathLength.push(0);
    if (node.left !== undefined && node.right !== undefined) {
      feature[id] = node.splitColumn ?? 0;
      split[id] = node.splitValue ?? 0;
      left[id] = visit(node.left, depth + 1);
      right[id] = visit(node.right, depth + 1);
    } else {
      pathLength[id] = depth + averagePathLength(node.trainingSet?.length ?? 0);
    }
    return id;
  };
  for (const tree of trees) roots.push(visit(tree, 0));
  return {
    dimensions,
    sampleSize,
    roots: Int32Array.from(roots),
    feature: Int16Array.from(feature),
    split: Float64Array.from(split),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    pathLength: Float64Array.from(pathLength),
  };
}

/** Trains and compiles in one step (what the training worker runs). */
export function trainIsolationForest(rows: readonly number[][], options: IsolationForestOptions): FlatForestData {
  const dimensions = rows[0]?.length ?? 0;
  return compileForest(trainIsolationTrees(rows, options), dimensions, Math.min(options.sampleSize, rows.length));
}

/**
 * A compiled forest: scores a point in O(t · depth) array reads, without allocation.
 * Scores are s(x) = 2^(−E[h(x)] / c(ψ)): near 1 for anomalies, ≤ 0.5 for ordinary points.
 */
export class FlatForest {
  private readonly normaliser: number;

  constructor(readonly data: FlatForestData) {
    this.normaliser = averagePathLength(data.sampleSize);
  }

  /** The anomaly score of `x` (`dimensions` values). */
  score(x: ArrayLike<number>): number {
    const { roots, feature, split, left, right, pathLength } = this.data;
    let total = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]!;
      let f = feature[node]!;
      while (f >= 0) {
        node = x[f]! < split[node]! ? left[node]! : right[node]!;
        f = feature[node]!;
      }
      total += pathLength[node]!;
    }
    return 2 ** (-(total / roots.length) / this.normaliser);
  }

  /** Number of trees. */
  trees(): number {
    return this.data.roots.length;
  }
}
