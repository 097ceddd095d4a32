import { SYMBOLS, symbolOf } from './char-model.js';

const SPACE = SYMBOLS ** 4;

/**
 * A set of 4-character fragments as a bitmap over the character model's 40 symbols
 * (40⁴ bits = 320 KB): membership is four table reads and no allocation, where a `Set<string>`
 * would need a substring per test. Octets outside letters, digits, `-` and `_` share one symbol.
 */
export class FragmentSet {
  private readonly bits = new Uint8Array(Math.ceil(SPACE / 8));

  /** A set holding `fragments` (strings of 4 octets). */
  static from(fragments: Iterable<string>): FragmentSet {
    const set = new FragmentSet();
    for (const f of fragments) if (f.length === 4) set.addAt(f, 0);
    return set;
  }

  private indexAt(label: string, i: number): number {
    return ((symbolOf(label.charCodeAt(i)) * SYMBOLS + symbolOf(label.charCodeAt(i + 1))) * SYMBOLS + symbolOf(label.charCodeAt(i + 2))) * SYMBOLS + symbolOf(label.charCodeAt(i + 3));
  }

  private addAt(label: string, i: number): void {
    const k = this.indexAt(label, i);
    this.bits[k >>> 3]! |= 1 << (k & 7);
  }

  /** True when the 4 octets of `label` starting at `i` are in the set. */
  hasAt(label: string, i: number): boolean {
    const k = this.indexAt(label, i);
    return (this.bits[k >>> 3]! & (1 << (k & 7))) !== 0;
  }
}
