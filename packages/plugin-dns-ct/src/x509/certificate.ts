import { createHash } from 'node:crypto';
import {
  DerError,
  Tag,
  children,
  contents,
  encoded,
  expectTag,
  latin1Text,
  readBitString,
  readBoolean,
  readOid,
  readRoot,
  readSmallInteger,
  readTime,
  type DerElement,
} from './der.js';
import { formatName, type FormattedName } from './name.js';
import { Oid } from './oids.js';
import { toDer } from './pem.js';

/** One extension of a certificate (RFC 5280 §4.1.2.9). */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The contents of extnValue (the DER of the extension's own structure). */
  readonly value: Uint8Array;
  /** The whole Extension element, for re-encoding. */
  readonly element: DerElement;
}

/** The basicConstraints extension (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength?: number;
}

/** The keyUsage bits by name (RFC 5280 §4.2.1.3). */
export type KeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';
const KEY_USAGE_BITS: readonly KeyUsage[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/** An X.509 certificate, parsed from DER with every byte range kept. */
export interface Certificate {
  readonly der: Uint8Array;
  /** The TBSCertificate element: the bytes the issuer signed. */
  readonly tbs: DerElement;
  /** The elements of the TBSCertificate SEQUENCE, in order. */
  readonly tbsFields: readonly DerElement[];
  readonly version: number;
  /** The serial number, lower-case hex. */
  readonly serialNumber: string;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** The issuer and subject Names as DER (compared byte for byte when chaining, RFC 5280 §7.1). */
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** The names formatted like RFC 4514 (`CN=…, O=…`). */
  readonly issuer: string;
  readonly subject: string;
  /** The subject's commonName attributes. */
  readonly commonNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  readonly extensions: readonly Extension[];
  /** dNSName and iPAddress entries of subjectAltName, as text. */
  readonly subjectAltNames: readonly string[];
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: ReadonlySet<KeyUsage>;
  readonly extKeyUsage?: readonly string[];
  /** SHA-256 of the DER certificate, lower-case hex. */
  readonly fingerprintSha256: string;
}

/** Parses a certificate given as PEM text or DER. Throws a `DerError` on malformed input. */
export function parseCertificate(input: string | Uint8Array): Certificate {
  const der = toDer(input);
  const [tbs, algorithm, signatureValue] = children(expectTag(readRoot(der), Tag.Sequence, 'Certificate'));
  const fields = parseTbs(tbs!);
  const signatureAlgorithm = readOid(children(expectTag(algorithm, Tag.Sequence, 'signatureAlgorithm'))[0]!);
  const innerAlgorithm = fields.tbsFields[fields.tbsFields[0]!.tag === 0xa0 ? 2 : 1]!;
  if (Buffer.compare(encoded(innerAlgorithm), encoded(algorithm!)) !== 0) {
    throw new DerError('signatureAlgorithm differs from the signature field of the TBSCertificate (RFC 5280 §4.1.1.2)');
  }
  const signature = readBitString(expectTag(signatureValue, Tag.BitString, 'signatureValue')).bytes;
  let fingerprint: string | undefined;
  return Object.defineProperties(fields, {
    der: { value: der, enumerable: true },
    signatureAlgorithm: { value: signatureAlgorithm, enumerable: true },
    signature: { value: signature, enumerable: true },
    fingerprintSha256: { get: () => (fingerprint ??= createHash('sha256').update(der).digest('hex')), enumerable: true },
  }) as Certificate;
}

/** The fields of a TBSCertificate (RFC 5280 §4.1), e.g. a precertificate's as a CT log holds it. */
export type TbsCertificate = Omit<Certificate, 'der' | 'signatureAlgorithm' | 'signature' | 'fingerprintSha256'>;

/** Parses a DER TBSCertificate on its own. Throws a `DerError` on malformed input. */
export function parseTbsCertificate(der: Uint8Array): TbsCertificate {
  return parseTbs(readRoot(der));
}

/**
 * Walks the TBSCertificate and decodes every field and known extension at once, so malformed
 * input fails here; only the display forms of the names (`subject`, `issuer`, `commonNames`) are
 * built when first read, since checking signatures and SCTs never needs them.
 */
function parseTbs(tbs: DerElement): TbsCertificate {
  const fields = children(expectTag(tbs, Tag.Sequence, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    version = readSmallInteger(children(fields[0])[0]!) + 1;
    i++;
  }
  const serial = expectTag(fields[i++], Tag.Integer, 'serialNumber');
  i++; // signature AlgorithmIdentifier
  const issuer = expectTag(fields[i++], Tag.Sequence, 'issuer');
  const validity = children(expectTag(fields[i++], Tag.Sequence, 'validity'));
  const subject = expectTag(fields[i++], Tag.Sequence, 'subject');
  const spki = expectTag(fields[i++], Tag.Sequence, 'subjectPublicKeyInfo');
  const extensions: Extension[] = [];
  for (; i < fields.length; i++) {
    if (fields[i]!.tag !== 0xa3) continue; // [1]/[2] unique identifiers are ignored
    for (const ext of children(expectTag(children(fields[i]!)[0], Tag.Sequence, 'Extensions'))) {
      const parts = children(ext);
      const critical = parts.length === 3 ? readBoolean(parts[1]!) : false;
      const value = expectTag(parts[parts.length - 1], Tag.OctetString, 'extnValue');
      extensions.push({ oid: readOid(parts[0]!), critical, value: contents(value), element: ext });
    }
  }
  let subjectName: FormattedName | undefined;
  let issuerName: string | undefined;
  const subjectOf = () => (subjectName ??= formatNameSafely(subject));
  const out = {
    tbs,
    tbsFields: fields,
    version,
    serialNumber: Buffer.from(contents(serial)).toString('hex').replace(/^(00)+(?=.)/, ''),
    issuerDer: encoded(issuer),
    subjectDer: encoded(subject),
    notBefore: readTime(validity[0]!),
    notAfter: readTime(validity[1]!),
    spki: encoded(spki),
    extensions,
    subjectAltNames: [] as readonly string[],
    ...readKnownExtensions(extensions),
  };
  return Object.defineProperties(out, {
    issuer: { get: () => (issuerName ??= formatNameSafely(issuer).text), enumerable: true },
    subject: { get: () => subjectOf().text, enumerable: true },
    commonNames: { get: () => subjectOf().commonNames, enumerable: true },
  }) as TbsCertificate;
}

/** A name that cannot be displayed is shown as such; chaining compares the DER, never this text. */
function formatNameSafely(name: DerElement): FormattedName {
  try {
    return formatName(name);
  } catch (err) {
    return { text: `<unreadable name: ${(err as Error).message}>`, commonNames: [] };
  }
}

function readKnownExtensions(extensions: readonly Extension[]): Partial<Certificate> {
  const out: {
    subjectAltNames?: string[];
    basicConstraints?: BasicConstraints;
    keyUsage?: Set<KeyUsage>;
    extKeyUsage?: string[];
  } = {};
  for (const ext of extensions) {
    const root = readRoot(ext.value);
    if (ext.oid === Oid.subjectAltName) out.subjectAltNames = readGeneralNames(root);
    else if (ext.oid === Oid.basicConstraints) {
      const parts = children(root);
      let ca = false;
      let pathLength: number | undefined;
      for (const part of parts) {
        if (part.tag === Tag.Boolean) ca = readBoolean(part);
        else if (part.tag === Tag.Integer) pathLength = readSmallInteger(part);
      }
      out.basicConstraints = pathLength === undefined ? { ca } : { ca, pathLength };
    } else if (ext.oid === Oid.keyUsage) {
      const bits = readBitString(root).bytes;
      const usages = new Set<KeyUsage>();
      KEY_USAGE_BITS.forEach((name, bit) => {
        if ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) usages.add(name);
      });
      out.keyUsage = usages;
    } else if (ext.oid === Oid.extKeyUsage) {
      out.extKeyUsage = children(root).map(readOid);
    }
  }
  return out;
}

/** dNSName ([2]) and iPAddress ([7]) entries of a GeneralNames SEQUENCE (RFC 5280 §4.2.1.6). */
function readGeneralNames(root: DerElement): string[] {
  const names: string[] = [];
  for (const name of children(expectTag(root, Tag.Sequence, 'GeneralNames'))) {
    if (name.tag === 0x82) names.push(latin1Text(contents(name)));
    else if (name.tag === 0x87) names.push(formatAddress(contents(name)));
  }
  return names;
}

function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  throw new DerError(`iPAddress of ${bytes.length} octets`);
}

/** The extension with the given OID, if the certificate has it. */
export function findExtension(cert: Certificate, oid: string): Extension | undefined {
  return cert.extensions.find((ext) => ext.oid === oid);
}
