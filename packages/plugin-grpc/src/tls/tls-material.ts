import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { GrpcErrorCode, GrpcTransportError } from '../errors.js';
import { nodeIdOfCertificate } from '../identity/node-identity.js';

/** The PEM inputs: each is PEM text or the path of a PEM file. */
export interface TlsSources {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Checked TLS material of this node. */
export interface TlsMaterial {
  readonly caPem: Buffer;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
  /** This node's certificate, parsed. */
  readonly certificate: X509Certificate;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(field: string, value: string): Buffer {
  if (value.trimStart().startsWith('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (cause) {
    throw new GrpcTransportError(
      GrpcErrorCode.TlsConfigInvalid,
      `tls.${field}: '${value}' is neither PEM text nor a readable file (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'}); give the PEM or its path`,
      { cause },
    );
  }
}

function invalid(message: string, cause?: unknown): GrpcTransportError {
  return new GrpcTransportError(GrpcErrorCode.TlsConfigInvalid, message, cause === undefined ? {} : { cause });
}

/**
 * Reads and checks this node's TLS material before anything listens: the certificate parses, names
 * exactly `nodeId`, matches the key, is within its validity period, and was issued by one of the CA
 * certificates. Each failure is an `E_GRPC_TLS_CONFIG` that says what to fix.
 */
export function loadTlsMaterial(sources: TlsSources, nodeId: string, now: number): TlsMaterial {
  const caPem = readPem('ca', sources.ca);
  const certPem = readPem('cert', sources.cert);
  const keyPem = readPem('key', sources.key);
  const caCerts = (caPem.toString('utf8').match(PEM_CERTIFICATE) ?? []).map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (cause) {
      throw invalid(`tls.ca: certificate #${i + 1} does not parse`, cause);
    }
  });
  if (caCerts.length === 0) throw invalid('tls.ca holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch (cause) {
    throw invalid('tls.cert does not hold a PEM certificate', cause);
  }
  const identity = nodeIdOfCertificate(certificate);
  if ('problem' in identity) throw invalid(`tls.cert of node '${nodeId}': ${identity.problem}; issue one with issueNodeCertificate('${nodeId}')`);
  if (identity.nodeId !== nodeId) {
    throw invalid(`tls.cert names node '${identity.nodeId}', but this node is '${nodeId}'; give this node its own certificate`);
  }
  let keyMatches: boolean;
  try {
    keyMatches = certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch (cause) {
    throw invalid(`tls.key of node '${nodeId}' is not a readable PEM private key`, cause);
  }
  if (!keyMatches) throw invalid(`tls.key does not belong to the certificate of node '${nodeId}'`);
  const issuer = caCerts.find((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey));
  if (issuer === undefined) {
    throw invalid(`the certificate of node '${nodeId}' (issuer '${oneLine(certificate.issuer)}') was not issued by the CA in tls.ca ('${caCerts.map((c) => oneLine(c.subject)).join("', '")}')`);
  }
  if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
    throw invalid(`the certificate of node '${nodeId}' is valid from ${certificate.validFrom} to ${certificate.validTo}, not now; issue a new one`);
  }
  return { caPem, certPem, keyPem, certificate };
}

const oneLine = (dn: string) => dn.replace(/\n/g, ', ');

/** Server credentials: TLS with a client certificate required and verified against the CA. */
export function serverCredentials(material: TlsMaterial): ServerCredentials {
  return ServerCredentials.createSsl(material.caPem, [{ private_key: material.keyPem, cert_chain: material.certPem }], true);
}

/**
 * Client credentials for dialing `expectedPeer`: the server's certificate must chain to the CA
 * (checked by TLS) and name exactly `expectedPeer` — host names are not what identifies a node.
 */
export function clientCredentials(material: TlsMaterial, expectedPeer: string): ChannelCredentials {
  return credentials.createSsl(material.caPem, material.keyPem, material.certPem, {
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const identity = nodeIdOfCertificate(cert.raw);
      if ('problem' in identity) return new Error(`peer '${expectedPeer}' refused: ${identity.problem}`);
      if (identity.nodeId !== expectedPeer) {
        return new Error(`peer '${expectedPeer}' refused: the server presented a certificate for node '${identity.nodeId}'`);
      }
      return undefined;
    },
  });
}
