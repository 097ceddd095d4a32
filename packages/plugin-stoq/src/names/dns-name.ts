/**
 * DNS names as analytics sees them: presentation text (RFC 1035 §5.1, with `\DDD` and `\X`
 * escapes, any case, optional trailing dot) parsed into labels of octets.
 *
 * Each label is kept as a "binary string" (one char per octet, 0–255) with ASCII letters folded to
 * lower case: the DNS server lower-cases names before `dns.query`, so features computed here do
 * not depend on case and agree between the per-name API and the stream.
 */

/** A name parsed into labels. */
export interface ParsedName {
  readonly ok: true;
  /** Labels, left to right, one char per octet, ASCII letters lower-cased. */
  readonly labels: readonly string[];
  /** Length on the wire (RFC 1035 §3.1: length octets + label octets + the root octet). */
  readonly wireLength: number;
  /** Octets outside letters, digits, `-` and `_` (written escaped in presentation form). */
  readonly escapedOctets: number;
  /** Octets ≥ 0x80 (8-bit encodings such as iodine's Base128). */
  readonly highOctets: number;
  /** The name lower-cased without trailing dot, escapes preserved: a stable key for counting. */
  readonly key: string;
}

/** Why a name was rejected. */
export interface InvalidName {
  readonly ok: false;
  /** A sentence saying what is wrong. */
  readonly reason: string;
}

/** The longest name on the wire, RFC 1035 §2.3.4. */
export const MAX_WIRE_LENGTH = 255;
/** The longest label, RFC 1035 §2.3.4. */
export const MAX_LABEL_LENGTH = 63;

function isLdhOctet(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

function invalid(reason: string): InvalidName {
  return { ok: false, reason };
}

/**
 * Parses a name in presentation form. Never throws: a malformed name comes back as
 * {@link InvalidName} with the reason (empty name, empty label, label over 63 octets, name over
 * 255 octets on the wire, a bad escape). Characters above U+00FF count as their UTF-8 octets.
 */
export function parseDnsName(text: unknown): ParsedName | InvalidName {
  if (typeof text !== 'string') return invalid(`a name must be a string, not ${text === null ? 'null' : typeof text}`);
  if (text.length === 0 || text === '.') return invalid('the name is empty (the root is not a query name analytics scores)');
  return (text.length <= MAX_WIRE_LENGTH && plainName(text)) || parseEscaped(text);
}

/**
 * The common case in one pass: letters, digits, `-`, `_` and single dots only, labels of at most
 * 63 octets, an optional trailing dot. Anything else (escapes, other octets, empty labels, limits)
 * is left to the full parser, which also finds the reason.
 */
function plainName(text: string): ParsedName | undefined {
  const end = text.charCodeAt(text.length - 1) === 0x2e ? text.length - 1 : text.length;
  let labelStart = 0;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const length = i - labelStart;
      if (length === 0 || length > MAX_LABEL_LENGTH) return undefined;
      labelStart = i + 1;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f)) {
      return undefined;
    }
  }
  // wire length: one length octet per label plus the root, i.e. the text plus 2 without the trailing dot
  const wire = end + 2;
  if (wire > MAX_WIRE_LENGTH) return undefined;
  const key = (end === text.length ? text : text.slice(0, end)).toLowerCase();
  return { ok: true, labels: key.split('.'), wireLength: wire, escapedOctets: 0, highOctets: 0, key };
}

function parseEscaped(text: string): ParsedName | InvalidName {
  const labels: string[] = [];
  let label: number[] = [];
  let escaped = 0;
  let high = 0;
  let wire = 1;
  const push = (octet: number) => {
    const folded = octet >= 0x41 && octet <= 0x5a ? octet + 32 : octet;
    if (!isLdhOctet(folded)) escaped++;
    if (folded >= 0x80) high++;
    label.push(folded);
  };
  const endLabel = (): string | undefined => {
    if (label.length === 0) return 'the name has an empty label (two dots in a row or a leading dot)';
    if (label.length > MAX_LABEL_LENGTH) return `a label has ${label.length} octets; at most ${MAX_LABEL_LENGTH} are allowed`;
    labels.push(String.fromCharCode(...label));
    wire += label.length + 1;
    label = [];
    return undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const d1 = text.charCodeAt(i + 1);
      if (d1 >= 0x30 && d1 <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^\d{3}$/.test(digits) || Number(digits) > 255) return invalid(`'\\${digits}' is not a valid \\DDD escape (three decimal digits, at most 255)`);
        push(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        push(text.charCodeAt(i + 1) & 0xff);
        i += 1;
      } else {
        return invalid('the name ends with a lone backslash');
      }
    } else if (c === 0x2e) {
      if (i === text.length - 1 && label.length > 0) break; // trailing dot
      const problem = endLabel();
      if (problem !== undefined) return invalid(problem);
    } else if (c < 0x80) {
      push(c);
    } else {
      const codePoint = text.codePointAt(i)!;
      for (const octet of Buffer.from(String.fromCodePoint(codePoint), 'utf8')) push(octet);
      if (codePoint > 0xffff) i++;
    }
    if (wire + label.length > MAX_WIRE_LENGTH + 64) break; // far too long already: stop early
  }
  if (label.length > 0 || labels.length === 0) {
    const problem = endLabel();
    if (problem !== undefined) return invalid(problem);
  }
  if (wire > MAX_WIRE_LENGTH) return invalid(`the name takes ${wire} octets on the wire; at most ${MAX_WIRE_LENGTH} are allowed`);
  return { ok: true, labels, wireLength: wire, escapedOctets: escaped, highOctets: high, key: presentationKey(labels) };
}

/** Presentation form of octet labels: LDH octets as they are, everything else as `\DDD`. */
function presentationKey(labels: readonly string[]): string {
  let out = '';
  for (let l = 0; l < labels.length; l++) {
    if (l > 0) out += '.';
    const label = labels[l]!;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      out += isLdhOctet(c) ? label[i] : `\\${String(c).padStart(3, '0')}`;
    }
  }
  return out;
}
