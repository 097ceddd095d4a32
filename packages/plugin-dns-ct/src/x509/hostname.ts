import { isIP } from 'node:net';
import type { Certificate } from './certificate.js';

const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

/**
 * True when the certificate is valid for `hostname` (RFC 6125 §6): a DNS name is compared, case
 * insensitively, with the subjectAltName dNSName entries; a wildcard matches exactly one whole
 * left-most label (`*.example.com` matches `a.example.com`, not `example.com` or `a.b.example.com`)
 * and never a bare public suffix such as `*.com`. An IP address matches only iPAddress entries.
 * The subject commonName is not consulted (RFC 6125 §6.4.4 permits it, browsers no longer do).
 */
export function matchesHostname(cert: Pick<Certificate, 'subjectAltNames'>, hostname: string): boolean {
  const ipVersion = isIP(hostname.replace(/^\[|\]$/g, ''));
  if (ipVersion !== 0) {
    const address = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return cert.subjectAltNames.some((name) => isIP(name) !== 0 && name.toLowerCase() === address);
  }
  const host = normalise(hostname);
  return cert.subjectAltNames.some((san) => isIP(san) === 0 && matchesName(normalise(san), host));
}

/** True when a (possibly wildcard) reference name from a certificate matches a host name. */
export function matchesName(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const suffix = pattern.slice(1); // ".example.com"
  if (suffix.split('.').length < 3) return false; // "*.com" names a whole TLD
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}
