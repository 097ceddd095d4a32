/** IPv4 and IPv6 addresses between text and the octets of A/AAAA RDATA. */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Writes an IPv4 address into `out` at `offset`; false when the text is not an IPv4 address. */
export function writeIpv4(text: string, out: Uint8Array, offset: number): boolean {
  // the common case without a regular expression: four decimal octets, no leading zeros
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46 && digits > 0 && part < 4) {
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** The regular-expression form of {@link writeIpv4}, kept as its specification for tests. */
export function writeIpv4Strict(text: string, out: Uint8Array, offset: number): boolean {
  const m = IPV4.exec(text);
  if (m === null) return false;
  out[offset] = Number(m[1]);
  out[offset + 1] = Number(m[2]);
  out[offset + 2] = Number(m[3]);
  out[offset + 3] = Number(m[4]);
  return true;
}

/** Writes an IPv6 address (RFC 4291 text, embedded IPv4 allowed) into `out`; false when invalid. */
export function writeIpv6(text: string, out: Uint8Array, offset: number): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = new Uint8Array(4);
        if (!writeIpv4(piece, v4, 0)) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return false;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return false;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[offset + 2 * i] = all[i]! >> 8;
    out[offset + 2 * i + 1] = all[i]! & 0xff;
  }
  return true;
}

/** The dotted-quad text of 4 octets. */
export function ipv4Text(buf: Uint8Array, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** The canonical text (RFC 5952) of 16 octets. */
export function ipv6Text(buf: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((buf[offset + 2 * i]! << 8) | buf[offset + 2 * i + 1]!);
  // the longest run of two or more zero groups becomes '::' (the first one on a tie)
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Canonical text of an address given as text, or undefined when it is not an IP address. */
export function canonicalAddress(text: string): { family: 4 | 6; text: string } | undefined {
  const bytes = new Uint8Array(16);
  if (writeIpv4(text, bytes, 0)) return { family: 4, text: ipv4Text(bytes, 0) };
  if (writeIpv6(text, bytes, 0)) return { family: 6, text: ipv6Text(bytes, 0) };
  return undefined;
}
