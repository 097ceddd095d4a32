import { isIP } from 'node:net';
import { sign, type KeyObject } from 'node:crypto';
import { Tag, encodeElement, encodeOid } from './der.js';
import type { KeyUsage } from './certificate.js';
import { Oid } from './oids.js';

/**
 * Builds X.509 certificates for tests, the benchmark and a cluster's own CA: a DER encoder over
 * the same primitives the parser reads. Not a full CA: just the fields and extensions this
 * package checks.
 */
export interface CertificateTemplate {
  /** Subject attributes, e.g. `{ CN: 'a.example', O: 'Example' }` (CN, O, OU, C). */
  readonly subject: Readonly<Record<string, string>>;
  readonly publicKey: KeyObject;
  /** The issuer's name and private key; omit for a self-signed certificate (then `signingKey` is required). */
  readonly issuer?: { readonly subject: Readonly<Record<string, string>>; readonly privateKey: KeyObject };
  /** The key that signs a self-signed certificate. */
  readonly signingKey?: KeyObject;
  readonly serialNumber?: number;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** dNSName (or IP address) entries of subjectAltName. */
  readonly subjectAltNames?: readonly string[];
  /** basicConstraints: `true` for a CA, or a CA with a pathLenConstraint. */
  readonly ca?: boolean | { readonly pathLength: number };
  readonly keyUsage?: readonly KeyUsage[];
  readonly extKeyUsage?: readonly string[];
  /** Adds the critical CT poison extension (a precertificate, RFC 6962 §3.1). */
  readonly poison?: boolean;
  /** Adds an SCT list extension with this TLS-encoded SignedCertificateTimestampList (RFC 6962 §3.3). */
  readonly sctList?: Uint8Array;
}

const ATTRIBUTE_OIDS: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6' };
const KEY_USAGE_ORDER: readonly KeyUsage[] = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

const seq = (...parts: Uint8Array[]) => encodeElement(Tag.Sequence, parts);
const utf8 = (text: string) => encodeElement(Tag.Utf8String, [new TextEncoder().encode(text)]);

/** Encodes a Name with one attribute per RDN, in the given order. */
export function encodeName(attributes: Readonly<Record<string, string>>): Uint8Array {
  return seq(
    ...Object.entries(attributes).map(([type, value]) => {
      const oid = ATTRIBUTE_OIDS[type];
      if (oid === undefined) throw new Error(`unsupported attribute ${type}`);
      const encodedValue = type === 'C' ? encodeElement(Tag.PrintableString, [new TextEncoder().encode(value)]) : utf8(value);
      return encodeElement(Tag.Set, [seq(encodeOid(oid), encodedValue)]);
    }),
  );
}

function encodeTime(date: Date): Uint8Array {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return encodeElement(Tag.UtcTime, [new TextEncoder().encode(`${digits.slice(2)}Z`)]);
  return encodeElement(Tag.GeneralizedTime, [new TextEncoder().encode(`${digits}Z`)]);
}

function encodeInteger(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return encodeElement(Tag.Integer, [Uint8Array.from(bytes)]);
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  const parts = [encodeOid(oid)];
  if (critical) parts.push(encodeElement(Tag.Boolean, [Uint8Array.of(0xff)]));
  parts.push(encodeElement(Tag.OctetString, [value]));
  return seq(...parts);
}

function signatureAlgorithm(key: KeyObject): Uint8Array {
  if (key.asymmetricKeyType === 'ec') return seq(encodeOid('1.2.840.10045.4.3.2'));
  if (key.asymmetricKeyType === 'rsa') return seq(encodeOid('1.2.840.113549.1.1.11'), encodeElement(Tag.Null, []));
  throw new Error(`cannot sign with a ${key.asymmetricKeyType} key`);
}

/** Builds and signs a certificate; returns its DER. */
export function buildCertificate(template: CertificateTemplate): Uint8Array {
  const signer = template.issuer?.privateKey ?? template.signingKey;
  if (signer === undefined) throw new Error('a self-signed certificate needs signingKey');
  const extensions: Uint8Array[] = [];
  if (template.ca !== undefined) {
    const parts = [encodeElement(Tag.Boolean, [Uint8Array.of(template.ca === false ? 0 : 0xff)])];
    if (typeof template.ca === 'object') parts.push(encodeInteger(template.ca.pathLength));
    extensions.push(extension(Oid.basicConstraints, true, template.ca === false ? seq() : seq(...parts)));
  }
  if (template.keyUsage !== undefined) {
    const bits = new Uint8Array(2);
    let last = 0;
    for (const usage of template.keyUsage) {
      const bit = KEY_USAGE_ORDER.indexOf(usage);
      bits[bit >> 3]! |= 0x80 >> (bit & 7);
      last = Math.max(last, bit);
    }
    const length = last < 8 ? 1 : 2;
    extensions.push(extension(Oid.keyUsage, true, encodeElement(Tag.BitString, [Uint8Array.of(0, ...bits.subarray(0, length))])));
  }
  if (template.extKeyUsage !== undefined) extensions.push(extension(Oid.extKeyUsage, false, seq(...template.extKeyUsage.map(encodeOid))));
  if (template.subjectAltNames !== undefined) {
    const names = template.subjectAltNames.map((name) =>
      isIP(name) === 4 ? encodeElement(0x87, [Uint8Array.from(name.split('.').map(Number))]) : encodeElement(0x82, [new TextEncoder().encode(name)]),
    );
    extensions.push(extension(Oid.subjectAltName, false, seq(...names)));
  }
  // The poison and the SCT list take the same, last, position so that removing either gives the same TBS.
  if (template.poison === true) extensions.push(extension(Oid.ctPoison, true, encodeElement(Tag.Null, [])));
  if (template.sctList !== undefined) extensions.push(extension(Oid.ctSctList, false, encodeElement(Tag.OctetString, [template.sctList])));

  const algorithm = signatureAlgorithm(signer);
  const tbsParts = [
    encodeElement(0xa0, [encodeInteger(2)]),
    encodeInteger(template.serialNumber ?? 1),
    algorithm,
    encodeName(template.issuer?.subject ?? template.subject),
    seq(encodeTime(template.notBefore), encodeTime(template.notAfter)),
    encodeName(template.subject),
    new Uint8Array(template.publicKey.export({ format: 'der', type: 'spki' })),
  ];
  if (extensions.length > 0) tbsParts.push(encodeElement(0xa3, [seq(...extensions)]));
  const tbs = seq(...tbsParts);
  const signature = sign('sha256', tbs, signer);
  return seq(tbs, algorithm, encodeElement(Tag.BitString, [Uint8Array.of(0), signature]));
}
