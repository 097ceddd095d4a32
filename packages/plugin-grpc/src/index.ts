/**
 * `@hypermesh/plugin-grpc` — the `transport` service between processes and machines over gRPC
 * with mutual TLS. The certificate helper lives at `@hypermesh/plugin-grpc/certs` and is
 * re-exported here.
 *
 * @packageDocumentation
 */
export { grpcTransportPlugin, grpcTransportRef, PLUGIN_VERSION } from './plugin.js';
export { grpcTransportPlugin as default } from './plugin.js';
export {
  createGrpcTransport,
  type GrpcTransport,
  type GrpcTransportOptions,
  type GrpcTransportService,
  type GrpcTransportStats,
  type PeerStats,
} from './transport/grpc-transport.js';
export {
  grpcTransportConfigSchema,
  keepaliveConfigSchema,
  limitsConfigSchema,
  reconnectConfigSchema,
  tlsConfigSchema,
  type GrpcTransportConfig,
  type GrpcTransportConfigInput,
} from './config.js';
export { GrpcErrorCode, GrpcTransportError, PLUGIN_NAME } from './errors.js';
export { DROP_REASONS, type DropReason, type LinkCounters } from './link/link-stats.js';
export { REFUSAL_REASONS, type RefusalReason } from './transport/authenticate.js';
export { NODE_ID_PATTERN, isValidNodeId } from './identity/node-identity.js';
export * from './certs/index.js';
