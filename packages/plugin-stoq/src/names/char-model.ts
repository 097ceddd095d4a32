/**
 * A character trigram model of benign DNS labels: how likely each character is after the two
 * before it, in names people actually use. DGA and tunnel labels are strings such a model finds
 * improbable. Interpolated with bigram and unigram estimates (Jelinek–Mercer smoothing) so that
 * unseen trigrams still get a finite, comparable probability.
 */

/** Symbols: a–z, 0–9, `-`, `_`, any other octet, and the label boundary. */
export const SYMBOLS = 40;
const OTHER = 38;
const BOUNDARY = 39;
const TRIGRAMS = SYMBOLS * SYMBOLS * SYMBOLS;

/** The symbol of one octet of a lower-cased label. */
export function symbolOf(octet: number): number {
  if (octet >= 0x61 && octet <= 0x7a) return octet - 0x61;
  if (octet >= 0x30 && octet <= 0x39) return octet - 0x30 + 26;
  if (octet === 0x2d) return 36;
  if (octet === 0x5f) return 37;
  return OTHER;
}

/** Serialized form of the character model: sparse trigram counts. */
export interface CharModelJson {
  /** Interpolation weights of trigram, bigram and unigram estimates. */
  readonly lambdas: readonly [number, number, number];
  /** Flattened `[index, count, index, count, …]` of non-zero trigram counts. */
  readonly trigrams: readonly number[];
}

/** Statistics of one label under the model. */
export interface LabelLikelihood {
  /** Mean log2-probability per transition (including the end of the label). */
  readonly meanLog2: number;
  /** Mean of the three lowest transition log2-probabilities. */
  readonly worstLog2: number;
  /** Fraction of the label's trigrams never seen in training. */
  readonly unseen: number;
}

/** Counts trigrams of labels; {@link CharModelBuilder.build} turns them into a model. */
export class CharModelBuilder {
  private readonly counts = new Float64Array(TRIGRAMS);

  /** Adds one label (a lower-cased binary string). */
  add(label: string, weight = 1): void {
    let a = BOUNDARY;
    let b = BOUNDARY;
    for (let i = 0; i <= label.length; i++) {
      const c = i < label.length ? symbolOf(label.charCodeAt(i)) : BOUNDARY;
      this.counts[(a * SYMBOLS + b) * SYMBOLS + c]! += weight;
      a = b;
      b = c;
    }
  }

  /** The model as JSON (counts rounded to integers). */
  toJSON(lambdas: readonly [number, number, number] = [0.6, 0.3, 0.1]): CharModelJson {
    const trigrams: number[] = [];
    for (let i = 0; i < TRIGRAMS; i++) if (this.counts[i]! > 0) trigrams.push(i, Math.round(this.counts[i]!));
    return { lambdas, trigrams };
  }

  /** The trained model. */
  build(lambdas?: readonly [number, number, number]): CharModel {
    return CharModel.fromJSON(this.toJSON(lambdas));
  }
}

/** A trained trigram model with a dense table of log2-probabilities for O(1) lookups. */
export class CharModel {
  private readonly log2p: Float32Array;
  private readonly seen: Uint8Array;

  private constructor(log2p: Float32Array, seen: Uint8Array) {
    this.log2p = log2p;
    this.seen = seen;
  }

  /** Loads a model from its JSON form. */
  static fromJSON(json: CharModelJson): CharModel {
    const tri = new Float64Array(TRIGRAMS);
    for (let i = 0; i + 1 < json.trigrams.length; i += 2) tri[json.trigrams[i]!] = json.trigrams[i + 1]!;
    const bi = new Float64Array(SYMBOLS * SYMBOLS); // (b, c)
    const ctx2 = new Float64Array(SYMBOLS * SYMBOLS); // (a, b)
    const uni = new Float64Array(SYMBOLS);
    const ctx1 = new Float64Array(SYMBOLS);
    let total = 0;
    for (let i = 0; i < TRIGRAMS; i++) {
      const n = tri[i]!;
      if (n === 0) continue;
      const c = i % SYMBOLS;
      const ab = (i - c) / SYMBOLS;
      const b = ab % SYMBOLS;
      ctx2[ab]! += n;
      bi[b * SYMBOLS + c]! += n;
      ctx1[b]! += n;
      uni[c]! += n;
      total += n;
    }
    const [l3, l2, l1] = json.lambdas;
    const log2p = new Float32Array(TRIGRAMS);
    const seen = new Uint8Array(TRIGRAMS);
    for (let i = 0; i < TRIGRAMS; i++) {
      const c = i % SYMBOLS;
      const ab = (i - c) / SYMBOLS;
      const b = ab % SYMBOLS;
      const p3 = ctx2[ab]! > 0 ? tri[i]! / ctx2[ab]! : 0;
      const p2 = ctx1[b]! > 0 ? bi[b * SYMBOLS + c]! / ctx1[b]! : 0;
      const p1 = (uni[c]! + 1) / (total + SYMBOLS);
      log2p[i] = Math.log2(l3 * p3 + l2 * p2 + l1 * p1);
      seen[i] = tri[i]! > 0 ? 1 : 0;
    }
    return new CharModel(log2p, seen);
  }

  /** Likelihood statistics of one label (a lower-cased binary string). Allocation-free. */
  score(label: string): LabelLikelihood {
    let a = BOUNDARY;
    let b = BOUNDARY;
    let sum = 0;
    let unseen = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0; // the three lowest, w1 ≤ w2 ≤ w3
    let filled = 0;
    const n = label.length + 1;
    for (let i = 0; i < n; i++) {
      const c = i < label.length ? symbolOf(label.charCodeAt(i)) : BOUNDARY;
      const k = (a * SYMBOLS + b) * SYMBOLS + c;
      const lp = this.log2p[k]!;
      sum += lp;
      if (this.seen[k] === 0) unseen++;
      if (filled < 3) {
        filled++;
        if (filled === 1) w1 = lp;
        else if (filled === 2) [w1, w2] = lp < w1 ? [lp, w1] : [w1, lp];
        else if (lp < w1) [w1, w2, w3] = [lp, w1, w2];
        else if (lp < w2) [w2, w3] = [lp, w2];
        else w3 = lp;
      } else if (lp < w3) {
        if (lp < w1) [w1, w2, w3] = [lp, w1, w2];
        else if (lp < w2) [w2, w3] = [lp, w2];
        else w3 = lp;
      }
      a = b;
      b = c;
    }
    const worst = filled === 1 ? w1 : filled === 2 ? (w1 + w2) / 2 : (w1 + w2 + w3) / 3;
    return { meanLog2: sum / n, worstLog2: worst, unseen: unseen / n };
  }
}
