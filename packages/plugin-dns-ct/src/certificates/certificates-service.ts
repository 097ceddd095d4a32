import { rootCertificates } from 'node:tls';
import { systemClock, type CertificateCheck, type CertificateVerdict, type CertificatesService, type ClockService, type SctVerdict } from '@hypermesh/runtime';
import { CHROME_CT_POLICY, evaluateCtPolicy, type CtPolicy } from '../ct/policy.js';
import { certificateOf, verifyEmbeddedScts, verifySct, type CtLogs } from '../ct/verify-scts.js';
import { findExtension, type Certificate } from '../x509/certificate.js';
import { matchesHostname } from '../x509/hostname.js';
import { Oid } from '../x509/oids.js';
import { validatePath } from '../x509/path.js';
import { pemCertificates } from '../x509/pem.js';

/** Options of {@link createCertificatesService}. */
export interface CertificatesServiceOptions {
  /** The CT logs SCTs may come from (e.g. `ct.parseLogList(json)`); default none, so no SCT counts. */
  readonly logs?: CtLogs;
  /** Trusted root certificates (PEM, possibly several per string, or DER). */
  readonly trustAnchors?: readonly (string | Uint8Array)[];
  /** Also trust Node's bundled Mozilla roots (`tls.rootCertificates`); default true when `trustAnchors` is empty. */
  readonly useSystemRoots?: boolean;
  /** The CT policy; default Chrome's ({@link CHROME_CT_POLICY}). */
  readonly policy?: CtPolicy;
  /** When false, a certificate that fails only the CT policy is still `valid` (the CT part is reported). Default true. */
  readonly requireCt?: boolean;
  /** The clock giving "now" for validity and SCT timestamps: the runtime's `clockRef` service. Default the system clock. */
  readonly clock?: ClockService;
}

/** Weights of the trust score: path, CT, host name. */
const WEIGHT = { path: 0.5, ct: 0.4, hostname: 0.1 } as const;

/**
 * Creates the `certificates` service: X.509 path validation, host name matching (RFC 6125),
 * embedded and delivered SCTs checked against the CT logs, and the CT policy, in one
 * {@link CertificateVerdict}. The trust score is 0.5 × path valid + 0.4 × the CT trust score
 * (see `ct.ctTrustScore`) + 0.1 × host name matches (or none asked). `verify` rejects only with
 * `E_CERT_PARSE`, for inputs that are not certificates.
 */
export function createCertificatesService(options: CertificatesServiceOptions = {}): CertificatesService {
  const clock = options.clock ?? systemClock;
  const logs = options.logs ?? [];
  const policy = options.policy ?? CHROME_CT_POLICY;
  const requireCt = options.requireCt ?? true;
  const anchorInputs = options.trustAnchors ?? [];
  let anchors: Certificate[] | undefined;
  const trustAnchors = (): Certificate[] => {
    if (anchors !== undefined) return anchors;
    const ders = anchorInputs.flatMap((a) => (typeof a === 'string' ? pemCertificates(a) : [a]));
    if (options.useSystemRoots ?? anchorInputs.length === 0) ders.push(...rootCertificates.flatMap(pemCertificates));
    anchors = ders.map((der) => certificateOf(der, 'trust anchor'));
    return anchors;
  };

  const service = {
    async verify(check: CertificateCheck): Promise<CertificateVerdict> {
      const leaf = certificateOf(check.certificate);
      const chain = (check.chain ?? []).map((c, i) => certificateOf(c, `chain certificate #${i + 1}`));
      const now = clock.now();
      const at = check.at ?? new Date(now);
      const path = validatePath({ leaf, intermediates: chain, anchors: trustAnchors(), at });
      const issuer = path.chain[1] ?? chain.find((c) => Buffer.compare(c.subjectDer, leaf.issuerDer) === 0);

      const scts: SctVerdict[] = [];
      const ctProblems: string[] = [];
      if (findExtension(leaf, Oid.ctSctList) !== undefined) {
        if (issuer === undefined) ctProblems.push(`the embedded SCTs cannot be checked without the issuer '${leaf.issuer}': pass it in chain`);
        else scts.push(...verifyEmbeddedScts({ certificate: leaf, issuer, logs, now }));
      }
      for (const sct of check.scts ?? []) scts.push(verifySct({ sct, certificate: leaf, logs, now, origin: 'tls-extension' }));
      const ct = evaluateCtPolicy({ notBefore: leaf.notBefore, notAfter: leaf.notAfter, scts, logs, policy });

      const hostname = check.hostname === undefined ? undefined : { name: check.hostname, matches: matchesHostname(leaf, check.hostname) };
      const reasons = [...path.problems];
      if (hostname !== undefined && !hostname.matches) {
        reasons.push(`the certificate is not valid for '${hostname.name}' (its names: ${leaf.subjectAltNames.join(', ') || 'none'})`);
      }
      const ctCompliant = ct.compliant && ctProblems.length === 0;
      if (requireCt && !ctCompliant) reasons.push(...ctProblems, ...ct.problems.filter((p) => !p.startsWith('SCT from')));
      const trustScore = WEIGHT.path * (path.valid ? 1 : 0) + WEIGHT.ct * ct.trustScore + WEIGHT.hostname * (hostname?.matches === false ? 0 : 1);
      return {
        valid: reasons.length === 0,
        trustScore: Math.round(trustScore * 1000) / 1000,
        subject: leaf.subject,
        issuer: leaf.issuer,
        serialNumber: leaf.serialNumber,
        notBefore: leaf.notBefore,
        notAfter: leaf.notAfter,
        fingerprintSha256: leaf.fingerprintSha256,
        subjectAltNames: leaf.subjectAltNames,
        path: { valid: path.valid, problems: path.problems },
        ...(hostname === undefined ? {} : { hostname }),
        ct: { compliant: ctCompliant, scts, required: ct.required, distinctOperators: ct.distinctOperators, problems: [...ctProblems, ...ct.problems] },
        reasons,
      };
    },
  } satisfies CertificatesService;
  return service;
}
