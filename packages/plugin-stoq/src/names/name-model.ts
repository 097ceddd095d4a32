import { BoostedTrees, type BoostedTreesJson } from '../ml/boosted-trees.js';
import { CharModel, type CharModelJson } from './char-model.js';
import { FragmentSet } from './fragment-set.js';
import { NAME_FEATURE_COUNT, type FeatureContext } from './name-features.js';
import type { TunnelRule } from './payload.js';

/** The serialized name model: what `scripts/train-name-model.ts` writes and the package ships. */
export interface NameModelJson {
  /** Format marker. */
  readonly format: 'hypermesh-stoq-name-model/1';
  /** Name and version, reported by `modelStatus()`. */
  readonly name: string;
  /** How it was trained: data, counts, options. */
  readonly trainedOn: Readonly<Record<string, unknown>>;
  /** Benign character model. */
  readonly chars: CharModelJson;
  /** log10 share of each public suffix among benign names. */
  readonly suffixPopularity: Readonly<Record<string, number>>;
  /** Value for suffixes never seen among benign names. */
  readonly unknownSuffix: number;
  /** 4-character fragments seen in at least two benign labels. */
  readonly fragments: readonly string[];
  /** Top-level labels of benign names. */
  readonly topLevel: readonly string[];
  /** DGA vs benign: boosted trees over the name features. */
  readonly dga: BoostedTreesJson;
  /** P(DGA) at or above which a name is a DGA name (chosen for the target false-positive rate). */
  readonly threshold: number;
  /** The tunnel rule (thresholds derived from benign names). */
  readonly tunnel: TunnelRule;
  /** Median of each feature over benign names: the "expected value" quoted in explanations. */
  readonly benignMedians: readonly number[];
}

/** A loaded name model, ready to score. */
export interface NameModel {
  readonly name: string;
  readonly context: FeatureContext;
  readonly dga: BoostedTrees;
  readonly threshold: number;
  readonly tunnel: TunnelRule;
  readonly benignMedians: Float64Array;
}

/** Loads a serialized model; throws a plain Error naming the problem when it is not one. */
export function loadNameModel(json: NameModelJson): NameModel {
  if (json?.format !== 'hypermesh-stoq-name-model/1') {
    throw new Error(`not a STOQ name model (format ${JSON.stringify((json as { format?: unknown })?.format)}); retrain with scripts/train-name-model.ts`);
  }
  if (json.dga?.features !== NAME_FEATURE_COUNT) {
    throw new Error(`the name model has ${json.dga?.features} features but this version extracts ${NAME_FEATURE_COUNT}; retrain it`);
  }
  return {
    name: json.name,
    context: {
      chars: CharModel.fromJSON(json.chars),
      suffixPopularity: new Map(Object.entries(json.suffixPopularity)),
      unknownSuffix: json.unknownSuffix,
      fragments: FragmentSet.from(json.fragments),
      topLevel: new Set(json.topLevel),
    },
    dga: new BoostedTrees(json.dga),
    threshold: json.threshold,
    tunnel: { ...json.tunnel },
    benignMedians: Float64Array.from(json.benignMedians),
  };
}
