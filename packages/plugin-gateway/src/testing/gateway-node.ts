// Starts a node with the gateway on port 0 for tests, with the given services as overrides.
import {
  analyticsRef,
  certificatesRef,
  consensusRef,
  createDefaultLogger,
  createNode,
  resolverRef,
  schedulerRef,
  type HypermeshNode,
  type ServiceOverride,
} from '@hypermesh/runtime';
import { createNodeIntrospection, gatewayPlugin, gatewayRef, nodeIntrospectionRef } from '../index.js';
import { testDoubleAnalytics, testDoubleCertificates, testDoubleConsensus, testDoubleResolver, testDoubleScheduler } from './contract-doubles.js';

/** Secrets of the API keys every test gateway accepts. */
export const TEST_KEYS = {
  viewer: 'viewer-key-0123456789abcdef',
  operator: 'operator-key-0123456789abcdef',
  admin: 'admin-key-0123456789abcdef',
} as const;

/** A JWT secret the test gateways accept. */
export const TEST_JWT_SECRET = 'a-test-secret-of-at-least-32-characters!';

/** Which test doubles to put behind the gateway (all by default). */
export interface TestGatewayOptions {
  readonly services?: { scheduler?: boolean; resolver?: boolean; certificates?: boolean; analytics?: boolean; consensus?: boolean };
  /** Extra gateway config merged over the test defaults. */
  readonly config?: Record<string, unknown>;
  readonly overrides?: readonly ServiceOverride[];
}

/** A started test gateway. */
export interface TestGateway {
  readonly node: HypermeshNode;
  /** REST base URL. */
  readonly url: string;
  /** gRPC HOST:PORT. */
  readonly grpcAddress: string | undefined;
  /** Stops the node and frees the ports. */
  stop(): Promise<void>;
}

/**
 * Starts a node with the gateway (REST and gRPC on port 0, API keys {@link TEST_KEYS}, JWT secret
 * {@link TEST_JWT_SECRET}) and test doubles of the services.
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const want = { scheduler: true, resolver: true, certificates: true, analytics: true, consensus: true, ...options.services };
  const overrides: ServiceOverride[] = [];
  if (want.scheduler) overrides.push([schedulerRef, testDoubleScheduler()]);
  if (want.resolver) overrides.push([resolverRef, testDoubleResolver()]);
  if (want.certificates) overrides.push([certificatesRef, testDoubleCertificates()]);
  if (want.analytics) overrides.push([analyticsRef, testDoubleAnalytics()]);
  if (want.consensus) overrides.push([consensusRef, testDoubleConsensus()]);
  const introspection = createNodeIntrospection();
  overrides.push([nodeIntrospectionRef, introspection], ...(options.overrides ?? []));
  const node = createNode({
    id: 'node-1',
    logger: createDefaultLogger('silent'),
    plugins: [gatewayPlugin],
    overrides,
    config: {
      '@hypermesh/plugin-gateway': {
        listen: '127.0.0.1:0',
        grpc: { listen: '127.0.0.1:0' },
        auth: {
          apiKeys: Object.entries(TEST_KEYS).map(([role, key]) => ({ id: `${role}-key`, role, key })),
          jwt: { secret: TEST_JWT_SECRET },
        },
        ...options.config,
      },
    },
  });
  introspection.attach(node);
  await node.start();
  const gateway = node.get(gatewayRef);
  return { node, url: gateway.url()!, grpcAddress: gateway.grpcAddress(), stop: () => node.stop() };
}
