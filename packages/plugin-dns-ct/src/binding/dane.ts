import { createHash, X509Certificate } from 'node:crypto';
import type { TlsaData } from '@hypermesh/runtime';
import type { PresentedCertificate } from './fetch-certificate.js';

/** The data a TLSA record's selector picks from a certificate (RFC 6698 §2.1.2). */
function selected(der: Uint8Array, selector: number): Buffer | undefined {
  if (selector === 0) return Buffer.from(der);
  if (selector === 1) return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return undefined;
}

/** The association data a TLSA record's matching type compares (RFC 6698 §2.1.3). */
function matched(data: Buffer, matchingType: number): Buffer | undefined {
  if (matchingType === 0) return data;
  if (matchingType === 1) return createHash('sha256').update(data).digest();
  if (matchingType === 2) return createHash('sha512').update(data).digest();
  return undefined;
}

/**
 * True when one TLSA record matches the presented chain: usages 1 and 3 (end entity) against the
 * leaf, usages 0 and 2 (trust anchor) against any certificate of the chain (RFC 6698 §2.1.1).
 */
export function tlsaMatches(records: readonly TlsaData[], presented: PresentedCertificate): boolean {
  const all = [presented.certificate, ...presented.chain];
  return records.some((r) => {
    const candidates = r.usage === 1 || r.usage === 3 ? [presented.certificate] : r.usage === 0 || r.usage === 2 ? all : [];
    return candidates.some((der) => {
      const data = selected(der, r.selector);
      const digest = data === undefined ? undefined : matched(data, r.matchingType);
      return digest !== undefined && Buffer.from(r.certificate).equals(digest);
    });
  });
}
