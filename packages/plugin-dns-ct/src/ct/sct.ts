import { Tag, contents, expectTag, readRoot } from '../x509/der.js';
import { TlsDecodeError, TlsReader, TlsWriter } from './tls-codec.js';

/** RFC 5246 §7.4.1.4.1 algorithm numbers used by CT logs. */
export const HashAlgorithm = { sha256: 4 } as const;
/** RFC 5246 §7.4.1.4.1 signature algorithm numbers used by CT logs. */
export const SignatureAlgorithm = { rsa: 1, ecdsa: 3 } as const;

/** A `digitally-signed` struct (RFC 5246 §4.7): the algorithms and the signature bytes. */
export interface DigitallySigned {
  readonly hashAlgorithm: number;
  readonly signatureAlgorithm: number;
  readonly signature: Uint8Array;
}

/** A SignedCertificateTimestamp (RFC 6962 §3.2), decoded. */
export interface SignedCertificateTimestamp {
  /** 0 for v1. */
  readonly version: number;
  /** SHA-256 of the log's public key. */
  readonly logId: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly extensions: Uint8Array;
  readonly signature: DigitallySigned;
}

/** RFC 6962 §3.1 LogEntryType. */
export const LogEntryType = { x509: 0, precert: 1 } as const;

/** What a log signs for an SCT: the certificate (x509_entry) or the precertificate parts. */
export type SignedEntry =
  | { readonly type: 'x509'; readonly certificate: Uint8Array }
  | { readonly type: 'precert'; readonly issuerKeyHash: Uint8Array; readonly tbsCertificate: Uint8Array };

/** Decodes a `digitally-signed` struct. */
export function decodeDigitallySigned(reader: TlsReader): DigitallySigned {
  return { hashAlgorithm: reader.uint(1), signatureAlgorithm: reader.uint(1), signature: reader.vector(2) };
}

/** Encodes a `digitally-signed` struct. */
export function encodeDigitallySigned(signed: DigitallySigned): Uint8Array {
  return new TlsWriter().uint(signed.hashAlgorithm, 1).uint(signed.signatureAlgorithm, 1).vector(signed.signature, 2).finish();
}

/** Decodes one TLS-encoded SCT (as in a TLS extension list entry or a `.proof` file). */
export function decodeSct(bytes: Uint8Array): SignedCertificateTimestamp {
  const reader = new TlsReader(bytes);
  const version = reader.uint(1);
  if (version !== 0) throw new TlsDecodeError(`SCT version ${version} is not v1`);
  const sct: SignedCertificateTimestamp = {
    version,
    logId: reader.fixed(32),
    timestamp: reader.uint(8),
    extensions: reader.vector(2),
    signature: decodeDigitallySigned(reader),
  };
  reader.end('the SCT');
  return sct;
}

/** Encodes an SCT in its TLS form. */
export function encodeSct(sct: SignedCertificateTimestamp): Uint8Array {
  return new TlsWriter()
    .uint(sct.version, 1)
    .fixed(sct.logId)
    .uint(sct.timestamp, 8)
    .vector(sct.extensions, 2)
    .fixed(encodeDigitallySigned(sct.signature))
    .finish();
}

/**
 * The SCTs of a SignedCertificateTimestampList (RFC 6962 §3.3), each still TLS-encoded: the
 * caller decodes them one by one so a malformed SCT spoils only its own verdict.
 */
export function splitSctList(list: Uint8Array): Uint8Array[] {
  const reader = new TlsReader(list);
  const body = new TlsReader(reader.vector(2));
  reader.end('the SCT list');
  const out: Uint8Array[] = [];
  while (body.remaining > 0) out.push(body.vector(2));
  return out;
}

/** Encodes a SignedCertificateTimestampList. */
export function encodeSctList(scts: readonly Uint8Array[]): Uint8Array {
  const body = new TlsWriter();
  for (const sct of scts) body.vector(sct, 2);
  return new TlsWriter().vector(body.finish(), 2).finish();
}

/** The SCT list inside the X.509v3 extension value, which wraps it in one more OCTET STRING. */
export function sctListFromExtension(value: Uint8Array): Uint8Array {
  return contents(expectTag(readRoot(value), Tag.OctetString, 'SignedCertificateTimestampList'));
}

/** The TLS encoding of a signed entry as it appears in a TimestampedEntry and in signed data. */
export function encodeSignedEntry(entry: SignedEntry): Uint8Array {
  const writer = new TlsWriter().uint(entry.type === 'x509' ? LogEntryType.x509 : LogEntryType.precert, 2);
  if (entry.type === 'x509') return writer.vector(entry.certificate, 3).finish();
  return writer.fixed(entry.issuerKeyHash).vector(entry.tbsCertificate, 3).finish();
}

/**
 * The bytes an SCT's signature covers (RFC 6962 §3.2):
 * `sct_version, signature_type = certificate_timestamp, timestamp, entry_type, signed_entry, extensions`.
 */
export function sctSignedData(timestamp: number, entry: SignedEntry, extensions: Uint8Array): Uint8Array {
  // Written in place: this runs for every SCT checked, and the TBS is the bulk of it.
  const body = entry.type === 'x509' ? entry.certificate : entry.tbsCertificate;
  const head = entry.type === 'x509' ? 0 : 32;
  const out = Buffer.allocUnsafe(1 + 1 + 8 + 2 + head + 3 + body.length + 2 + extensions.length);
  out[0] = 0; // sct_version v1
  out[1] = 0; // signature_type certificate_timestamp
  out.writeUIntBE(Math.floor(timestamp / 2 ** 32), 2, 4);
  out.writeUInt32BE(timestamp % 2 ** 32, 6);
  out.writeUInt16BE(entry.type === 'x509' ? LogEntryType.x509 : LogEntryType.precert, 10);
  let offset = 12;
  if (entry.type === 'precert') {
    out.set(entry.issuerKeyHash, offset);
    offset += 32;
  }
  out.writeUIntBE(body.length, offset, 3);
  out.set(body, offset + 3);
  offset += 3 + body.length;
  out.writeUInt16BE(extensions.length, offset);
  out.set(extensions, offset + 2);
  return out;
}

/**
 * A MerkleTreeLeaf (RFC 6962 §3.4): `version = v1, leaf_type = timestamped_entry`, then the
 * TimestampedEntry. Its hash (with the 0x00 prefix) is the leaf of the log's Merkle tree. Both
 * leading enums are 0, so these are exactly the bytes an SCT signs.
 */
export function encodeMerkleTreeLeaf(timestamp: number, entry: SignedEntry, extensions: Uint8Array): Uint8Array {
  return sctSignedData(timestamp, entry, extensions);
}

/** A decoded MerkleTreeLeaf. */
export interface MerkleTreeLeaf {
  readonly timestamp: number;
  readonly entry: SignedEntry;
  readonly extensions: Uint8Array;
}

/** Decodes a MerkleTreeLeaf (the `leaf_input` of get-entries). */
export function decodeMerkleTreeLeaf(bytes: Uint8Array): MerkleTreeLeaf {
  const reader = new TlsReader(bytes);
  const version = reader.uint(1);
  const leafType = reader.uint(1);
  if (version !== 0 || leafType !== 0) throw new TlsDecodeError(`MerkleTreeLeaf version ${version} / leaf type ${leafType} is not v1 timestamped_entry`);
  const timestamp = reader.uint(8);
  const type = reader.uint(2);
  let entry: SignedEntry;
  if (type === LogEntryType.x509) entry = { type: 'x509', certificate: reader.vector(3) };
  else if (type === LogEntryType.precert) entry = { type: 'precert', issuerKeyHash: reader.fixed(32), tbsCertificate: reader.vector(3) };
  else throw new TlsDecodeError(`unknown LogEntryType ${type}`);
  const extensions = reader.vector(2);
  reader.end('the MerkleTreeLeaf');
  return { timestamp, entry, extensions };
}
