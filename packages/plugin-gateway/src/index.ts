/**
 * `@hypermesh/plugin-gateway` — the API gateway of a HyperMesh node: REST and gRPC for status,
 * workloads, DNS records and lookups, certificate verification and threats; API keys or JWT
 * bearer tokens, RBAC (viewer / operator / admin), an audit log of every mutating call, zod
 * validation, rate and size limits.
 *
 * @packageDocumentation
 */
export { gatewayPlugin } from './plugin.js';
export { gatewayPlugin as default } from './plugin.js';
export { gatewayConfigSchema, apiKeySchema, type ApiKeyConfig, type GatewayConfig } from './config.js';
export { GatewayError, GatewayErrorCode, GATEWAY_PLUGIN_NAME } from './errors.js';
export { gatewayRef, type GatewayService } from './gateway-ref.js';
export { createNodeIntrospection, nodeIntrospectionRef, type LateNodeIntrospection, type NodeIntrospection } from './node-introspection.js';
export { ROLES, roleAllows, type Principal, type Role } from './auth/roles.js';
export { generateApiKey, hashApiKey, type ApiKeyInfo } from './auth/api-keys.js';
export { signJwt, type JwtAlgorithm, type JwtClaims } from './auth/jwt.js';
export type { AuditEntry, AuditOutcome, AuditQuery } from './audit/audit-log.js';
export { OPERATIONS } from './api/operations/index.js';
export type { AnyOperation, HttpMethod, Operation, OperationContext, TextResult } from './api/operation.js';
export type { ErrorBody } from './api/dispatch.js';
export { workloadSpecSchema } from './api/schemas/workload.js';
export { zoneRecordSchema } from './api/schemas/dns.js';
export {
  GATEWAY_GRPC_SERVICE,
  createGatewayGrpcClient,
  gatewayGrpcServiceDefinition,
  type GatewayGrpcClient,
} from './grpc/service-definition.js';
