import { analyticsRef, certificatesRef, clockRef, consensusRef, definePlugin, resolverRef, schedulerRef } from '@hypermesh/runtime';
import { createDispatcher } from './api/dispatch.js';
import { OPERATIONS } from './api/operations/index.js';
import { ServiceAccess } from './api/service-access.js';
import { AuditLog } from './audit/audit-log.js';
import { ApiKeyStore } from './auth/api-keys.js';
import { createAuthenticator } from './auth/authenticate.js';
import { createJwtVerifier } from './auth/jwt.js';
import { gatewayConfigSchema } from './config.js';
import { GATEWAY_PLUGIN_NAME } from './errors.js';
import { gatewayRef } from './gateway-ref.js';
import { startGrpcServer, type GrpcFrontEnd } from './grpc/grpc-server.js';
import { startHttpServer, type HttpFrontEnd } from './http/http-server.js';
import { Router } from './http/router.js';
import { RateLimiter } from './limits/rate-limiter.js';
import { createGatewayMetrics } from './metrics.js';
import { nodeIntrospectionRef } from './node-introspection.js';

/**
 * The API gateway: REST (node:http) and gRPC (JSON messages) over the node's services, with API
 * keys or JWTs, RBAC, an audit log of mutating calls, zod validation, rate and size limits. Every
 * service is optional: an operation whose service is missing answers 503 naming the plugin.
 */
export const gatewayPlugin = definePlugin({
  name: GATEWAY_PLUGIN_NAME,
  version: '0.1.0',
  description: 'API gateway: REST and gRPC with API keys/JWT, RBAC, audit log and rate limits',
  requires: { runtime: '^0.1.0' },
  optionalServices: [consensusRef, schedulerRef, resolverRef, certificatesRef, analyticsRef, nodeIntrospectionRef],
  provides: [gatewayRef],
  config: gatewayConfigSchema,
  setup(ctx) {
    const config = ctx.config;
    const clock = ctx.use(clockRef);
    const metrics = createGatewayMetrics(ctx.metrics);
    const keys = new ApiKeyStore(config.auth.apiKeys, config.auth.keysFile);
    const auditLog = new AuditLog(config.audit.enabled ? config.audit.file : undefined, config.audit.memoryEntries, (err) => {
      metrics.auditWriteErrors.inc();
      ctx.logger.error({ err, file: config.audit.file }, 'an audit entry could not be written to the audit file');
    });
    const jwt = config.auth.jwt;
    const limits = config.rateLimit;
    const now = () => clock.now();
    const dispatch = createDispatcher({
      nodeId: ctx.nodeId,
      authenticate: createAuthenticator({
        keys,
        jwt: jwt === undefined ? undefined : createJwtVerifier(jwt),
        rbac: config.rbac,
        now,
      }),
      callerLimiter: limits.enabled ? new RateLimiter({ ratePerSecond: limits.requestsPerSecond, burst: limits.burst }, now) : undefined,
      anonymousLimiter: limits.enabled
        ? new RateLimiter({ ratePerSecond: limits.unauthenticatedPerSecond, burst: limits.unauthenticatedBurst }, now)
        : undefined,
      audit: config.audit.enabled ? auditLog : undefined,
      auditReader: auditLog,
      keys,
      services: new ServiceAccess((ref) => ctx.useOptional(ref), ctx.nodeId),
      metrics,
      registry: ctx.metrics.registry,
      now,
      logger: ctx.logger,
    });

    let http: HttpFrontEnd | undefined;
    let grpc: GrpcFrontEnd | undefined;
    ctx.provide(gatewayRef, {
      url: () => http?.url,
      grpcAddress: () => grpc?.address,
      audit: (query) => auditLog.list(query),
    });

    ctx.onStart(async () => {
      await keys.load();
      await auditLog.open();
      http = await startHttpServer({
        listen: config.listen,
        router: new Router(OPERATIONS),
        dispatch,
        maxBodyBytes: config.maxBodyBytes,
        requestTimeoutMs: config.requestTimeoutMs,
        metrics,
      });
      if (config.grpc.enabled) {
        grpc = await startGrpcServer({ listen: config.grpc.listen, operations: OPERATIONS, dispatch, maxMessageBytes: config.maxBodyBytes });
      }
      if (config.auth.apiKeys.length === 0 && jwt === undefined && config.auth.keysFile === undefined) {
        ctx.logger.warn('the gateway has no API keys and no JWT settings: every request except /healthz will get 401; add auth.apiKeys or auth.jwt');
      }
      ctx.logger.info({ url: http.url, grpc: grpc?.address }, 'API gateway listening');
    });
    ctx.onStop(async () => {
      await Promise.all([http?.close(), grpc?.close()]);
      http = undefined;
      grpc = undefined;
      await auditLog.close();
    });
    ctx.onHealthCheck(() =>
      http === undefined ? { status: 'down', detail: 'the API gateway is not listening' } : { status: 'ok', detail: `serving ${http.url}` },
    );
  },
});
