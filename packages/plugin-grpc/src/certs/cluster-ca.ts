import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { GrpcErrorCode, GrpcTransportError } from '../errors.js';
import { isValidNodeId, nodeIdUri } from '../identity/node-identity.js';
import * as der from './der.js';

/** A node's certificate and private key, PEM-encoded. */
export interface NodeCertificate {
  /** The node id the certificate names (subjectAltName `hypermesh://node/<id>`). */
  readonly nodeId: string;
  /** The certificate (PEM). */
  readonly certPem: string;
  /** Its private key (PKCS#8 PEM). Keep it secret. */
  readonly keyPem: string;
}

/** Options of {@link ClusterCa.issueNodeCertificate}. */
export interface IssueNodeCertificateOptions {
  /** DNS names and IP addresses added as subjectAltNames, for clients that check host names. */
  readonly hosts?: readonly string[];
  /** Start of validity. Default: one hour ago (tolerates clock skew between machines). */
  readonly notBefore?: Date;
  /** Days of validity from `notBefore`. Default 365. */
  readonly validDays?: number;
}

/** Options of {@link createClusterCa}. */
export interface CreateClusterCaOptions {
  /** The CA's common name. Default `HyperMesh cluster CA`. */
  readonly name?: string;
  /** Days of validity. Default 3650. */
  readonly validDays?: number;
}

/** A cluster certificate authority: its certificate and key, and a way to issue node certificates. */
export interface ClusterCa {
  /** The CA certificate (PEM): every node trusts it (config `tls.ca`). */
  readonly caCertPem: string;
  /** The CA private key (PKCS#8 PEM). Keep it off the nodes. */
  readonly caKeyPem: string;
  /** Issues a certificate for `nodeId`, valid for both TLS server and client authentication. */
  issueNodeCertificate(nodeId: string, options?: IssueNodeCertificateOptions): NodeCertificate;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const DAY_MS = 86_400_000;

const name = (commonName: string) =>
  der.sequence(
    der.set(der.sequence(der.oid(OID.organization), der.utf8String('HyperMesh'))),
    der.set(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))),
  );

const extension = (id: string, critical: boolean, value: Buffer) =>
  critical ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(id), der.octetString(value));

function spkiOf(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. For P-256 the BIT STRING is
// the last 65 bytes of the SPKI (an uncompressed point).
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // IPv6: expand '::' and write 8 groups of 16 bits
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

interface CertificateFields {
  readonly subject: string;
  readonly subjectKey: KeyObject;
  readonly issuer: string;
  readonly issuerKey: KeyObject;
  readonly issuerKeyId: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ca: boolean;
  readonly altNames: readonly Buffer[];
}

/** @internal Builds and signs an X.509 v3 certificate (RFC 5280 §4.1) with ECDSA P-256 / SHA-256. */
export function buildCertificate(fields: CertificateFields): string {
  const spki = spkiOf(fields.subjectKey);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  serial[0]! |= 0x01; // positive and 16 bytes long
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const extensions = [
    extension(OID.basicConstraints, true, fields.ca ? der.sequence(der.boolean(true), der.smallInteger(0)) : der.sequence()),
    extension(OID.keyUsage, true, der.namedBits(fields.ca ? [5, 6] : [0])), // keyCertSign+cRLSign | digitalSignature
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(spki))),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, fields.issuerKeyId))),
  ];
  if (!fields.ca) {
    extensions.push(extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth), der.oid(OID.clientAuth))));
  }
  if (fields.altNames.length > 0) extensions.push(extension(OID.subjectAltName, false, der.sequence(...fields.altNames)));
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial),
    algorithm,
    name(fields.issuer),
    der.sequence(der.time(fields.notBefore), der.time(fields.notAfter)),
    name(fields.subject),
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, fields.issuerKey);
  return der.toPem('CERTIFICATE', der.sequence(tbs, algorithm, der.bitString(signature)));
}

function altNamesOf(nodeId: string, hosts: readonly string[]): Buffer[] {
  const names = [der.implicit(6, der.ia5(nodeIdUri(nodeId)))];
  for (const host of hosts) {
    if (isIP(host) !== 0) names.push(der.implicit(7, ipBytes(host)));
    else if (/^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) names.push(der.implicit(2, der.ia5(host)));
    else throw new GrpcTransportError(GrpcErrorCode.CertificateInvalid, `issueNodeCertificate: host '${host}' is neither an IP address nor a DNS name`);
  }
  return names;
}

function newKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function checkedDays(label: string, days: number): number {
  if (!(days > 0 && Number.isFinite(days))) {
    throw new GrpcTransportError(GrpcErrorCode.CertificateInvalid, `${label}: validDays must be a positive number of days, got ${days}`);
  }
  return days;
}

function clusterCaOf(caCertPem: string, caKey: KeyObject): ClusterCa {
  const caCert = new X509Certificate(caCertPem);
  const issuer = caCert.subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3) ?? 'HyperMesh cluster CA';
  const issuerKeyId = keyIdentifier(spkiOf(caCert.publicKey));
  return {
    caCertPem,
    caKeyPem: caKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    issueNodeCertificate(nodeId, options = {}) {
      if (typeof nodeId !== 'string' || !isValidNodeId(nodeId)) {
        throw new GrpcTransportError(
          GrpcErrorCode.CertificateInvalid,
          `issueNodeCertificate: '${String(nodeId)}' is not a valid node id (letters, digits, '.', '_', '-', at most 63, starting with a letter or digit)`,
        );
      }
      const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
      const notAfter = new Date(notBefore.getTime() + checkedDays('issueNodeCertificate', options.validDays ?? 365) * DAY_MS);
      const keys = newKeyPair();
      const certPem = buildCertificate({
        subject: nodeId,
        subjectKey: keys.publicKey,
        issuer,
        issuerKey: caKey,
        issuerKeyId,
        notBefore,
        notAfter,
        ca: false,
        altNames: altNamesOf(nodeId, options.hosts ?? []),
      });
      return { nodeId, certPem, keyPem: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
    },
  };
}

/**
 * Creates a cluster certificate authority (ECDSA P-256) for tests, examples and small clusters.
 * Every node trusts its certificate; each node gets a certificate naming its id.
 *
 * ```ts
 * import { createClusterCa } from '@hypermesh/plugin-grpc/certs';
 * const ca = createClusterCa();
 * const a = ca.issueNodeCertificate('a', { hosts: ['127.0.0.1'] }); // { certPem, keyPem }
 * ```
 */
export function createClusterCa(options: CreateClusterCaOptions = {}): ClusterCa {
  const commonName = options.name ?? 'HyperMesh cluster CA';
  const keys = newKeyPair();
  const notBefore = new Date(Date.now() - 3_600_000);
  const caCertPem = buildCertificate({
    subject: commonName,
    subjectKey: keys.publicKey,
    issuer: commonName,
    issuerKey: keys.privateKey,
    issuerKeyId: keyIdentifier(spkiOf(keys.publicKey)),
    notBefore,
    notAfter: new Date(notBefore.getTime() + checkedDays('createClusterCa', options.validDays ?? 3650) * DAY_MS),
    ca: true,
    altNames: [],
  });
  return clusterCaOf(caCertPem, keys.privateKey);
}

/**
 * Loads a CA made by {@link createClusterCa} (or any ECDSA P-256 CA) from its PEM files, to issue
 * more node certificates later. Throws `E_GRPC_CERTIFICATE_INVALID` when the key does not match the
 * certificate or is not a P-256 key.
 */
export function loadClusterCa(pems: { readonly caCertPem: string; readonly caKeyPem: string }): ClusterCa {
  let key: KeyObject;
  let cert: X509Certificate;
  try {
    key = createPrivateKey(pems.caKeyPem);
    cert = new X509Certificate(pems.caCertPem);
  } catch (cause) {
    throw new GrpcTransportError(GrpcErrorCode.CertificateInvalid, 'loadClusterCa: the CA certificate or key is not valid PEM', { cause });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new GrpcTransportError(GrpcErrorCode.CertificateInvalid, `loadClusterCa: the CA key must be ECDSA P-256, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new GrpcTransportError(GrpcErrorCode.CertificateInvalid, `loadClusterCa: the CA key does not belong to the certificate '${cert.subject.replace(/\n/g, ', ')}'`);
  }
  return clusterCaOf(pems.caCertPem, key);
}
