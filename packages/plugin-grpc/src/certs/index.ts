/**
 * `@hypermesh/plugin-grpc/certs` — a cluster certificate authority for tests, examples and small
 * clusters: ECDSA P-256 certificates written with node:crypto alone (no OpenSSL binary needed),
 * naming each node as `hypermesh://node/<id>`.
 *
 * @packageDocumentation
 */
export {
  createClusterCa,
  loadClusterCa,
  type ClusterCa,
  type CreateClusterCaOptions,
  type IssueNodeCertificateOptions,
  type NodeCertificate,
} from './cluster-ca.js';
export { nodeIdsOfCertificate, nodeIdUri, NODE_URI_PREFIX } from '../identity/node-identity.js';
