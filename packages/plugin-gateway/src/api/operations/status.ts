import { analyticsRef, consensusRef, resolverRef, schedulerRef, type ServiceRef } from '@hypermesh/runtime';
import { nodeIntrospectionRef } from '../../node-introspection.js';
import { defineOperation, requestSchema, TextResult, type OperationContext } from '../operation.js';
import { missingService, type MissingService } from '../service-access.js';

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/** Everything `hypermesh status` shows, in one call; a missing service is listed, not an error. */
async function clusterStatus(ctx: OperationContext) {
  const missing: MissingService[] = [];
  const present = <T>(ref: ServiceRef<T>, service: T | undefined): service is T => {
    if (service === undefined) missing.push(missingService(ref));
    return service !== undefined;
  };
  const introspection = ctx.optionalService(nodeIntrospectionRef);
  const consensus = ctx.optionalService(consensusRef);
  const scheduler = ctx.optionalService(schedulerRef);
  const resolver = ctx.optionalService(resolverRef);
  const analytics = ctx.optionalService(analyticsRef);

  let node: Record<string, unknown> = { id: ctx.nodeId };
  if (present(nodeIntrospectionRef, introspection)) {
    const [description, health] = [introspection.describe(), await introspection.health()];
    node = {
      id: description.nodeId,
      state: description.state,
      runtime: description.runtime,
      health: health.status,
      plugins: health.plugins,
    };
  }
  const workloads = present(schedulerRef, scheduler) ? scheduler.list() : undefined;
  const threats = present(analyticsRef, analytics) ? analytics.recentThreats(100) : undefined;
  return {
    node,
    consensus: present(consensusRef, consensus) ? consensus.status() : null,
    nodes: scheduler === undefined ? null : scheduler.nodes(),
    workloads:
      workloads === undefined ? null : { total: workloads.length, byPhase: countBy(workloads, (w) => w.phase) },
    dns: present(resolverRef, resolver) ? { domain: resolver.zone.domain, records: resolver.zone.list().length, ...resolver.stats() } : null,
    analytics:
      analytics === undefined || threats === undefined
        ? null
        : {
            recentThreats: threats.length,
            bySeverity: countBy(threats, (t) => t.severity),
            byKind: countBy(threats, (t) => t.kind),
            topTalkers: analytics.topTalkers(5),
            model: analytics.modelStatus(),
          },
    unavailable: missing,
  };
}

/** `GET /v1/status`. */
export const getStatus = defineOperation({
  id: 'status.get',
  method: 'GET',
  path: '/v1/status',
  grpcMethod: 'GetStatus',
  role: 'viewer',
  mutating: false,
  summary: 'The node, consensus (view, primary, reputation), nodes, workloads, DNS and analytics figures',
  input: requestSchema({}),
  run: (_input, ctx) => clusterStatus(ctx),
});

/** `GET /v1/plugins`. */
export const listPlugins = defineOperation({
  id: 'plugins.list',
  method: 'GET',
  path: '/v1/plugins',
  grpcMethod: 'ListPlugins',
  role: 'viewer',
  mutating: false,
  summary: "The node's plugins in boot order (versions, services, hooks), from node.describe()",
  input: requestSchema({}),
  run: (_input, ctx) => ctx.service(nodeIntrospectionRef).describe(),
});

/** `GET /v1/health`. */
export const getHealth = defineOperation({
  id: 'health.get',
  method: 'GET',
  path: '/v1/health',
  grpcMethod: 'GetHealth',
  role: 'viewer',
  mutating: false,
  summary: "Every plugin's health check, from node.health()",
  input: requestSchema({}),
  run: (_input, ctx) => ctx.service(nodeIntrospectionRef).health(),
});

/** `GET /healthz`: liveness, no credentials. */
export const liveness = defineOperation({
  id: 'liveness',
  method: 'GET',
  path: '/healthz',
  grpcMethod: 'Liveness',
  role: 'public',
  mutating: false,
  summary: 'Liveness probe: 200 while the gateway serves (no credentials needed)',
  input: requestSchema({}),
  run: (_input, ctx) => ({ status: 'ok', node: ctx.nodeId }),
});

/** `GET /v1/whoami`. */
export const whoami = defineOperation({
  id: 'whoami',
  method: 'GET',
  path: '/v1/whoami',
  grpcMethod: 'WhoAmI',
  role: 'viewer',
  mutating: false,
  summary: 'Who the credentials belong to and their role',
  input: requestSchema({}),
  run: (_input, ctx) => ctx.principal,
});

/** `GET /v1/consensus`. */
export const getConsensus = defineOperation({
  id: 'consensus.status',
  method: 'GET',
  path: '/v1/consensus',
  grpcMethod: 'GetConsensus',
  role: 'viewer',
  mutating: false,
  summary: 'PBFT state on this node: view, primary, sequence numbers, replicas with reputation',
  input: requestSchema({}),
  run: (_input, ctx) => ctx.service(consensusRef).status(),
});

/** `GET /metrics`. */
export const scrapeMetrics = defineOperation({
  id: 'metrics',
  method: 'GET',
  path: '/metrics',
  grpcMethod: 'GetMetrics',
  role: 'viewer',
  mutating: false,
  summary: "The node's Prometheus metrics (text exposition format)",
  input: requestSchema({}),
  run: async (_input, ctx) => new TextResult(ctx.metrics.contentType, await ctx.metrics.metrics()),
});
