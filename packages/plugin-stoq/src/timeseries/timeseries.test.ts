import { createRandom } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { fitAutoregressive, forecastAutoregressive } from './autoregressive.js';
import { Cusum, PageHinkley } from './change-point.js';
import { HoltWinters } from './holt-winters.js';

describe('change points', () => {
  it.each([
    ['CUSUM', () => new Cusum(0.5, 8)],
    ['Page-Hinkley', () => new PageHinkley(0.5, 12)],
  ])('%s stays quiet on noise and finds a 2σ shift quickly, in the right direction', (_name, make) => {
    const random = createRandom('cp');
    const detector = make();
    let falseAlarms = 0;
    for (let i = 0; i < 2000; i++) if (detector.update(random.normal(100, 5)).alarm) falseAlarms++;
    expect(falseAlarms).toBe(0);
    let delay = -1;
    for (let i = 0; i < 100; i++) {
      const state = detector.update(random.normal(110, 5));
      if (state.alarm) {
        expect(state.direction).toBe('up');
        delay = i + 1;
        break;
      }
    }
    console.log(`${_name}: 2σ shift detected after ${delay} samples`);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(15);
  });

  it('detects a drop as down, and ignores non-finite samples', () => {
    const cusum = new Cusum(0.5, 5, { warmup: 10, minStd: 1, minRelativeStd: 0 });
    for (let i = 0; i < 20; i++) cusum.update(50 + (i % 2));
    expect(cusum.update(Number.NaN).alarm).toBe(false);
    let state;
    for (let i = 0; i < 10 && !(state = cusum.update(40)).alarm; i++);
    expect(state?.direction).toBe('down');
    expect(cusum.warmingUp()).toBe(true); // re-learns after an alarm
  });
});

describe('Holt-Winters', () => {
  it('learns a daily profile: forecasts within noise, and standardised errors stay small', () => {
    const period = 48;
    const hw = new HoltWinters({ period, alpha: 0.1, beta: 0.01, gamma: 0.2 });
    const random = createRandom('hw');
    const value = (t: number) => 100 + 40 * Math.sin((2 * Math.PI * t) / period) + random.normal(0, 2);
    let worst = 0;
    for (let t = 0; t < period * 6; t++) {
      const step = hw.update(value(t));
      if (t > period * 3) worst = Math.max(worst, Math.abs(step.z));
    }
    expect(hw.ready()).toBe(true);
    expect(Math.abs(hw.forecast(1) - (100 + 40 * Math.sin((2 * Math.PI * (period * 6)) / period)))).toBeLessThan(8);
    expect(worst).toBeLessThan(5);
    const jump = hw.update(value(period * 6) + 60);
    expect(jump.z).toBeGreaterThan(8);
    expect(hw.components().seasonal).toHaveLength(period);
  });

  it('rejects nonsense parameters', () => {
    expect(() => new HoltWinters({ period: 1, alpha: 0.1, beta: 0, gamma: 0.1 })).toThrow(/period must be an integer ≥ 2/);
    expect(() => new HoltWinters({ period: 10, alpha: 1.5, beta: 0, gamma: 0.1 })).toThrow(/alpha must be in \(0, 1\)/);
  });
});

describe('AR(p) by Yule-Walker', () => {
  it('recovers the coefficients of a simulated AR(2) process and forecasts it', () => {
    const random = createRandom('ar');
    const phi = [0.6, -0.3];
    const x = [0, 0];
    for (let t = 2; t < 20_000; t++) x.push(phi[0]! * x[t - 1]! + phi[1]! * x[t - 2]! + random.normal(0, 1));
    const series = x.map((v) => v + 50);
    const model = fitAutoregressive(series, 2);
    expect(model.coefficients[0]).toBeCloseTo(0.6, 1);
    expect(model.coefficients[1]).toBeCloseTo(-0.3, 1);
    expect(model.noiseVariance).toBeCloseTo(1, 1);
    expect(model.mean).toBeCloseTo(50, 0);
    const f = forecastAutoregressive(model, series, 20);
    expect(f.mean[19]).toBeCloseTo(model.mean, 0); // a stationary forecast returns to the mean
    expect(f.stdError[0]).toBeCloseTo(Math.sqrt(model.noiseVariance), 5);
    expect(f.stdError[19]!).toBeGreaterThan(f.stdError[0]!);
  });

  it('handles constant series and refuses too-short ones', () => {
    expect(fitAutoregressive([5, 5, 5, 5, 5], 2).coefficients).toEqual([0, 0]);
    expect(() => fitAutoregressive([1, 2], 3)).toThrow(/needs more than 3 finite samples/);
  });
});
