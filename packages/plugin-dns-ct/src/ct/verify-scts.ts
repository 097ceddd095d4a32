import { createHash, type KeyObject } from 'node:crypto';
import type { SctVerdict } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import { findExtension, parseCertificate, type Certificate } from '../x509/certificate.js';
import { Oid } from '../x509/oids.js';
import { tbsWithoutExtensions } from '../x509/tbs.js';
import type { CtLog, CtLogList } from './log-list.js';
import { decodeSct, sctListFromExtension, sctSignedData, splitSctList, type SignedCertificateTimestamp, type SignedEntry } from './sct.js';
import { checkDigitallySigned } from './signature.js';

/** A certificate as the CT functions accept it: PEM text, DER bytes, or already parsed. */
export type CertificateInput = string | Uint8Array | Certificate;

/** The logs an SCT may come from: a parsed log list or a list of logs. */
export type CtLogs = CtLogList | readonly CtLog[];

/** Options of {@link verifyEmbeddedScts}. */
export interface VerifyEmbeddedSctsOptions {
  /** The certificate carrying the SCT list extension (RFC 6962 §3.3). */
  readonly certificate: CertificateInput;
  /** The certificate's issuer: its key hash is part of what each SCT signs. */
  readonly issuer: CertificateInput;
  /** Known logs; an SCT from a log not listed is reported invalid ("unknown log"). */
  readonly logs: CtLogs;
  /** The time (ms) an SCT may not be later than; default: no check. */
  readonly now?: number;
}

/** Options of {@link verifySct}. */
export interface VerifySctOptions {
  /** One SCT, TLS-encoded (as in the TLS extension or a `.proof` file) or decoded. */
  readonly sct: Uint8Array | SignedCertificateTimestamp;
  /** The certificate the SCT is for; a precertificate (poison extension) is logged as precert_entry. */
  readonly certificate: CertificateInput;
  /** Needed for a precertificate: the issuer whose key hash the log signed. */
  readonly issuer?: CertificateInput;
  readonly logs: CtLogs;
  /** Where the SCT came from; default `tls-extension`. */
  readonly origin?: SctVerdict['origin'];
  readonly now?: number;
}

const indexes = new WeakMap<object, { readonly size: number; readonly byId: ReadonlyMap<string, CtLog> }>();

/** Finds a log by its base64 id; the index is built once per log list (again if logs were added). */
export function findLog(logs: CtLogs, logId: string): CtLog | undefined {
  const list = 'logs' in logs ? logs.logs : logs;
  let index = indexes.get(list);
  if (index === undefined || index.size !== list.length) {
    index = { size: list.length, byId: new Map(list.map((log) => [log.logId, log])) };
    indexes.set(list, index);
  }
  return index.byId.get(logId);
}

/**
 * Parses a certificate given as PEM text or DER (a parsed one is returned as is). Anything that is
 * not a certificate throws `E_CERT_PARSE`; `what` names the input in the message.
 */
export function certificateOf(input: CertificateInput, what = 'certificate'): Certificate {
  if (typeof input === 'object' && 'tbs' in input) return input;
  try {
    return parseCertificate(input);
  } catch (cause) {
    throw new DnsCtError(DnsCtErrorCode.CertParse, `The ${what} is not an X.509 certificate: ${(cause as Error).message}. Give PEM text or DER bytes.`, { cause });
  }
}

/** SHA-256 of the issuer's SubjectPublicKeyInfo (RFC 6962 §3.2 issuer_key_hash). */
export function issuerKeyHash(issuer: Certificate): Uint8Array {
  return new Uint8Array(createHash('sha256').update(issuer.spki).digest());
}

/**
 * Verifies the SCTs embedded in a certificate (RFC 6962 §3.3): for each, rebuilds the
 * precertificate entry the log signed — the TBSCertificate without the SCT list extension and the
 * SHA-256 of the issuer's key — and checks the log's signature. Returns one verdict per SCT, in
 * the order they appear; an empty array when the certificate has no SCT list. Throws only
 * `E_CERT_PARSE`, for inputs that are not certificates.
 */
export function verifyEmbeddedScts(options: VerifyEmbeddedSctsOptions): SctVerdict[] {
  const cert = certificateOf(options.certificate);
  const extension = findExtension(cert, Oid.ctSctList);
  if (extension === undefined) return [];
  const issuer = certificateOf(options.issuer, 'issuer certificate');
  let encodedScts: Uint8Array[];
  try {
    encodedScts = splitSctList(sctListFromExtension(extension.value));
  } catch (err) {
    return [{ logId: '', timestamp: 0, origin: 'embedded', valid: false, reason: `the SCT list extension is malformed: ${(err as Error).message}` }];
  }
  const entry: SignedEntry = {
    type: 'precert',
    issuerKeyHash: issuerKeyHash(issuer),
    tbsCertificate: tbsWithoutExtensions(cert, [Oid.ctSctList]),
  };
  const issuerNote = issuerMismatch(cert, issuer);
  return encodedScts.map((bytes) => verdictFor(bytes, entry, options.logs, 'embedded', options.now, issuerNote));
}

/**
 * Verifies one SCT delivered outside the certificate (TLS extension, OCSP) or returned by a log's
 * add-chain/add-pre-chain. A certificate is logged as x509_entry; a precertificate as
 * precert_entry, which needs its issuer.
 */
export function verifySct(options: VerifySctOptions): SctVerdict {
  const cert = certificateOf(options.certificate);
  let entry: SignedEntry;
  let issuerNote: string | undefined;
  if (findExtension(cert, Oid.ctPoison) !== undefined) {
    if (options.issuer === undefined) throw new DnsCtError(DnsCtErrorCode.CertParse, 'A precertificate SCT needs the issuer certificate: pass `issuer`.');
    const issuer = certificateOf(options.issuer, 'issuer certificate');
    entry = { type: 'precert', issuerKeyHash: issuerKeyHash(issuer), tbsCertificate: tbsWithoutExtensions(cert, [Oid.ctPoison]) };
    issuerNote = issuerMismatch(cert, issuer);
  } else {
    entry = { type: 'x509', certificate: cert.der };
  }
  return verdictFor(options.sct, entry, options.logs, options.origin ?? 'tls-extension', options.now, issuerNote);
}

/**
 * SCT signatures that verified, per log key, by hash of signed data and signature: a certificate
 * checked again (every DNS answer bound to it) costs a SHA-256 instead of an ECDSA verification.
 * At most MEMO_LIMIT per key; the oldest go first.
 */
const verifiedSignatures = new Map<KeyObject, Set<string>>();
const MEMO_LIMIT = 10_000;
const MEMO_KEYS = 256;

/** Forgets verified signatures (for benchmarks that measure the first verification). */
export function forgetVerifiedSignatures(): void {
  verifiedSignatures.clear();
}

function issuerMismatch(cert: Certificate, issuer: Certificate): string | undefined {
  if (Buffer.compare(cert.issuerDer, issuer.subjectDer) === 0) return undefined;
  return `the given issuer '${issuer.subject}' is not the certificate's issuer '${cert.issuer}'`;
}

function verdictFor(
  input: Uint8Array | SignedCertificateTimestamp,
  entry: SignedEntry,
  logs: CtLogs,
  origin: SctVerdict['origin'],
  now: number | undefined,
  issuerNote: string | undefined,
): SctVerdict {
  let sct: SignedCertificateTimestamp;
  try {
    sct = input instanceof Uint8Array ? decodeSct(input) : input;
  } catch (err) {
    return { logId: '', timestamp: 0, origin, valid: false, reason: `malformed SCT: ${(err as Error).message}` };
  }
  const logId = Buffer.from(sct.logId).toString('base64');
  const base = { logId, timestamp: sct.timestamp, origin };
  const log = findLog(logs, logId);
  if (log === undefined) return { ...base, valid: false, reason: `unknown log ${logId}: it is not in the log list` };
  const named = { ...base, logName: log.description, operator: log.operator };
  const data = sctSignedData(sct.timestamp, entry, sct.extensions);
  const memo = createHash('sha256').update(data).update(sct.signature.signature).digest('base64');
  let verified = verifiedSignatures.get(log.publicKey);
  const problem = verified?.has(memo) === true ? undefined : checkDigitallySigned(log.publicKey, data, sct.signature);
  if (problem === undefined) {
    if (verified === undefined) {
      if (verifiedSignatures.size >= MEMO_KEYS) verifiedSignatures.clear(); // log lists replaced many times
      verifiedSignatures.set(log.publicKey, (verified = new Set()));
    }
    if (verified.size >= MEMO_LIMIT) verified.delete(verified.values().next().value!);
    verified.add(memo);
  }
  if (problem !== undefined) {
    const what = entry.type === 'precert' ? 'the precertificate entry rebuilt from the certificate and its issuer' : 'the certificate';
    return { ...named, valid: false, reason: `${problem}: the signature of '${log.description}' does not cover ${what}${issuerNote === undefined ? '' : ` (${issuerNote})`}` };
  }
  if (now !== undefined && sct.timestamp > now) {
    return { ...named, valid: false, reason: `timestamp ${new Date(sct.timestamp).toISOString()} is in the future` };
  }
  return { ...named, valid: true };
}
