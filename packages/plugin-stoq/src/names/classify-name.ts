import type { ThreatReason } from '@hypermesh/runtime';
import { StoqError, StoqErrorCode } from '../errors.js';
import defaultModelJson from './default-model.json' with { type: 'json' };
import { parseDnsName, type ParsedName } from './dns-name.js';
import { extractNameFeatures, NAME_FEATURE_COUNT, NAME_FEATURES } from './name-features.js';
import { loadNameModel, type NameModel, type NameModelJson } from './name-model.js';
import { payloadStats, tunnelStrength, type PayloadStats } from './payload.js';

/** The verdict on one name. */
export interface NameVerdict {
  /** What the name looks like. */
  readonly label: 'benign' | 'dga' | 'tunnel';
  /**
   * How malicious it looks, in [0, 1]; 0.5 is the model's decision threshold (chosen for a 0.1 %
   * benign false-positive rate), so `label !== 'benign'` exactly when `score >= 0.5`.
   */
  readonly score: number;
  /** The features that drove the verdict, strongest first, with their weight in [0, 1]. */
  readonly reasons: readonly ThreatReason[];
}

/** Classifies single names with one model. */
export interface NameClassifier {
  /** The model's name and version. */
  readonly modelName: string;
  /** Classifies a name in presentation form; throws `E_STOQ_NAME` for a malformed name. */
  classify(qname: string): NameVerdict;
}

/** The classifier as the engine uses it: on parsed names, without explanations on the hot path. */
export interface ParsedNameClassifier extends NameClassifier {
  /** Classifies a parsed name, with explanations. */
  classifyParsed(name: ParsedName): NameVerdict;
  /**
   * The verdict without explanations, for the per-packet path: writes nothing but scratch space
   * and returns the label; the score of the last call is in {@link NameClassifier.lastScore}.
   */
  labelParsed(name: ParsedName): NameVerdict['label'];
  /** The score of the last `labelParsed` or `combine` call. */
  lastScore(): number;
  /** The DGA part alone: the calibrated score (0.5 = threshold) of the registrable label and suffix. */
  dgaScore(name: ParsedName): number;
  /**
   * The verdict from the two parts (what `labelParsed` does), for callers that cache the DGA part
   * per registrable domain — it depends on nothing else.
   */
  combine(tunnelStrength: number, dgaScore: number): NameVerdict['label'];
}

const MAX_REASONS = 4;

/**
 * Creates a classifier from a model written by `trainNameModel` (e.g. one retrained on your own
 * labelled names). Throws `E_STOQ_MODEL` when `json` is not such a model.
 */
export function createNameClassifier(json: NameModelJson): NameClassifier {
  let model: NameModel;
  try {
    model = loadNameModel(json);
  } catch (err) {
    throw new StoqError(StoqErrorCode.ModelInvalid, `createNameClassifier: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return classifierFor(model);
}

/** A classifier over a loaded model. */
export function classifierFor(m: NameModel): ParsedNameClassifier {
  const x = new Float64Array(NAME_FEATURE_COUNT);
  const contributions = new Float64Array(NAME_FEATURE_COUNT);
  const offset = Math.log(m.threshold / (1 - m.threshold));
  let score = 0;

  const dgaScore = (name: ParsedName): number => {
    extractNameFeatures(name, m.context, x);
    return 1 / (1 + Math.exp(-(m.dga.margin(x) - offset)));
  };
  const tunnelOf = (name: ParsedName): number => tunnelStrength(payloadStats(name, m.context), m.tunnel);
  const combine = (tunnel: number, dga: number): NameVerdict['label'] => {
    if (tunnel >= 1) {
      score = 1 - 0.5 / tunnel;
      return 'tunnel';
    }
    score = Math.max(dga, tunnel / 2);
    return score >= 0.5 ? 'dga' : 'benign';
  };
  const labelParsed = (name: ParsedName): NameVerdict['label'] => {
    const tunnel = tunnelOf(name);
    return combine(tunnel, tunnel >= 1 ? 0 : dgaScore(name));
  };

  const classifyParsed = (name: ParsedName): NameVerdict => {
    const label = labelParsed(name);
    if (label === 'tunnel') return { label, score, reasons: explainTunnel(m, payloadStats(name, m.context)) };
    m.dga.contributions(x, contributions);
    return { label, score, reasons: explain(m, x, contributions, label === 'dga') };
  };

  return {
    modelName: m.name,
    classify(qname) {
      const parsed = parseDnsName(qname);
      if (!parsed.ok) {
        throw new StoqError(StoqErrorCode.InvalidName, `classifyName: ${JSON.stringify(String(qname).slice(0, 80))} is not a DNS name: ${parsed.reason}`);
      }
      return classifyParsed(parsed);
    },
    classifyParsed,
    labelParsed,
    lastScore: () => score,
    dgaScore,
    combine,
  };
}

function explainTunnel(m: NameModel, stats: PayloadStats): ThreatReason[] {
  const byBits = stats.bits / m.tunnel.minBits;
  const byRate = stats.longestLabel >= m.tunnel.minLabel ? stats.perChar / m.tunnel.minPerChar : 0;
  const reasons: ThreatReason[] = [
    {
      feature: 'payload_bits',
      value: round(stats.bits),
      threshold: m.tunnel.minBits,
      weight: round(byBits / (byBits + byRate)),
      explanation: `the labels outside the registrable domain carry ${round(stats.bits)} bits under the benign-name model; benign names carry less than ${m.tunnel.minBits}`,
    },
  ];
  if (byRate > 0) {
    reasons.push({
      feature: 'payload_bits_per_char',
      value: round(stats.perChar),
      threshold: m.tunnel.minPerChar,
      weight: round(byRate / (byBits + byRate)),
      explanation: `a ${stats.longestLabel}-character label at ${round(stats.perChar)} bits per character looks like encoded data; benign labels of ${m.tunnel.minLabel}+ characters stay below ${m.tunnel.minPerChar}`,
    });
  }
  return reasons.sort((a, b) => b.weight - a.weight);
}

function explain(m: NameModel, x: Float64Array, contributions: Float64Array, malicious: boolean): ThreatReason[] {
  const sign = malicious ? 1 : -1;
  let total = 0;
  for (let f = 0; f < NAME_FEATURE_COUNT; f++) if (sign * contributions[f]! > 0) total += sign * contributions[f]!;
  const order = Array.from({ length: NAME_FEATURE_COUNT }, (_, f) => f)
    .filter((f) => sign * contributions[f]! > 0)
    .sort((a, b) => sign * contributions[b]! - sign * contributions[a]!)
    .slice(0, MAX_REASONS);
  return order.map((f) => {
    const feature = NAME_FEATURES[f]!;
    const value = round(x[f]!);
    const expected = round(m.benignMedians[f]!);
    const weight = round(total > 0 ? (sign * contributions[f]!) / total : 0);
    return {
      feature: feature.id,
      value,
      threshold: expected,
      weight,
      explanation: `${feature.describes} is ${value} (benign median ${expected}); ${malicious ? 'points to a generated name' : 'looks benign'}, weight ${weight}`,
    };
  });
}

const round = (v: number) => Math.round(v * 1000) / 1000;

let defaultModel: NameModel | undefined;
let defaultClassifier: ParsedNameClassifier | undefined;

/** The model shipped in this package (trained on the labelled dev set by `scripts/train-name-model.ts`). */
export function defaultNameModel(): NameModel {
  defaultModel ??= loadNameModel(defaultModelJson as unknown as NameModelJson);
  return defaultModel;
}

/** A classifier with the shipped model. */
export function defaultNameClassifier(): ParsedNameClassifier {
  defaultClassifier ??= classifierFor(defaultNameModel());
  return defaultClassifier;
}

/**
 * Classifies one DNS name with the shipped model: `benign`, `dga` (algorithmically generated
 * domain) or `tunnel` (data encoded in the name), a score where 0.5 is the decision threshold,
 * and the features that decided it. Throws `E_STOQ_NAME` for a malformed name.
 *
 * ```ts
 * import { classifyName } from '@hypermesh/plugin-stoq';
 * const verdict = classifyName('xjwqkzpvhbmdrt.com');
 * console.log(verdict.label, verdict.score.toFixed(2), verdict.reasons[0]?.explanation);
 * ```
 */
export function classifyName(qname: string): NameVerdict {
  return defaultNameClassifier().classify(qname);
}
