import { X509Certificate, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { encoded } from './der.js';
import type { Certificate } from './certificate.js';
import { Oid } from './oids.js';

/** The input of {@link validatePath}. */
export interface PathCheck {
  readonly leaf: Certificate;
  /** Certificates that may be intermediates, in any order. */
  readonly intermediates: readonly Certificate[];
  /** Trusted certificates; a path must end at one of them. */
  readonly anchors: readonly Certificate[];
  /** When validity is checked. */
  readonly at: Date;
}

/** The outcome of {@link validatePath}. */
export interface PathResult {
  readonly valid: boolean;
  /** Every reason the path is not valid, as sentences. */
  readonly problems: readonly string[];
  /** The path found, leaf first, ending with the anchor when one was reached. */
  readonly chain: readonly Certificate[];
}

const MAX_DEPTH = 10;
/** Extensions whose meaning this validator applies; any other critical extension fails the path. */
const UNDERSTOOD = new Set<string>([Oid.subjectAltName, Oid.basicConstraints, Oid.keyUsage, Oid.extKeyUsage, Oid.authorityKeyIdentifier, Oid.subjectKeyIdentifier, Oid.certificatePolicies]);

/** Digest of each signature algorithm this validator checks itself (RFC 4055, RFC 5758, RFC 8410). */
const SIGNATURE_DIGESTS: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519: no separate digest
};

/** sha1WithRSAEncryption and ecdsa-with-SHA1. */
const SHA1_SIGNATURES = new Set(['1.2.840.113549.1.1.5', '1.2.840.10045.4.1']);

/** Issuer keys by SPKI: a chain checked again does not rebuild its keys. */
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 512;

function keyOf(spki: Uint8Array): KeyObject {
  const id = Buffer.from(spki).toString('base64');
  let key = keyCache.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(id, key);
  }
  return key;
}

/** True when `issuer` is named as the certificate's issuer and its key verifies the signature. */
export function isSignedBy(cert: Certificate, issuer: Certificate): boolean {
  if (Buffer.compare(cert.issuerDer, issuer.subjectDer) !== 0) return false;
  try {
    const key = keyOf(issuer.spki);
    const digest = SIGNATURE_DIGESTS[cert.signatureAlgorithm];
    if (digest !== undefined) return verify(digest, encoded(cert.tbs), key, cert.signature);
    // Other algorithms (RSASSA-PSS with its parameters, SHA-1): let OpenSSL read them.
    return new X509Certificate(Buffer.from(cert.der)).verify(key);
  } catch {
    return false;
  }
}

/**
 * X.509 path validation in the spirit of RFC 5280 §6 for server certificates: builds a path from
 * the leaf through the intermediates to a trust anchor, checking every signature, validity period,
 * basicConstraints (cA and pathLenConstraint), keyUsage (keyCertSign on issuers; digitalSignature
 * or keyEncipherment on the leaf), extendedKeyUsage (serverAuth on the leaf) and unknown critical
 * extensions. Name constraints and policies are not processed: a critical nameConstraints fails.
 */
export function validatePath(check: PathCheck): PathResult {
  const problems: string[] = [];
  const chain: Certificate[] = [check.leaf];
  const isAnchor = (cert: Certificate) => check.anchors.some((a) => a.fingerprintSha256 === cert.fingerprintSha256);
  let anchored = isAnchor(check.leaf);
  while (!anchored && chain.length <= MAX_DEPTH) {
    const current = chain[chain.length - 1]!;
    const anchor = check.anchors.find((a) => isSignedBy(current, a));
    if (anchor !== undefined) {
      chain.push(anchor);
      anchored = true;
      break;
    }
    const next = check.intermediates.find((c) => !chain.includes(c) && isSignedBy(current, c));
    if (next === undefined) {
      problems.push(`no trusted issuer found for '${current.subject}' (issuer '${current.issuer}'): the path does not reach a trust anchor`);
      break;
    }
    chain.push(next);
  }
  if (!anchored && problems.length === 0) problems.push(`the path is longer than ${MAX_DEPTH} certificates`);

  chain.forEach((cert, depth) => {
    const trusted = anchored && depth === chain.length - 1;
    const label = `'${cert.subject}'`;
    if (!trusted) {
      if (SHA1_SIGNATURES.has(cert.signatureAlgorithm)) problems.push(`${label} is signed with SHA-1, which is no longer trusted`);
      if (check.at < cert.notBefore) problems.push(`${label} is not valid before ${cert.notBefore.toISOString()}`);
      if (check.at > cert.notAfter) problems.push(`${label} expired at ${cert.notAfter.toISOString()}`);
      for (const ext of cert.extensions) {
        if (ext.critical && !UNDERSTOOD.has(ext.oid)) {
          problems.push(ext.oid === Oid.ctPoison ? `${label} is a precertificate (CT poison extension), not a certificate` : `${label} has an unsupported critical extension ${ext.oid}`);
        }
      }
    }
    if (depth === 0) {
      const usage = cert.keyUsage;
      if (usage !== undefined && !usage.has('digitalSignature') && !usage.has('keyEncipherment')) problems.push(`${label} keyUsage allows neither digitalSignature nor keyEncipherment`);
      const eku = cert.extKeyUsage;
      if (eku !== undefined && !eku.includes(Oid.serverAuth) && !eku.includes(Oid.anyExtendedKeyUsage)) problems.push(`${label} extendedKeyUsage does not include serverAuth`);
      return;
    }
    if (cert.version === 3 && !cert.basicConstraints?.ca) problems.push(`${label} issues certificates but basicConstraints does not say cA`);
    if (cert.keyUsage !== undefined && !cert.keyUsage.has('keyCertSign')) problems.push(`${label} keyUsage does not allow keyCertSign`);
    const below = depth - 1; // intermediates between this CA and the leaf
    const pathLength = cert.basicConstraints?.pathLength;
    if (pathLength !== undefined && below > pathLength) problems.push(`${label} pathLenConstraint ${pathLength} is exceeded by ${below} intermediate certificates`);
  });
  return { valid: anchored && problems.length === 0, problems, chain };
}
