// Helpers for this package's tests: real transports on loopback, ephemeral ports, silent logs.
import { pino, type Logger } from 'pino';
import { createClusterCa, type ClusterCa } from '../certs/cluster-ca.js';
import type { GrpcTransportConfigInput } from '../config.js';
import { createGrpcTransport, type GrpcTransport } from '../transport/grpc-transport.js';

/** A logger that drops everything unless HYPERMESH_TEST_LOG is set (then: debug to stderr). */
export function testLogger(): Logger {
  return process.env.HYPERMESH_TEST_LOG ? pino({ level: 'debug' }, pino.destination(2)) : pino({ level: 'silent' });
}

/** Fast retries for tests. */
export const FAST_RECONNECT = { initialBackoff: 20, maxBackoff: 200, connectTimeout: 2_000 } as const;

/** Polls `predicate` every 10 ms until it holds, or fails after `timeoutMs` naming `what`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  readonly ca?: ClusterCa;
  readonly logger?: Logger;
  /** Extra config for every node (merged over the defaults). */
  readonly config?: Partial<GrpcTransportConfigInput>;
}

/** A transport's config for node `id` with certificates from `ca`, listening on an ephemeral port. */
export function nodeConfig(ca: ClusterCa, id: string, extra: Partial<GrpcTransportConfigInput> = {}): GrpcTransportConfigInput & { nodeId: string } {
  const cert = ca.issueNodeCertificate(id);
  return {
    nodeId: id,
    listen: '127.0.0.1:0',
    tls: { ca: ca.caCertPem, cert: cert.certPem, key: cert.keyPem },
    reconnect: FAST_RECONNECT,
    stopGrace: 500,
    ...extra,
  };
}

/**
 * Starts one transport per id on 127.0.0.1:0, then gives each the others' real addresses and
 * waits until every link is up. The caller stops them (see {@link stopAll}).
 */
export async function startCluster(ids: readonly string[], options: ClusterOptions = {}): Promise<{ ca: ClusterCa; transports: Record<string, GrpcTransport> }> {
  const ca = options.ca ?? createClusterCa();
  const logger = options.logger ?? testLogger();
  const transports: Record<string, GrpcTransport> = {};
  for (const id of ids) {
    transports[id] = createGrpcTransport({ config: nodeConfig(ca, id, options.config), logger: logger.child({ node: id }) });
  }
  try {
    await Promise.all(Object.values(transports).map((t) => t.start()));
    const addresses = Object.fromEntries(ids.map((id) => [id, transports[id]!.address()]));
    for (const id of ids) transports[id]!.setPeers(Object.fromEntries(Object.entries(addresses).filter(([peer]) => peer !== id)));
    await waitFor(() => ids.every((id) => Object.values(transports[id]!.stats().peers).every((p) => p.status === 'up')), 'every link up');
  } catch (err) {
    await stopAll(Object.values(transports));
    throw err;
  }
  return { ca, transports };
}

/** Stops transports, ignoring ones that were never started. */
export async function stopAll(transports: Iterable<GrpcTransport>): Promise<void> {
  await Promise.all([...transports].map((t) => t.stop()));
}
