import { createServiceRef } from '../services/service-ref.js';

/** The verdict on one Signed Certificate Timestamp (RFC 6962 §3.2). */
export interface SctVerdict {
  /** The log id (SHA-256 of the log's key), base64. */
  readonly logId: string;
  /** The log's description from the log list, when known. */
  readonly logName?: string;
  /** The log operator, when known. */
  readonly operator?: string;
  /** The SCT timestamp (ms since the epoch). */
  readonly timestamp: number;
  /** Where the SCT came from. */
  readonly origin: 'embedded' | 'tls-extension' | 'ocsp';
  /** True when the signature verifies with the log's key over the reconstructed entry. */
  readonly valid: boolean;
  /** Why it is invalid (unknown log, bad signature, future timestamp, …). */
  readonly reason?: string;
}

/** The input of {@link CertificatesService.verify}. */
export interface CertificateCheck {
  /** The leaf certificate, PEM or DER. */
  readonly certificate: string | Uint8Array;
  /** Intermediates (and optionally the root), PEM or DER, leaf's issuer first. */
  readonly chain?: readonly (string | Uint8Array)[];
  /** When given, the certificate must be valid for this host name (RFC 6125). */
  readonly hostname?: string;
  /** The time to check validity at; default now. */
  readonly at?: Date;
  /**
   * SCTs delivered outside the certificate (the TLS `signed_certificate_timestamp` extension or an
   * OCSP response), each TLS-encoded; they count toward the CT policy with the embedded ones.
   * @since certificates 1.1.0
   */
  readonly scts?: readonly Uint8Array[];
}

/** One verdict covering X.509 path validation, host name and CT policy. */
export interface CertificateVerdict {
  /** True when the path validates, the host name matches (if asked) and the CT policy is met. */
  readonly valid: boolean;
  /** A score in [0, 1] summarising path, CT and log diversity; 1 is fully trusted. */
  readonly trustScore: number;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER certificate, lower-case hex. */
  readonly fingerprintSha256: string;
  readonly subjectAltNames: readonly string[];
  /** X.509 path validation: signatures, validity, basicConstraints, keyUsage, trust anchor. */
  readonly path: { readonly valid: boolean; readonly problems: readonly string[] };
  /** Host name check, when a host name was given. */
  readonly hostname?: { readonly name: string; readonly matches: boolean };
  /** Certificate Transparency: every SCT's verdict and the policy outcome. */
  readonly ct: {
    readonly compliant: boolean;
    readonly scts: readonly SctVerdict[];
    /** Valid SCTs the policy requires for this certificate's lifetime. */
    readonly required: number;
    /** Distinct operators among the valid SCTs. */
    readonly distinctOperators: number;
    readonly problems: readonly string[];
  };
  /** Every reason the certificate is not valid, as sentences; empty when valid. */
  readonly reasons: readonly string[];
}

/**
 * Certificate verification: X.509 path validation plus Certificate Transparency policy.
 *
 * Errors: `verify` rejects only for input that is not a certificate (`E_CERT_PARSE`); every
 * validation failure is reported in the verdict, never thrown.
 */
export interface CertificatesService {
  /** Verifies a certificate and returns one verdict. */
  verify(check: CertificateCheck): Promise<CertificateVerdict>;
}

/** The `certificates` service. */
export const certificatesRef = createServiceRef<CertificatesService>({
  id: 'certificates',
  version: '1.1.0',
  description: 'X.509 path validation with Certificate Transparency policy',
});
