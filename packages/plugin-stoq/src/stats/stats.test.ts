import { describe, expect, it } from 'vitest';
import { shannonEntropy } from '../names/entropy.js';
import { Ewma, RateMeter, RunningStats } from './ewma.js';
import { SlidingWindow } from './sliding-window.js';
import { WindowCounters, WindowDistinct } from './window-counters.js';

describe('moving averages and rates', () => {
  it('EWMA over irregular time forgets at the same speed whatever the sampling', () => {
    const dense = new Ewma(1000);
    const sparse = new Ewma(1000);
    dense.update(0, 0);
    sparse.update(0, 0);
    for (let t = 10; t <= 1000; t += 10) dense.update(10, t);
    sparse.update(10, 1000);
    // after one time constant both are near 10·(1 − 1/e)
    expect(sparse.value()).toBeCloseTo(10 * (1 - Math.exp(-1)), 5);
    expect(dense.value()).toBeGreaterThan(6);
    expect(dense.value()).toBeLessThan(6.6);
    expect(dense.update(Number.NaN, 2000)).toBe(dense.value());
  });

  it('a rate meter converges to the event rate and decays when events stop', () => {
    const meter = new RateMeter(10_000);
    for (let t = 0; t < 60_000; t += 20) meter.mark(t); // 50 events/s
    expect(meter.rate(60_000)).toBeGreaterThan(49);
    expect(meter.rate(60_000)).toBeLessThan(51);
    expect(meter.rate(60_000 + 10_000)).toBeCloseTo(meter.rate(60_000) / Math.E, 5);
    meter.mark(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(meter.rate(70_000))).toBe(true);
  });

  it('running statistics match the textbook values', () => {
    const s = new RunningStats();
    for (const v of [2, 4, 4, 4, 5, 5, 7, 9, Number.NaN]) s.add(v);
    expect(s.count()).toBe(8);
    expect(s.mean()).toBe(5);
    expect(s.variance()).toBeCloseTo(32 / 7);
  });
});

describe('windows', () => {
  it('a sliding window sums the last buckets only', () => {
    const w = new SlidingWindow(10_000, 10);
    for (let t = 0; t < 20_000; t += 100) w.add(t); // 10 per second
    expect(w.sum(19_999)).toBe(100);
    expect(w.sum(25_000)).toBe(40);
    expect(w.sum(100_000)).toBe(0);
    w.add(Number.NaN);
    w.add(100_000, Number.POSITIVE_INFINITY);
    expect(w.sum(100_000)).toBe(0);
    expect(w.buckets(100_000)).toHaveLength(10);
  });

  it('two-window counters approximate a sliding count', () => {
    const c = new WindowCounters(1, 60_000);
    for (let t = 0; t < 120_000; t += 1000) {
      c.roll(t);
      c.add(0);
    }
    // at 90 s: the current window holds 30, the previous 60 weighed by half
    expect(c.sliding(0, 90_000)).toBeCloseTo(60 * 0.5 + 60, 0);
    expect(c.sliding(0, 150_000)).toBeCloseTo(60 * 0.5, 0);
    expect(c.sliding(0, 500_000)).toBe(0);
  });

  it('windowed distinct counts forget keys two windows old', () => {
    const c = new WindowCounters(1, 1000);
    const d = new WindowDistinct(8);
    const at = (t: number) => {
      const r = c.roll(t);
      if (r !== 0) d.rotate(r);
    };
    at(0);
    for (let i = 0; i < 50; i++) d.add(`a${i}`);
    at(1500);
    for (let i = 0; i < 20; i++) d.add(`b${i}`);
    expect(Math.round(d.count())).toBeGreaterThanOrEqual(66);
    at(2500);
    expect(Math.round(d.count())).toBeLessThanOrEqual(21);
  });
});

describe('entropy', () => {
  it('is 0 for one symbol and log2(n) for n equally frequent ones', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aabb')).toBe(1);
  });
});
