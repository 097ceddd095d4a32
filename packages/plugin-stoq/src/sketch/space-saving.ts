import { requireArgument } from '../errors.js';

/** One heavy hitter: its key, estimated count, and the most the estimate can exceed the truth by. */
export interface HeavyHitter {
  readonly key: string;
  readonly count: number;
  readonly error: number;
}

/**
 * Space-Saving top-k (Metwally, Agrawal & El Abbadi, 2005): the `capacity` most frequent keys of a
 * stream in fixed memory. A key with true frequency above N/capacity is always kept; a new key
 * replaces the least counted one and inherits its count as error. Monitored keys live in a
 * min-heap indexed by a map, so an update is O(log capacity).
 */
export class SpaceSaving {
  /** Keys monitored at most. */
  readonly capacity: number;
  private readonly keys: string[] = [];
  private readonly counts: number[] = [];
  private readonly errors: number[] = [];
  private readonly index = new Map<string, number>();

  constructor(capacity = 100) {
    requireArgument(Number.isInteger(capacity) && capacity >= 1, `SpaceSaving: capacity must be a positive integer, not ${capacity}`);
    this.capacity = capacity;
  }

  /** Counts `weight` (default 1, finite and > 0) more occurrences of `key`. */
  add(key: string, weight = 1): void {
    if (!(weight > 0) || weight === Infinity) return;
    const at = this.index.get(key);
    if (at !== undefined) {
      this.counts[at]! += weight;
      this.siftDown(at);
      return;
    }
    if (this.keys.length < this.capacity) {
      this.keys.push(key);
      this.counts.push(weight);
      this.errors.push(0);
      this.index.set(key, this.keys.length - 1);
      this.siftUp(this.keys.length - 1);
      return;
    }
    // replace the minimum (the heap's root)
    this.index.delete(this.keys[0]!);
    const floor = this.counts[0]!;
    this.keys[0] = key;
    this.errors[0] = floor;
    this.counts[0] = floor + weight;
    this.index.set(key, 0);
    this.siftDown(0);
  }

  /** The estimate for `key`, or 0 when it is not monitored. */
  count(key: string): number {
    const at = this.index.get(key);
    return at === undefined ? 0 : this.counts[at]!;
  }

  /** The `limit` heaviest keys, heaviest first. */
  top(limit = this.capacity): HeavyHitter[] {
    const all = this.keys.map((key, i) => ({ key, count: this.counts[i]!, error: this.errors[i]! }));
    all.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
    return all.slice(0, Math.max(0, limit));
  }

  /** Multiplies every count by `factor` in [0, 1] (ageing between windows); the heap order is kept. */
  decay(factor: number): void {
    requireArgument(factor >= 0 && factor <= 1, `SpaceSaving.decay: factor must be in [0, 1], not ${factor}`);
    for (let i = 0; i < this.counts.length; i++) {
      this.counts[i]! *= factor;
      this.errors[i]! *= factor;
    }
  }

  /** Number of keys monitored now. */
  size(): number {
    return this.keys.length;
  }

  private swap(a: number, b: number): void {
    const key = this.keys[a]!;
    this.keys[a] = this.keys[b]!;
    this.keys[b] = key;
    const count = this.counts[a]!;
    this.counts[a] = this.counts[b]!;
    this.counts[b] = count;
    const error = this.errors[a]!;
    this.errors[a] = this.errors[b]!;
    this.errors[b] = error;
    this.index.set(this.keys[a]!, a);
    this.index.set(this.keys[b]!, b);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.counts[parent]! <= this.counts[i]!) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.counts[l]! < this.counts[m]!) m = l;
      if (r < n && this.counts[r]! < this.counts[m]!) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
