import { createRandom } from '@hypermesh/runtime';
import { BoostedTrees, trainBoostedTrees, type BoostingOptions } from '../ml/boosted-trees.js';
import { CharModelBuilder } from './char-model.js';
import { FragmentSet } from './fragment-set.js';
import { parseDnsName, type ParsedName } from './dns-name.js';
import { extractNameFeatures, NAME_FEATURE_COUNT, NAME_FEATURES, type FeatureContext } from './name-features.js';
import { loadNameModel, type NameModelJson } from './name-model.js';
import { payloadStats, tunnelStrength, type TunnelRule } from './payload.js';
import { nameParts } from './suffix.js';

/** One labelled name for training. */
export interface LabelledName {
  readonly qname: string;
  readonly label: 'benign' | 'dga' | 'tunnel';
  /** The source list, malware family or tunnelling tool. */
  readonly family: string;
}

/** Options of {@link trainNameModel}. */
export interface NameTrainingOptions {
  /** Seed of every random choice (folds, row and feature sampling). */
  readonly seed: string;
  /** Benign false-positive rate the threshold is chosen for (0.001 = 0.1 %). */
  readonly targetFalsePositiveRate: number;
  /** Folds for out-of-fold features and the threshold (malicious folds by family). */
  readonly folds: number;
  /** Tunnel thresholds are this multiple of the largest benign payload statistics. */
  readonly tunnelMargin: number;
  /** Total weight of benign rows relative to DGA rows. */
  readonly benignWeight: number;
  /** The malicious-vs-benign booster. */
  readonly boosting: Omit<BoostingOptions, 'seed'>;
  /** Name recorded in the model. */
  readonly name: string;
  /** Receives the out-of-fold DGA scores of benign and DGA rows and the threshold (for reports). */
  readonly onOutOfFold?: (scores: readonly OutOfFoldScore[], threshold: number) => void;
  /** Extra facts recorded in `trainedOn` (e.g. the data file and its digest). */
  readonly provenance?: Readonly<Record<string, unknown>>;
}

/** The defaults used for the shipped model; chosen by cross-validation over families (docs/stoq.md). */
export const DEFAULT_NAME_TRAINING: NameTrainingOptions = {
  seed: 'stoq-names-v1',
  targetFalsePositiveRate: 0.001,
  folds: 5,
  tunnelMargin: 1.1,
  benignWeight: 2,
  boosting: { trees: 150, depth: 5, learningRate: 0.15, lambda: 1, minChildWeight: 2, rowSample: 0.8, featureSample: 0.8, bins: 64 },
  name: 'stoq-names',
};

/** The score of one training row from the model of the fold that did not see it. */
export interface OutOfFoldScore {
  readonly name: ParsedName;
  readonly label: 'benign' | 'dga';
  readonly family: string;
  /** P(DGA) from the booster that did not train on this row's fold. */
  readonly score: number;
}

interface Row {
  readonly parsed: ParsedName;
  readonly label: LabelledName['label'];
  readonly family: string;
  fold: number;
}

/** Builds the benign context (character model, suffix popularity) from benign names. */
export function benignContext(names: readonly ParsedName[]): { context: FeatureContext; json: Pick<NameModelJson, 'chars' | 'suffixPopularity' | 'unknownSuffix' | 'fragments' | 'topLevel'> } {
  const chars = new CharModelBuilder();
  const suffixes = new Map<string, number>();
  const fragmentCounts = new Map<string, number>();
  const topLevel = new Set<string>();
  for (const name of names) {
    topLevel.add(name.labels[name.labels.length - 1]!);
    const parts = nameParts(name.labels);
    for (const label of name.labels.slice(0, name.labels.length - parts.suffixLabels)) {
      chars.add(label);
      const seen = new Set<string>();
      for (let i = 0; i + 4 <= label.length; i++) seen.add(label.slice(i, i + 4));
      for (const f of seen) fragmentCounts.set(f, (fragmentCounts.get(f) ?? 0) + 1);
    }
    const suffix = name.labels.slice(name.labels.length - parts.suffixLabels).join('.');
    suffixes.set(suffix, (suffixes.get(suffix) ?? 0) + 1);
  }
  const total = Math.max(1, names.length);
  const popularity: Record<string, number> = {};
  for (const [suffix, count] of [...suffixes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) popularity[suffix] = round(Math.log10(count / total));
  const unknownSuffix = round(Math.log10(0.5 / total));
  const charsJson = chars.toJSON();
  const fragments = [...fragmentCounts].filter(([, n]) => n >= 2).map(([f]) => f).sort();
  return {
    context: { chars: chars.build(), suffixPopularity: new Map(Object.entries(popularity)), unknownSuffix, fragments: FragmentSet.from(fragments), topLevel },
    json: { chars: charsJson, suffixPopularity: popularity, unknownSuffix, fragments, topLevel: [...topLevel].sort() },
  };
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * Trains the name model: benign character and suffix statistics, the tunnel rule (thresholds from
 * benign names only), and a DGA-vs-benign booster whose threshold for the target false-positive
 * rate is chosen on out-of-fold scores (benign rows in random folds, DGA rows in folds by family,
 * so the threshold reflects families the booster did not see). Tunnel rows are not used to fit
 * anything; they are scored by the rule to report its recall. Deterministic for a given seed.
 */
export function trainNameModel(data: readonly LabelledName[], options: NameTrainingOptions = DEFAULT_NAME_TRAINING): NameModelJson {
  const random = createRandom(options.seed);
  const rows: Row[] = [];
  let rejected = 0;
  for (const item of data) {
    const parsed = parseDnsName(item.qname);
    if (!parsed.ok) {
      rejected++;
      continue;
    }
    rows.push({ parsed, label: item.label, family: item.family, fold: 0 });
  }
  assignFolds(rows, options.folds, random);
  const dgaRows = rows.filter((r) => r.label !== 'tunnel');

  // Out-of-fold features: each row's features use benign statistics that did not see its fold.
  const features = new Float64Array(dgaRows.length * NAME_FEATURE_COUNT);
  for (let k = 0; k < options.folds; k++) {
    const { context } = benignContext(dgaRows.filter((r) => r.label === 'benign' && r.fold !== k).map((r) => r.parsed));
    dgaRows.forEach((r, i) => {
      if (r.fold === k) extractNameFeatures(r.parsed, context, features.subarray(i * NAME_FEATURE_COUNT, (i + 1) * NAME_FEATURE_COUNT));
    });
  }
  const weights = classWeights(dgaRows, options.benignWeight);
  const labels = Uint8Array.from(dgaRows, (r) => (r.label === 'dga' ? 1 : 0));

  // Out-of-fold DGA probabilities → the threshold for the target false-positive rate.
  const oof = new Float64Array(dgaRows.length);
  for (let k = 0; k < options.folds; k++) {
    const train = dgaRows.map((_, i) => i).filter((i) => dgaRows[i]!.fold !== k);
    const model = new BoostedTrees(trainSubset(features, labels, weights, train, { ...options.boosting, seed: `${options.seed}/fold-${k}` }));
    dgaRows.forEach((r, i) => {
      if (r.fold === k) oof[i] = model.probability(features.subarray(i * NAME_FEATURE_COUNT, (i + 1) * NAME_FEATURE_COUNT));
    });
  }
  const benignScores = dgaRows.flatMap((r, i) => (r.label === 'benign' ? [oof[i]!] : [])).sort((a, b) => a - b);
  const threshold = thresholdFor(benignScores, options.targetFalsePositiveRate);
  options.onOutOfFold?.(
    dgaRows.map((r, i) => ({ name: r.parsed, label: r.label === 'dga' ? 'dga' : 'benign', family: r.family, score: oof[i]! })),
    threshold,
  );
  const dgaModel = trainSubset(features, labels, weights, dgaRows.map((_, i) => i), { ...options.boosting, seed: `${options.seed}/dga` });

  const benign = rows.filter((r) => r.label === 'benign');
  const final = benignContext(benign.map((r) => r.parsed));
  const tunnel = tunnelRuleFor(benign.map((r) => r.parsed), final.context, options.tunnelMargin);
  const medians = medianFeatures(benign.map((r) => r.parsed), final.context);
  const recallByFamily: Record<string, number> = {};
  for (const family of new Set(dgaRows.filter((r) => r.label === 'dga').map((r) => r.family))) {
    const idx = dgaRows.flatMap((r, i) => (r.label === 'dga' && r.family === family ? [i] : []));
    recallByFamily[family] = round(idx.filter((i) => oof[i]! >= threshold).length / idx.length);
  }
  for (const family of new Set(rows.filter((r) => r.label === 'tunnel').map((r) => r.family))) {
    const names = rows.filter((r) => r.label === 'tunnel' && r.family === family);
    recallByFamily[family] = round(names.filter((r) => tunnelStrength(payloadStats(r.parsed, final.context), tunnel) >= 1).length / names.length);
  }
  const count = (label: string) => rows.filter((r) => r.label === label).length;
  const dgaCount = count('dga');
  const json: NameModelJson = {
    format: 'hypermesh-stoq-name-model/1',
    name: options.name,
    trainedOn: {
      ...options.provenance,
      rows: rows.length,
      rejected,
      benign: count('benign'),
      dga: dgaCount,
      tunnel: count('tunnel'),
      seed: options.seed,
      targetFalsePositiveRate: options.targetFalsePositiveRate,
      outOfFoldDgaRecall: round(dgaRows.filter((r, i) => r.label === 'dga' && oof[i]! >= threshold).length / Math.max(1, dgaCount)),
      outOfFoldBenignFalsePositives: benignScores.filter((v) => v >= threshold).length,
      recallByFamily,
      boosting: options.boosting,
      tunnelMargin: options.tunnelMargin,
    },
    ...final.json,
    dga: dgaModel,
    threshold: round(threshold),
    tunnel,
    benignMedians: Array.from(medians, round),
  };
  loadNameModel(json); // fails here, not in production, if the model is inconsistent
  return json;
}

/**
 * Tunnel thresholds: `margin` × the most payload bits (and bits per character, among names with a
 * label of 12 or more) any benign name carries.
 */
export function tunnelRuleFor(benign: readonly ParsedName[], context: FeatureContext, margin: number): TunnelRule {
  const minLabel = 12;
  let bits = 0;
  let perChar = 0;
  for (const name of benign) {
    const s = payloadStats(name, context);
    if (s.bits > bits) bits = s.bits;
    if (s.longestLabel >= minLabel && s.perChar > perChar) perChar = s.perChar;
  }
  return { minBits: round(bits * margin), minPerChar: round(Math.max(perChar, 1) * margin), minLabel };
}

/** Benign rows in random folds; malicious rows in folds by family (a family is never split). */
function assignFolds(rows: Row[], folds: number, random: ReturnType<typeof createRandom>): void {
  const families = [...new Set(rows.filter((r) => r.label !== 'benign').map((r) => `${r.label}/${r.family}`))].sort();
  const byFamily = new Map<string, number>();
  // tunnel tools and DGA families are dealt separately so that each fold holds out some of each
  const deal = (list: string[]) => random.shuffle(list).forEach((f, i) => byFamily.set(f, i % folds));
  deal(families.filter((f) => f.startsWith('dga/')));
  deal(families.filter((f) => !f.startsWith('dga/')));
  for (const r of rows) r.fold = r.label === 'benign' ? random.int(folds) : byFamily.get(`${r.label}/${r.family}`)!;
}

/** Equal total weight per family within each class; benign rows total `benignWeight` × malicious. */
function classWeights(rows: readonly Row[], benignWeight: number, positive: (r: Row) => boolean = (r) => r.label !== 'benign'): Float64Array {
  const perFamily = new Map<string, number>();
  for (const r of rows) perFamily.set(`${r.label}/${r.family}`, (perFamily.get(`${r.label}/${r.family}`) ?? 0) + 1);
  const posFamilies = new Set(rows.filter(positive).map((r) => `${r.label}/${r.family}`)).size || 1;
  const negFamilies = new Set(rows.filter((r) => !positive(r)).map((r) => `${r.label}/${r.family}`)).size || 1;
  const posTotal = rows.filter(positive).length;
  return Float64Array.from(rows, (r) => {
    const family = perFamily.get(`${r.label}/${r.family}`)!;
    return positive(r) ? posTotal / posFamilies / family : (benignWeight * posTotal) / negFamilies / family;
  });
}

function trainSubset(features: Float64Array, labels: Uint8Array, weights: Float64Array, index: readonly number[], options: BoostingOptions) {
  const x = new Float64Array(index.length * NAME_FEATURE_COUNT);
  const monotone = NAME_FEATURES.map((f) => f.monotone);
  index.forEach((i, j) => x.set(features.subarray(i * NAME_FEATURE_COUNT, (i + 1) * NAME_FEATURE_COUNT), j * NAME_FEATURE_COUNT));
  const y = Uint8Array.from(index, (i) => labels[i]!);
  const w = Float64Array.from(index, (i) => weights[i]!);
  // normalise weights to mean 1 so min_child_weight means "about this many rows"
  const mean = w.reduce((a, b) => a + b, 0) / Math.max(1, w.length);
  for (let j = 0; j < w.length; j++) w[j]! /= mean;
  return trainBoostedTrees(x, NAME_FEATURE_COUNT, y, { monotone, ...options }, w);
}

/** The smallest score above which at most `rate` of the (sorted) benign scores lie. */
export function thresholdFor(sortedBenign: readonly number[], rate: number): number {
  if (sortedBenign.length === 0) return 0.5;
  const allowed = Math.floor(sortedBenign.length * rate);
  const index = sortedBenign.length - 1 - allowed;
  const at = sortedBenign[Math.max(0, index)]!;
  // strictly above the highest benign score we must not flag
  const next = index + 1 < sortedBenign.length ? sortedBenign[index + 1]! : 1;
  return Math.min(1, at + Math.max(1e-6, (next - at) / 2));
}

function medianFeatures(names: readonly ParsedName[], context: FeatureContext): Float64Array {
  const columns = Array.from({ length: NAME_FEATURE_COUNT }, () => new Float64Array(names.length));
  const x = new Float64Array(NAME_FEATURE_COUNT);
  names.forEach((name, i) => {
    extractNameFeatures(name, context, x);
    for (let f = 0; f < NAME_FEATURE_COUNT; f++) columns[f]![i] = x[f]!;
  });
  return Float64Array.from(columns, (c) => c.sort()[Math.floor(c.length / 2)] ?? 0);
}
