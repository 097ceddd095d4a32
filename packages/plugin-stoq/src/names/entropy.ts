/**
 * Shannon entropy of the characters of a string, in bits per character. O(n) time, no
 * allocation: counts live in a scratch table that is cleared after use.
 */
const scratch = new Uint16Array(256);

/** Entropy (bits per character) of `text`, treating each char code's low byte as a symbol. */
export function shannonEntropy(text: string, from = 0, to = text.length): number {
  const n = to - from;
  if (n <= 0) return 0;
  for (let i = from; i < to; i++) scratch[text.charCodeAt(i) & 0xff]!++;
  let h = 0;
  for (let i = from; i < to; i++) {
    const k = text.charCodeAt(i) & 0xff;
    const c = scratch[k]!;
    if (c === 0) continue;
    const p = c / n;
    h -= p * Math.log2(p);
    scratch[k] = 0;
  }
  return h;
}

/** Number of distinct characters in `text` (low byte of each char code). */
export function distinctChars(text: string): number {
  let distinct = 0;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i) & 0xff;
    if (scratch[k] === 0) distinct++;
    scratch[k] = 1;
  }
  for (let i = 0; i < text.length; i++) scratch[text.charCodeAt(i) & 0xff] = 0;
  return distinct;
}
