/** DNS names in wire format (RFC 1035 §3.1): length-prefixed labels ending with the root byte. */
import { EbpfError, EbpfErrorCode } from '../errors.js';

/**
 * Encodes a name (`www.example.com`, trailing dot optional) as lower-case wire format. Throws
 * `E_DATAPATH_ARGUMENT` for an empty label, a label over 63 bytes, or a name over 255 bytes.
 */
export function encodeDnsName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = trimmed === '' ? [] : trimmed.toLowerCase().split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length === 0 || bytes.length > 63) {
      throw new EbpfError(EbpfErrorCode.DatapathArgument, `'${name}' is not a DNS name: every label must be 1 to 63 bytes`);
    }
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new EbpfError(EbpfErrorCode.DatapathArgument, `'${name}' is not a DNS name: it is longer than 255 bytes`);
  return wire;
}

/** Decodes `length` bytes of uncompressed wire format into a dotted name without trailing dot. */
export function decodeDnsName(wire: Uint8Array, offset = 0, length = wire.length - offset): string {
  const labels: string[] = [];
  let pos = offset;
  const end = offset + length;
  while (pos < end) {
    const n = wire[pos] ?? 0;
    if (n === 0 || n > 63 || pos + 1 + n > end) break;
    labels.push(Buffer.from(wire.subarray(pos + 1, pos + 1 + n)).toString('latin1'));
    pos += 1 + n;
  }
  return labels.join('.');
}
