import { X509Certificate, createPublicKey } from 'node:crypto';
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

const x509Cache = new WeakMap<Certificate, X509Certificate>();
function nodeCertificate(cert: Certificate): X509Certificate {
  let x = x509Cache.get(cert);
  if (x === undefined) {
    x = new X509Certificate(Buffer.from(cert.der));
    x509Cache.set(cert, x);
  }
  return x;
}

/** True when `issuer` is named as the certificate's issuer and its key verifies the signature. */
export function isSignedBy(cert: Certificate, issuer: Certificate): boolean {
  if (Buffer.compare(cert.issuerDer, issuer.subjectDer) !== 0) return false;
  try {
    return nodeCertificate(cert).verify(createPublicKey({ key: Buffer.from(issuer.spki), format: 'der', type: 'spki' }));
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
