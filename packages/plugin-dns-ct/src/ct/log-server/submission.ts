import { DnsCtError, DnsCtErrorCode } from '../../errors.js';
import { findExtension, parseCertificate, type Certificate } from '../../x509/certificate.js';
import { Oid } from '../../x509/oids.js';
import { isSignedBy } from '../../x509/path.js';
import { tbsWithoutExtensions } from '../../x509/tbs.js';
import type { SignedEntry } from '../sct.js';
import { issuerKeyHash } from '../verify-scts.js';

/** What an accepted submission logs. */
export interface Submission {
  readonly entry: SignedEntry;
  /** The chain as submitted, DER, leaf first. */
  readonly chain: readonly Uint8Array[];
}

const refuse = (why: string) => new DnsCtError(DnsCtErrorCode.CtSubmission, why);

/**
 * Checks an add-chain / add-pre-chain body (RFC 6962 §4.1–4.2) and builds the entry to log:
 * every certificate must be signed by the next one, and the last must be one of the log's roots
 * or signed by one (unless the log accepts any root). A precertificate must carry the poison
 * extension and a certificate must not. Precertificates issued by a precertificate signing
 * certificate (§3.1) are refused: this log supports only precertificates signed by the final CA.
 * Throws `E_CT_SUBMISSION`, which the server answers with HTTP 400.
 */
export function checkSubmission(kind: 'x509' | 'precert', chainDer: readonly Uint8Array[], roots: readonly Certificate[], acceptAnyRoot: boolean): Submission {
  if (chainDer.length === 0) throw refuse('the chain is empty');
  const chain = chainDer.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (err) {
      throw refuse(`chain[${i}] is not a certificate: ${(err as Error).message}`);
    }
  });
  const leaf = chain[0]!;
  const poisoned = findExtension(leaf, Oid.ctPoison) !== undefined;
  if (kind === 'x509' && poisoned) throw refuse('chain[0] is a precertificate: submit it with add-pre-chain');
  if (kind === 'precert' && !poisoned) throw refuse('chain[0] has no CT poison extension: submit certificates with add-chain');
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!isSignedBy(chain[i]!, chain[i + 1]!)) throw refuse(`chain[${i}] '${chain[i]!.subject}' is not signed by chain[${i + 1}] '${chain[i + 1]!.subject}'`);
  }
  const last = chain[chain.length - 1]!;
  const anchored = roots.some((root) => root.fingerprintSha256 === last.fingerprintSha256 || isSignedBy(last, root));
  if (!anchored && !acceptAnyRoot) throw refuse(`the chain does not end at one of this log's ${roots.length} accepted roots (last: '${last.issuer}')`);
  if (kind === 'x509') return { entry: { type: 'x509', certificate: leaf.der }, chain: chainDer };
  const issuer = chain[1];
  if (issuer === undefined) throw refuse('a precertificate chain needs the issuer as chain[1]');
  if (issuer.extKeyUsage?.includes(Oid.ctPrecertificateSigning)) throw refuse('precertificates from a precertificate signing certificate are not supported by this log');
  return { entry: { type: 'precert', issuerKeyHash: issuerKeyHash(issuer), tbsCertificate: tbsWithoutExtensions(leaf, [Oid.ctPoison]) }, chain: chainDer };
}
