import { requireArgument } from '../errors.js';
import { fmix32, hash32 } from './hash.js';

/**
 * Count-min sketch (Cormode & Muthukrishnan, 2005) with conservative update: frequencies of an
 * unbounded set of keys in `width × depth` counters. An estimate never undercounts and overcounts
 * by at most εN with probability 1 − δ, for width = ⌈e/ε⌉ and depth = ⌈ln 1/δ⌉.
 * O(depth) per update and query; memory fixed at creation.
 */
export class CountMinSketch {
  /** Counters per row. */
  readonly width: number;
  /** Rows (independent hash functions). */
  readonly depth: number;
  private readonly table: Float64Array;
  private readonly slots: Int32Array;
  private totalCount = 0;
  /** Counters are stored divided by `scale`, so that decay is O(1): it only shrinks the scale. */
  private scale = 1;

  constructor(width = 2048, depth = 4) {
    requireArgument(Number.isInteger(width) && width >= 1 && width <= 1 << 24, `CountMinSketch: width must be an integer in [1, 2^24], not ${width}`);
    requireArgument(Number.isInteger(depth) && depth >= 1 && depth <= 16, `CountMinSketch: depth must be an integer in [1, 16], not ${depth}`);
    this.width = width;
    this.depth = depth;
    this.table = new Float64Array(width * depth);
    this.slots = new Int32Array(depth);
  }

  /** Sizes a sketch for error `epsilon` (share of the total) with probability `1 − delta`. */
  static forError(epsilon: number, delta: number): CountMinSketch {
    requireArgument(epsilon > 0 && epsilon < 1 && delta > 0 && delta < 1, `CountMinSketch.forError: epsilon and delta must be in (0, 1), not ${epsilon} and ${delta}`);
    return new CountMinSketch(Math.ceil(Math.E / epsilon), Math.ceil(Math.log(1 / delta)));
  }

  private locate(key: string): void {
    // Kirsch–Mitzenmacher: depth hash functions from two
    const h1 = hash32(key, 0x9747b28c);
    const h2 = fmix32(h1 ^ 0x5bd1e995) | 1;
    for (let d = 0; d < this.depth; d++) this.slots[d] = d * this.width + ((h1 + Math.imul(d, h2)) >>> 0) % this.width;
  }

  /** Adds `count` (default 1, must be finite and ≥ 0) to `key`; returns the new estimate. */
  add(key: string, count = 1): number {
    if (!(count >= 0) || count === Infinity) return this.estimate(key);
    this.locate(key);
    let min = Infinity;
    for (let d = 0; d < this.depth; d++) min = Math.min(min, this.table[this.slots[d]!]!);
    const target = min + count / this.scale;
    for (let d = 0; d < this.depth; d++) {
      const slot = this.slots[d]!;
      if (this.table[slot]! < target) this.table[slot] = target; // conservative update
    }
    this.totalCount += count;
    return target * this.scale;
  }

  /** The estimated count of `key` (never below the true count). */
  estimate(key: string): number {
    this.locate(key);
    let min = Infinity;
    for (let d = 0; d < this.depth; d++) min = Math.min(min, this.table[this.slots[d]!]!);
    return min * this.scale;
  }

  /** Sum of every count added. */
  total(): number {
    return this.totalCount;
  }

  /** Multiplies every counter by `factor` in [0, 1] (exponential ageing between windows). */
  decay(factor: number): void {
    requireArgument(factor >= 0 && factor <= 1, `CountMinSketch.decay: factor must be in [0, 1], not ${factor}`);
    this.totalCount *= factor;
    if (factor === 0) {
      this.table.fill(0);
      this.scale = 1;
      return;
    }
    this.scale *= factor;
    if (this.scale < 1e-200) {
      for (let i = 0; i < this.table.length; i++) this.table[i]! *= this.scale;
      this.scale = 1;
    }
  }

  /** Bytes held by the counters. */
  byteSize(): number {
    return this.table.byteLength;
  }
}
