import { requireArgument } from '../errors.js';

/** A fitted AR(p) model: xₜ − μ = Σ φᵢ (xₜ₋ᵢ − μ) + εₜ. */
export interface ArModel {
  /** Order p. */
  readonly order: number;
  /** Mean μ of the series. */
  readonly mean: number;
  /** Coefficients φ₁…φₚ. */
  readonly coefficients: readonly number[];
  /** Variance of the innovations ε. */
  readonly noiseVariance: number;
}

/**
 * Fits AR(p) by the Yule–Walker equations, solved with the Levinson–Durbin recursion in O(p²)
 * after O(n·p) autocovariances (Box & Jenkins, §7.3). The biased autocovariance estimator keeps
 * the fitted model stationary. A constant series yields φ = 0 and zero noise.
 */
export function fitAutoregressive(series: ArrayLike<number>, order: number): ArModel {
  requireArgument(Number.isInteger(order) && order >= 1, `fitAutoregressive: order must be a positive integer, not ${order}`);
  const values = Array.from(series).filter(Number.isFinite);
  requireArgument(values.length > order, `fitAutoregressive: an AR(${order}) fit needs more than ${order} finite samples, got ${values.length}`);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const r = new Float64Array(order + 1);
  for (let lag = 0; lag <= order; lag++) {
    let s = 0;
    for (let t = lag; t < n; t++) s += (values[t]! - mean) * (values[t - lag]! - mean);
    r[lag] = s / n;
  }
  if (r[0]! <= 1e-12 * Math.max(1, mean * mean)) return { order, mean, coefficients: new Array<number>(order).fill(0), noiseVariance: 0 };
  // Levinson–Durbin
  let phi = new Float64Array(order + 1);
  let error = r[0]!;
  for (let k = 1; k <= order; k++) {
    let acc = r[k]!;
    for (let j = 1; j < k; j++) acc -= phi[j]! * r[k - j]!;
    const reflection = acc / error;
    const next = new Float64Array(order + 1);
    next[k] = reflection;
    for (let j = 1; j < k; j++) next[j] = phi[j]! - reflection * phi[k - j]!;
    phi = next;
    error *= 1 - reflection * reflection;
  }
  return { order, mean, coefficients: Array.from(phi.subarray(1)), noiseVariance: Math.max(0, error) };
}

/**
 * Forecasts `steps` values after `history` (most recent last) with a fitted model; each forecast
 * feeds the next. Returns the forecasts and their standard errors (from the ψ-weights).
 */
export function forecastAutoregressive(model: ArModel, history: ArrayLike<number>, steps: number): { mean: number[]; stdError: number[] } {
  const p = model.order;
  const window = Array.from(history).slice(-p).map((v) => v - model.mean);
  while (window.length < p) window.unshift(0);
  const mean: number[] = [];
  for (let h = 0; h < steps; h++) {
    let next = 0;
    for (let i = 0; i < p; i++) next += model.coefficients[i]! * window[window.length - 1 - i]!;
    window.push(next);
    mean.push(next + model.mean);
  }
  // ψ-weights: ψ₀ = 1, ψⱼ = Σ φᵢ ψⱼ₋ᵢ; Var(e_h) = σ² Σ_{j<h} ψⱼ²
  const psi = [1];
  const stdError: number[] = [];
  let acc = 0;
  for (let h = 0; h < steps; h++) {
    acc += psi[h]! * psi[h]!;
    stdError.push(Math.sqrt(model.noiseVariance * acc));
    let next = 0;
    for (let i = 1; i <= Math.min(p, h + 1); i++) next += model.coefficients[i - 1]! * psi[h + 1 - i]!;
    psi.push(next);
  }
  return { mean, stdError };
}
