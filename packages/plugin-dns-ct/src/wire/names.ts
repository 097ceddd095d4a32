/**
 * Domain names between their wire form (RFC 1035 §3.1, §4.1.4) and the presentation form the rest
 * of the package uses: lower-case ASCII, no trailing dot, the root as `''`, and bytes that cannot
 * appear literally escaped as in master files (`\.`, `\\`, `\DDD`).
 */

/** Raised by the wire readers for a malformed message; the server answers FORMERR. */
export class WireFormatError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WireFormatError';
  }
}

/** The longest name on the wire, length octets included (RFC 1035 §2.3.4). */
export const MAX_NAME_WIRE = 255;
/** The longest label (RFC 1035 §2.3.4). */
export const MAX_LABEL = 63;

// Which bytes need a backslash (or \DDD) in presentation form; A-Z are lower-cased instead.
const PLAIN = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) PLAIN[c] = 1;
for (const c of '.\\"();@$') PLAIN[c.charCodeAt(0)] = 2;

/** Where a name ended on the wire, and the name; reused to avoid an allocation per name. */
export interface NameCursor {
  name: string;
  /** Offset just after the name where it was read (after the first pointer, if any). */
  next: number;
  /** Length of the name in uncompressed wire form. */
  wireLength: number;
}

function labelText(buf: Buffer, start: number, end: number): string {
  let simple = true;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (PLAIN[c] !== 1) {
      simple = false;
      break;
    }
  }
  if (simple) return buf.toString('latin1', start, end).toLowerCase();
  let out = '';
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    const kind = PLAIN[c];
    if (kind === 1) out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
    else if (kind === 2) out += `\\${String.fromCharCode(c)}`;
    else out += `\\${c.toString().padStart(3, '0')}`;
  }
  return out;
}

/**
 * Reads a possibly compressed name at `offset` of `buf` (message bounds `[0, end)`). Pointers must
 * point strictly backwards, which rules out loops, and the name must fit 255 octets.
 */
export function readName(buf: Buffer, offset: number, end: number, cursor: NameCursor): NameCursor {
  let name = '';
  let pos = offset;
  let next = -1;
  let wireLength = 1;
  let limit = offset; // a pointer must land before the name part that contains it
  for (let hops = 0; ; ) {
    if (pos >= end) throw new WireFormatError('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) {
      pos += 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) throw new WireFormatError('compression pointer runs past the end of the message');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (next < 0) next = pos + 2;
      if (target >= limit || ++hops > 126) throw new WireFormatError('compression pointer does not point backwards (loop)');
      limit = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new WireFormatError(`label type 0x${kind.toString(16)} is not supported`);
    if (pos + 1 + len > end) throw new WireFormatError('label runs past the end of the message');
    wireLength += len + 1;
    if (wireLength > MAX_NAME_WIRE) throw new WireFormatError('name is longer than 255 octets');
    const label = labelText(buf, pos + 1, pos + 1 + len);
    name = name.length === 0 ? label : `${name}.${label}`;
    pos += 1 + len;
  }
  cursor.name = name;
  cursor.next = next < 0 ? pos : next;
  cursor.wireLength = wireLength;
  return cursor;
}

/** A fresh cursor for {@link readName}. */
export function nameCursor(): NameCursor {
  return { name: '', next: 0, wireLength: 0 };
}

/**
 * Splits a presentation name into raw labels (binary strings, one char per octet) and their
 * presentation suffixes (the compression keys). Throws a `WireFormatError` for names that do
 * not fit the wire limits.
 */
export function nameLabels(name: string): NameLabels {
  let known = LABELS.get(name);
  if (known === undefined) {
    known = splitName(name);
    if (LABELS.size >= 4096) LABELS.clear();
    LABELS.set(name, known);
  }
  return known;
}

/** The labels of a name and the suffix that starts at each (see {@link nameLabels}). */
export interface NameLabels {
  readonly labels: readonly string[];
  readonly suffixes: readonly string[];
}

// Hot names are encoded over and over: remember their split (a bounded memo, dropped when full).
const LABELS = new Map<string, NameLabels>();

function splitName(name: string): NameLabels {
  if (name.length === 0) return { labels: [], suffixes: [] };
  let labels: string[];
  if (name.indexOf('\\') < 0) {
    labels = name.split('.');
  } else {
    labels = [];
    let label = '';
    for (let i = 0; i < name.length; i++) {
      const ch = name[i]!;
      if (ch === '.') {
        labels.push(label);
        label = '';
      } else if (ch === '\\') {
        const digits = /^\d{3}/.exec(name.slice(i + 1, i + 4));
        if (digits !== null) {
          const code = Number(digits[0]);
          if (code > 255) throw new WireFormatError(`escape \\${digits[0]} in '${name}' is not an octet`);
          label += String.fromCharCode(code);
          i += 3;
        } else if (i + 1 < name.length) {
          label += name[++i];
        } else {
          throw new WireFormatError(`name '${name}' ends with a lone backslash`);
        }
      } else {
        label += ch;
      }
    }
    labels.push(label);
  }
  let total = 1;
  for (const label of labels) {
    if (label.length === 0) throw new WireFormatError(`name '${name}' has an empty label`);
    if (label.length > MAX_LABEL) throw new WireFormatError(`a label of '${name}' is longer than 63 octets`);
    total += label.length + 1;
  }
  if (total > MAX_NAME_WIRE) throw new WireFormatError(`name '${name}' is longer than 255 octets on the wire`);
  const suffixes: string[] = new Array(labels.length);
  // suffix i runs from label i to the end: walk the unescaped dots from the right
  for (let i = labels.length - 1, cut = name.length; i >= 0; i--) {
    const dot = i === 0 ? -1 : unescapedDotBefore(name, cut);
    suffixes[i] = name.slice(dot + 1);
    cut = dot;
  }
  return { labels, suffixes };
}

function unescapedDotBefore(name: string, end: number): number {
  for (let i = end - 1; i >= 0; i--) {
    if (name[i] !== '.') continue;
    let backslashes = 0;
    for (let j = i - 1; j >= 0 && name[j] === '\\'; j--) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return -1;
}

/**
 * Brings a name from user input to presentation form: lower-case, no trailing dot. Returns
 * undefined for names that cannot be on the wire.
 */
export function normalizeName(input: string): string | undefined {
  let name = input.trim();
  if (name === '.' || name === '') return '';
  if (name.endsWith('.') && !name.endsWith('\\.')) name = name.slice(0, -1);
  name = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  try {
    nameLabels(name);
  } catch {
    return undefined;
  }
  return name;
}

/** True when `name` equals `domain` or lies below it (both in presentation form). */
export function isSubdomain(name: string, domain: string): boolean {
  if (domain.length === 0) return true;
  return name === domain || (name.length > domain.length && name.endsWith(domain) && name[name.length - domain.length - 1] === '.');
}
