import { DerError } from './der.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every `CERTIFICATE` block of a PEM text, as DER, in order. */
export function pemCertificates(pem: string): Uint8Array[] {
  return pemBlocks(pem, 'CERTIFICATE');
}

/** The DER contents of every PEM block with the given label (RFC 7468). */
export function pemBlocks(pem: string, label: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const match of pem.matchAll(PEM_BLOCK)) {
    if (match[1] === label) out.push(new Uint8Array(Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/** A certificate given as PEM text or DER bytes, as DER; PEM must hold exactly one certificate. */
export function toDer(input: string | Uint8Array): Uint8Array {
  if (typeof input !== 'string') return input;
  const blocks = pemCertificates(input);
  if (blocks.length !== 1) throw new DerError(`expected one PEM CERTIFICATE block, found ${blocks.length}`);
  return blocks[0]!;
}

/** Encodes DER as a PEM block with 64-column lines. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
