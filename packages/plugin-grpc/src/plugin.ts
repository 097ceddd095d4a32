import { clockRef, createServiceRef, definePlugin, transportRef } from '@hypermesh/runtime';
import { grpcTransportConfigSchema } from './config.js';
import { GrpcErrorCode, GrpcTransportError, PLUGIN_NAME } from './errors.js';
import { createGrpcTransport, type GrpcTransportService } from './transport/grpc-transport.js';

/** The package's version; `loadPlugins` checks it equals package.json. */
export const PLUGIN_VERSION = '0.1.0';

/**
 * The gRPC transport with its specifics (`address()`, `setPeers()`, `stats()`), for integrators and
 * plugins that need more than the `transport` contract. Provided by the plugin next to `transportRef`.
 */
export const grpcTransportRef = createServiceRef<GrpcTransportService>({
  id: 'grpc-transport',
  version: '1.0.0',
  description: 'The gRPC transport: listening address, peer list, per-peer statistics',
});

/**
 * Provides the `transport` service between processes and machines: one bidirectional gRPC stream
 * per pair of nodes, mutual TLS with certificates from a cluster CA that name each node's id,
 * reconnection with backoff, bounded send queues, size limits and metrics.
 */
export const grpcTransportPlugin = definePlugin({
  name: PLUGIN_NAME,
  version: PLUGIN_VERSION,
  description: 'Node-to-node transport over gRPC with mutual TLS',
  requires: { runtime: '^0.1.0' },
  provides: [transportRef, grpcTransportRef],
  config: grpcTransportConfigSchema,
  setup(ctx) {
    const nodeId = ctx.config.nodeId ?? ctx.nodeId;
    if (nodeId !== ctx.nodeId) {
      throw new GrpcTransportError(
        GrpcErrorCode.ConfigInvalid,
        `config nodeId '${nodeId}' differs from the node's id '${ctx.nodeId}'; remove nodeId or create the node with id '${nodeId}'`,
      );
    }
    const transport = createGrpcTransport({
      config: { ...ctx.config, nodeId },
      logger: ctx.logger,
      clock: ctx.use(clockRef),
      metrics: ctx.metrics,
    });
    ctx.provide(transportRef, transport);
    ctx.provide(grpcTransportRef, transport);
    ctx.onStart(() => transport.start());
    ctx.onStop(() => transport.stop());
    ctx.onHealthCheck(() => {
      const peers = transport.stats().peers;
      const down = Object.entries(peers).filter(([, p]) => p.status === 'down').map(([id]) => id);
      const total = Object.keys(peers).length;
      if (down.length === 0) return { status: 'ok', detail: `${total} of ${total} peers up` };
      return { status: 'degraded', detail: `${down.length} of ${total} peers unreachable: ${down.join(', ')}` };
    });
  },
});
