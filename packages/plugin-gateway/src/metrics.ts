import type { PluginMetrics } from '@hypermesh/runtime';

/** Every metric the gateway exports. */
export interface GatewayMetrics {
  /** Requests answered, by operation (`route`), transport and status. */
  readonly requests: ReturnType<PluginMetrics['counter']>;
  /** Time to answer, by operation and transport. */
  readonly duration: ReturnType<PluginMetrics['histogram']>;
  /** Requests refused for missing or bad credentials, by reason. */
  readonly authFailures: ReturnType<PluginMetrics['counter']>;
  /** Requests refused by the rate limiter, by kind of caller. */
  readonly rateLimited: ReturnType<PluginMetrics['counter']>;
  /** Audit entries that could not be written to the file. */
  readonly auditWriteErrors: ReturnType<PluginMetrics['counter']>;
}

/** Registers the gateway's metrics in the node's registry. */
export function createGatewayMetrics(metrics: PluginMetrics): GatewayMetrics {
  return {
    requests: metrics.counter({
      name: 'hypermesh_gateway_requests_total',
      help: 'API requests answered, by operation, transport and HTTP status',
      labelNames: ['route', 'transport', 'status'],
    }),
    duration: metrics.histogram({
      name: 'hypermesh_gateway_request_duration_seconds',
      help: 'Time to answer an API request, by operation and transport',
      labelNames: ['route', 'transport'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    authFailures: metrics.counter({
      name: 'hypermesh_gateway_auth_failures_total',
      help: 'Requests refused for missing or invalid credentials (401) or an insufficient role (403)',
      labelNames: ['reason'],
    }),
    rateLimited: metrics.counter({
      name: 'hypermesh_gateway_rate_limited_total',
      help: 'Requests refused by the rate limiter (429), by caller kind',
      labelNames: ['caller'],
    }),
    auditWriteErrors: metrics.counter({
      name: 'hypermesh_gateway_audit_write_errors_total',
      help: 'Audit entries that could not be appended to the audit file',
    }),
  };
}
