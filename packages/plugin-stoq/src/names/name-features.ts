import type { CharModel } from './char-model.js';
import type { ParsedName } from './dns-name.js';
import { distinctChars, shannonEntropy } from './entropy.js';
import type { FragmentSet } from './fragment-set.js';
import { nameParts } from './suffix.js';

/** One feature of a name: its id (used in explanations) and what it measures. */
export interface NameFeature {
  /** Stable id, e.g. `primary_entropy`. */
  readonly id: string;
  /** What it measures, as a phrase for explanations. */
  readonly describes: string;
  /**
   * How the DGA score may depend on it: `1` never decreases as the feature grows, `-1` never
   * increases, `0` free. Constraints encode what is evidence of a generated name (improbable
   * characters, rare suffixes) so the model cannot learn family quirks that point the other way.
   */
  readonly monotone: -1 | 0 | 1;
}

/**
 * The features of a name, in vector order. "Primary" is the registrable label (left of the public
 * suffix: `example` in `www.example.co.uk`, `host` in `host.ddns.net`) — the label a DGA generates.
 */
export const NAME_FEATURES: readonly NameFeature[] = [
  { id: 'primary_length', describes: 'length of the registrable label', monotone: 0 },
  { id: 'primary_entropy', describes: 'character entropy of the registrable label (bits/char)', monotone: 1 },
  { id: 'primary_likelihood', describes: 'mean log2-probability of the registrable label under the benign-name model', monotone: -1 },
  { id: 'primary_worst_trigrams', describes: 'mean log2-probability of its three least likely character transitions', monotone: -1 },
  { id: 'primary_unseen_trigrams', describes: 'share of its character trigrams never seen in benign names', monotone: 1 },
  { id: 'primary_vowel_ratio', describes: 'share of vowels among its letters', monotone: 0 },
  { id: 'primary_digit_ratio', describes: 'share of digits in it', monotone: 1 },
  { id: 'primary_consonant_run', describes: 'its longest run of consonants', monotone: 1 },
  { id: 'primary_distinct_ratio', describes: 'distinct characters per character', monotone: 0 },
  { id: 'primary_letter_digit_switches', describes: 'switches between letters and digits per character', monotone: 1 },
  { id: 'primary_hyphens', describes: 'hyphens in it', monotone: 0 },
  { id: 'primary_bits', describes: 'its total surprisal under the benign-name model (bits)', monotone: 1 },
  { id: 'suffix_popularity', describes: 'how common its public suffix is among benign names (log10 share)', monotone: -1 },
  { id: 'suffix_labels', describes: 'labels in the public suffix', monotone: 0 },
  { id: 'dynamic_dns', describes: 'whether the parent is a dynamic-DNS service', monotone: 1 },
  { id: 'primary_known_fragments', describes: 'share of its characters covered by 4-character fragments common in benign names', monotone: -1 },
];

/** Number of features. */
export const NAME_FEATURE_COUNT = NAME_FEATURES.length;

/** What feature extraction needs besides the name. */
export interface FeatureContext {
  /** The benign character model. */
  readonly chars: CharModel;
  /** log10 share of each public suffix among benign names. */
  readonly suffixPopularity: ReadonlyMap<string, number>;
  /** The value for a suffix never seen among benign names. */
  readonly unknownSuffix: number;
  /** 4-character fragments seen in at least two benign labels. */
  readonly fragments: FragmentSet;
  /** Top-level labels of benign names. */
  readonly topLevel: ReadonlySet<string>;
}

const VOWELS = new Uint8Array(256);
for (const c of 'aeiouy') VOWELS[c.charCodeAt(0)] = 1;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLetter = (c: number) => c >= 0x61 && c <= 0x7a;

/** Writes the features of `name` into `out` (length ≥ {@link NAME_FEATURE_COUNT}). */
export function extractNameFeatures(name: ParsedName, context: FeatureContext, out: Float64Array): Float64Array {
  const labels = name.labels;
  const parts = nameParts(labels);
  const primary = parts.primary >= 0 ? labels[parts.primary]! : '';
  writePrimary(primary, context, out);
  const suffix = parts.suffixLabels === 1 ? labels[labels.length - 1]! : labels.slice(labels.length - parts.suffixLabels).join('.');
  out[12] = context.suffixPopularity.get(suffix) ?? context.unknownSuffix;
  out[13] = parts.suffixLabels;
  out[14] = parts.dynamicDns ? 1 : 0;
  out[15] = fragmentCoverage(primary, context.fragments);
  return out;
}

function writePrimary(primary: string, context: FeatureContext, out: Float64Array): void {
  const n = primary.length;
  let vowels = 0;
  let letters = 0;
  let digits = 0;
  let hyphens = 0;
  let run = 0;
  let longestRun = 0;
  let switches = 0;
  let previousKind = 0; // 1 letter, 2 digit
  for (let i = 0; i < n; i++) {
    const c = primary.charCodeAt(i);
    const kind = isLetter(c) ? 1 : isDigit(c) ? 2 : 0;
    if (kind === 1) {
      letters++;
      if (VOWELS[c] === 1) {
        vowels++;
        run = 0;
      } else if (++run > longestRun) longestRun = run;
    } else {
      run = 0;
      if (kind === 2) digits++;
      else if (c === 0x2d) hyphens++;
    }
    if (kind !== 0 && previousKind !== 0 && kind !== previousKind) switches++;
    if (kind !== 0) previousKind = kind;
  }
  const s = context.chars.score(primary);
  out[0] = n;
  out[1] = shannonEntropy(primary);
  out[2] = n > 0 ? s.meanLog2 : 0;
  out[3] = n > 0 ? s.worstLog2 : 0;
  out[4] = n > 0 ? s.unseen : 0;
  out[5] = letters > 0 ? vowels / letters : 0;
  out[6] = n > 0 ? digits / n : 0;
  out[7] = longestRun;
  out[8] = n > 0 ? distinctChars(primary) / n : 0;
  out[9] = n > 0 ? switches / n : 0;
  out[10] = hyphens;
  out[11] = n > 0 ? -s.meanLog2 * (n + 1) : 0;
}

/** Share of the characters of `label` inside some 4-character fragment of the set. */
function fragmentCoverage(label: string, fragments: FragmentSet): number {
  if (label.length < 4) return 1;
  let covered = 0;
  let until = -1; // last index covered so far
  for (let i = 0; i + 4 <= label.length; i++) {
    if (!fragments.hasAt(label, i)) continue;
    covered += Math.min(4, i + 4 - 1 - until);
    until = i + 3;
  }
  return covered / label.length;
}
