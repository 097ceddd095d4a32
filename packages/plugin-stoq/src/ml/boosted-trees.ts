import { createRandom } from '@hypermesh/runtime';

/**
 * Gradient-boosted decision trees for binary classification (logistic loss, second-order
 * splits as in XGBoost, histogram split finding as in LightGBM). Small enough to train offline in
 * seconds and to evaluate per name in a few hundred nanoseconds from flat arrays.
 */

/** Training parameters. */
export interface BoostingOptions {
  /** Number of trees. */
  readonly trees: number;
  /** Maximum depth of a tree. */
  readonly depth: number;
  /** Shrinkage applied to each tree. */
  readonly learningRate: number;
  /** L2 regularisation of leaf values. */
  readonly lambda: number;
  /** Minimum hessian sum in a leaf (≈ rows for balanced probabilities). */
  readonly minChildWeight: number;
  /** Share of rows each tree sees. */
  readonly rowSample: number;
  /** Share of features each tree may split on. */
  readonly featureSample: number;
  /** Histogram bins per feature. */
  readonly bins: number;
  /** Seed of the sampling. */
  readonly seed: string;
  /**
   * Per-feature monotone constraints (1 non-decreasing, -1 non-increasing, 0 free), enforced as
   * XGBoost does: a split must order its children's values, and the bound between them is passed
   * down so that no later split undoes it.
   */
  readonly monotone?: readonly number[];
}

/** A trained model as flat arrays: node `i` of the forest splits on `feature[i]` (-1 for a leaf). */
export interface BoostedTreesJson {
  readonly features: number;
  readonly base: number;
  /** Start node of each tree. */
  readonly roots: readonly number[];
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  /** Leaf value for leaves; for inner nodes, the value the node would have as a leaf (for explanations). */
  readonly value: readonly number[];
}

/** A compiled model: flat typed arrays, evaluated without allocation. */
export class BoostedTrees {
  readonly features: number;
  private readonly base: number;
  private readonly roots: Int32Array;
  private readonly feature: Int16Array;
  private readonly threshold: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly value: Float64Array;

  constructor(json: BoostedTreesJson) {
    this.features = json.features;
    this.base = json.base;
    this.roots = Int32Array.from(json.roots);
    this.feature = Int16Array.from(json.feature);
    this.threshold = Float64Array.from(json.threshold);
    this.left = Int32Array.from(json.left);
    this.right = Int32Array.from(json.right);
    this.value = Float64Array.from(json.value);
  }

  /** The raw score (log-odds) of one row. */
  margin(x: ArrayLike<number>): number {
    let sum = this.base;
    const { roots, feature, threshold, left, right, value } = this;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]!;
      let f = feature[node]!;
      while (f >= 0) {
        node = x[f]! <= threshold[node]! ? left[node]! : right[node]!;
        f = feature[node]!;
      }
      sum += value[node]!;
    }
    return sum;
  }

  /** The probability of the positive class. */
  probability(x: ArrayLike<number>): number {
    return 1 / (1 + Math.exp(-this.margin(x)));
  }

  /**
   * Per-feature contributions to the margin (Saabas' path attribution): each split adds the change
   * of node value to the feature it split on. `base + Σ contributions = margin`.
   */
  contributions(x: ArrayLike<number>, out = new Float64Array(this.features)): Float64Array {
    out.fill(0);
    const { roots, feature, threshold, left, right, value } = this;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]!;
      let f = feature[node]!;
      while (f >= 0) {
        const next = x[f]! <= threshold[node]! ? left[node]! : right[node]!;
        out[f]! += value[next]! - value[node]!;
        node = next;
        f = feature[node]!;
      }
    }
    return out;
  }

  /** The margin of the model with every feature at the root: `base + Σ root values`. */
  bias(): number {
    let sum = this.base;
    for (let t = 0; t < this.roots.length; t++) sum += this.value[this.roots[t]!]!;
    return sum;
  }
}

/** Quantile bin edges of one column: `x <= edges[k]` falls in bin ≤ k. */
function binEdges(column: Float64Array, bins: number): Float64Array {
  const sorted = Float64Array.from(column).sort();
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = sorted[Math.floor((k * sorted.length) / bins)]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  // the last edge must leave something on the right
  while (edges.length > 0 && edges[edges.length - 1]! >= sorted[sorted.length - 1]!) edges.pop();
  return Float64Array.from(edges);
}

function binOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface Builder {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/**
 * Trains a model on `rows` (row-major, `features` columns) with labels 0/1 and optional weights.
 * Deterministic for a given seed.
 */
export function trainBoostedTrees(
  rows: Float64Array,
  features: number,
  labels: Uint8Array,
  options: BoostingOptions,
  weights?: Float64Array,
): BoostedTreesJson {
  const n = labels.length;
  const w = weights ?? new Float64Array(n).fill(1);
  const random = createRandom(options.seed);
  const edges: Float64Array[] = [];
  const binned = new Uint8Array(n * features);
  for (let f = 0; f < features; f++) {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = rows[i * features + f]!;
    const e = binEdges(column, Math.min(options.bins, 255));
    edges.push(e);
    for (let i = 0; i < n; i++) binned[i * features + f] = binOf(e, column[i]!);
  }
  let positive = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    positive += labels[i]! * w[i]!;
    total += w[i]!;
  }
  const p0 = Math.min(Math.max(positive / total, 1e-6), 1 - 1e-6);
  const base = Math.log(p0 / (1 - p0));
  const margin = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const out: Builder = { feature: [], threshold: [], left: [], right: [], value: [] };
  const roots: number[] = [];
  const maxBins = 256;
  const histG = new Float64Array(features * maxBins);
  const histH = new Float64Array(features * maxBins);

  for (let t = 0; t < options.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      grad[i] = (p - labels[i]!) * w[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-12) * w[i]!;
    }
    const sample: number[] = [];
    for (let i = 0; i < n; i++) if (options.rowSample >= 1 || random.next() < options.rowSample) sample.push(i);
    const allowed: number[] = [];
    for (let f = 0; f < features; f++) if (options.featureSample >= 1 || random.next() < options.featureSample) allowed.push(f);
    if (allowed.length === 0) allowed.push(random.int(features));

    const monotone = options.monotone ?? [];
    const weightOf = (g: number, h: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, -g / (h + options.lambda)));
    // the loss reduction of leaf weight w: -(G w + ½ (H + λ) w²), doubled
    const gainOf = (g: number, h: number, w: number) => -(2 * g * w + (h + options.lambda) * w * w);

    const grow = (index: number[], depth: number, lo: number, hi: number): number => {
      let G = 0;
      let H = 0;
      for (const i of index) {
        G += grad[i]!;
        H += hess[i]!;
      }
      const node = out.feature.length;
      const w = weightOf(G, H, lo, hi);
      out.feature.push(-1);
      out.threshold.push(0);
      out.left.push(-1);
      out.right.push(-1);
      out.value.push(w * options.learningRate);
      if (depth >= options.depth || H < 2 * options.minChildWeight) return node;
      histG.fill(0);
      histH.fill(0);
      for (const i of index) {
        const g = grad[i]!;
        const h = hess[i]!;
        const row = i * features;
        for (const f of allowed) {
          const k = f * maxBins + binned[row + f]!;
          histG[k]! += g;
          histH[k]! += h;
        }
      }
      const parentGain = gainOf(G, H, w);
      let bestGain = 1e-9;
      let bestFeature = -1;
      let bestBin = -1;
      let bestLeft = 0;
      let bestRight = 0;
      for (const f of allowed) {
        const constraint = monotone[f] ?? 0;
        let gl = 0;
        let hl = 0;
        const nb = edges[f]!.length;
        for (let b = 0; b < nb; b++) {
          gl += histG[f * maxBins + b]!;
          hl += histH[f * maxBins + b]!;
          const gr = G - gl;
          const hr = H - hl;
          if (hl < options.minChildWeight || hr < options.minChildWeight) continue;
          const wl = weightOf(gl, hl, lo, hi);
          const wr = weightOf(gr, hr, lo, hi);
          if ((constraint > 0 && wl > wr) || (constraint < 0 && wl < wr)) continue;
          const gain = gainOf(gl, hl, wl) + gainOf(gr, hr, wr) - parentGain;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
            bestLeft = wl;
            bestRight = wr;
          }
        }
      }
      if (bestFeature < 0) return node;
      const leftRows: number[] = [];
      const rightRows: number[] = [];
      for (const i of index) (binned[i * features + bestFeature]! <= bestBin ? leftRows : rightRows).push(i);
      const constraint = monotone[bestFeature] ?? 0;
      const mid = (bestLeft + bestRight) / 2;
      out.feature[node] = bestFeature;
      out.threshold[node] = edges[bestFeature]![bestBin]!;
      out.left[node] = grow(leftRows, depth + 1, constraint < 0 ? mid : lo, constraint > 0 ? mid : hi);
      out.right[node] = grow(rightRows, depth + 1, constraint > 0 ? mid : lo, constraint < 0 ? mid : hi);
      return node;
    };
    const root = grow(sample, 0, -Infinity, Infinity);
    roots.push(root);
    // update margins of every row (not only the sample) through the new tree
    for (let i = 0; i < n; i++) {
      let node = root;
      while (out.feature[node]! >= 0) {
        node = rows[i * features + out.feature[node]!]! <= out.threshold[node]! ? out.left[node]! : out.right[node]!;
      }
      margin[i]! += out.value[node]!;
    }
  }
  return { features, base, roots, ...out };
}
