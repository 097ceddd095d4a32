import { X509Certificate } from 'node:crypto';

/**
 * How a certificate names the node it belongs to: a subjectAltName URI `hypermesh://node/<id>`
 * (RFC 5280 §4.2.1.6). The transport accepts a peer only when its certificate carries exactly one
 * such URI and that id is the peer it expects (client side) or a configured peer (server side).
 */
export const NODE_URI_PREFIX = 'hypermesh://node/';

/** Node ids the transport accepts: they must fit in a URI path segment and in log lines as they are. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** True when `id` is a usable node id (see {@link NODE_ID_PATTERN}). */
export function isValidNodeId(id: string): boolean {
  return NODE_ID_PATTERN.test(id);
}

/** The subjectAltName URI that names `nodeId`. */
export function nodeIdUri(nodeId: string): string {
  return `${NODE_URI_PREFIX}${nodeId}`;
}

/**
 * The node ids a certificate names (its `hypermesh://node/<id>` URIs), in order. Node's
 * `subjectAltName` quotes entries that contain commas or quotes as JSON strings; such an entry can
 * never be a valid node id, so it is skipped rather than unquoted.
 */
export function nodeIdsOfCertificate(certificate: X509Certificate | Uint8Array | string): string[] {
  const x509 = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  const san = x509.subjectAltName;
  if (san === undefined) return [];
  const ids: string[] = [];
  for (const entry of san.split(', ')) {
    if (!entry.startsWith('URI:')) continue;
    const uri = entry.slice(4);
    if (!uri.startsWith(NODE_URI_PREFIX)) continue;
    ids.push(uri.slice(NODE_URI_PREFIX.length));
  }
  return ids;
}

/**
 * The single node id a certificate names, or a sentence saying why there is none (no node URI,
 * several, or an id that is not a valid node id).
 */
export function nodeIdOfCertificate(certificate: X509Certificate | Uint8Array | string): { nodeId: string } | { problem: string } {
  const ids = nodeIdsOfCertificate(certificate);
  if (ids.length === 0) return { problem: `the certificate names no node (no subjectAltName URI ${NODE_URI_PREFIX}<id>)` };
  if (ids.length > 1) return { problem: `the certificate names ${ids.length} nodes (${ids.join(', ')}); a node certificate must name exactly one` };
  const nodeId = ids[0]!;
  if (!isValidNodeId(nodeId)) return { problem: `the certificate names node '${nodeId}', which is not a valid node id` };
  return { nodeId };
}
