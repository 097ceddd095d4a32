import { createRandom } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { StoqError } from '../errors.js';
import { CountMinSketch } from './count-min.js';
import { HyperLogLog } from './hyperloglog.js';
import { SpaceSaving } from './space-saving.js';

/** A Zipf-like stream: key i with weight ∝ 1/(i+1). */
function zipf(seed: string, keys: number, n: number): { stream: string[]; truth: Map<string, number> } {
  const random = createRandom(seed);
  const weights = Array.from({ length: keys }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((acc, w) => (cumulative.push(acc + w / total), acc + w / total), 0);
  const stream: string[] = [];
  const truth = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const u = random.next();
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    const key = `k${lo}`;
    stream.push(key);
    truth.set(key, (truth.get(key) ?? 0) + 1);
  }
  return { stream, truth };
}

describe('count-min sketch', () => {
  it('never undercounts and stays within εN of the truth', () => {
    const { stream, truth } = zipf('cms', 5000, 100_000);
    const cms = CountMinSketch.forError(0.001, 0.01);
    for (const key of stream) cms.add(key);
    let worst = 0;
    for (const [key, n] of truth) {
      const estimate = cms.estimate(key);
      expect(estimate).toBeGreaterThanOrEqual(n);
      worst = Math.max(worst, estimate - n);
    }
    expect(worst).toBeLessThanOrEqual(0.001 * stream.length);
    expect(cms.total()).toBe(stream.length);
  });

  it('decays in O(1) and keeps proportions; ignores negative and non-finite counts', () => {
    const cms = new CountMinSketch(1024, 4);
    cms.add('a', 100);
    cms.add('b', 10);
    cms.decay(0.5);
    expect(cms.estimate('a')).toBeCloseTo(50);
    expect(cms.estimate('b')).toBeCloseTo(5);
    cms.add('a', Number.NaN);
    cms.add('a', -5);
    cms.add('a', Number.POSITIVE_INFINITY);
    expect(cms.estimate('a')).toBeCloseTo(50);
    for (let i = 0; i < 2000; i++) cms.decay(0.5); // forces the renormalisation path
    expect(cms.estimate('a')).toBe(0);
    cms.add('a', 3);
    expect(cms.estimate('a')).toBeCloseTo(3);
  });

  it('rejects impossible sizes with a typed error', () => {
    expect(() => new CountMinSketch(0, 4)).toThrow(StoqError);
    expect(() => CountMinSketch.forError(2, 0.1)).toThrow(/epsilon and delta must be in \(0, 1\)/);
  });
});

describe('space-saving top-k', () => {
  it('finds the heavy hitters of a skewed stream with bounded error', () => {
    const { stream, truth } = zipf('ss', 10_000, 200_000);
    const top = new SpaceSaving(100);
    for (const key of stream) top.add(key);
    const found = top.top(10);
    const expected = [...truth].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k]) => k);
    expect(found.map((h) => h.key)).toEqual(expected);
    for (const h of found) {
      expect(h.count).toBeGreaterThanOrEqual(truth.get(h.key)!);
      expect(h.count - h.error).toBeLessThanOrEqual(truth.get(h.key)!);
    }
    expect(top.size()).toBe(100);
  });
});

describe('HyperLogLog', () => {
  it.each([100, 10_000, 1_000_000])('estimates %i distinct keys within 4 standard errors', (n) => {
    const hll = new HyperLogLog(12);
    for (let i = 0; i < n; i++) hll.add(`name-${i}.example`);
    for (let i = 0; i < n; i += 3) hll.add(`name-${i}.example`); // repeats change nothing
    const error = Math.abs(hll.count() - n) / n;
    expect(error).toBeLessThan(4 * (1.04 / Math.sqrt(4096)));
  });

  it('merges and counts unions', () => {
    const a = new HyperLogLog(10);
    const b = new HyperLogLog(10);
    for (let i = 0; i < 5000; i++) a.add(`x${i}`);
    for (let i = 2500; i < 7500; i++) b.add(`x${i}`);
    a.merge(b);
    expect(Math.abs(a.count() - 7500) / 7500).toBeLessThan(0.13);
    expect(() => a.merge(new HyperLogLog(11))).toThrow(/precisions differ/);
  });
});
