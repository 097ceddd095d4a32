import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_KEYS } from '../testing/gateway-node.js';
import { createGatewayGrpcClient, type GatewayGrpcClient } from './service-definition.js';

// The gateway's gRPC API (generic service, JSON messages) over a real HTTP/2 connection, with
// test doubles of the contracts behind it.

function unary(client: GatewayGrpcClient, method: string, request: unknown, token?: string): Promise<{ value?: unknown; error?: ServiceError }> {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    client[method]!(request, metadata, (error: ServiceError | null, value: unknown) => resolve(error === null ? { value } : { error }));
  });
}

const errorOf = (error: ServiceError | undefined) => JSON.parse(String(error?.metadata.get('hypermesh-error')[0])) as { code: string; message: string; details?: { issues: { path: string }[] } };

describe('gateway gRPC API', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function start(options: Parameters<typeof startTestGateway>[0] = {}) {
    const gateway = await startTestGateway(options);
    cleanups.push(gateway.stop);
    const client = createGatewayGrpcClient(gateway.grpcAddress!, credentials.createInsecure());
    cleanups.push(() => client.close());
    return { gateway, client };
  }

  it('authenticates from metadata, authorises by role and validates like REST', async () => {
    const { client, gateway } = await start();
    const anonymous = await unary(client, 'GetStatus', {});
    expect(anonymous.error?.code).toBe(status.UNAUTHENTICATED);
    expect(errorOf(anonymous.error).code).toBe('E_GATEWAY_UNAUTHENTICATED');

    const viewer = await unary(client, 'GetStatus', {}, TEST_KEYS.viewer);
    expect(viewer.value).toMatchObject({ node: { id: 'node-1' }, consensus: { primary: 'node-4' } });

    const spec = { name: 'worker', command: ['/bin/worker'], resources: { cpuMillis: 100, memoryBytes: '32Mi', pids: 8 } };
    const denied = await unary(client, 'DeployWorkload', { body: spec }, TEST_KEYS.viewer);
    expect(denied.error?.code).toBe(status.PERMISSION_DENIED);

    const deployed = await unary(client, 'DeployWorkload', { body: spec }, TEST_KEYS.operator);
    expect(deployed.value).toEqual({ placement: { workload: 'worker', namespace: 'default', node: 'node-1', sequence: 1 } });
    const got = await unary(client, 'GetWorkload', { params: { name: 'worker' } }, TEST_KEYS.viewer);
    expect(got.value).toMatchObject({ name: 'worker', phase: 'running' });

    const invalid = await unary(client, 'DeployWorkload', { body: { ...spec, resources: { ...spec.resources, pids: -1 } } }, TEST_KEYS.operator);
    expect(invalid.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(errorOf(invalid.error).details?.issues.map((i) => i.path)).toEqual(['body.resources.pids']);

    const audit = (await unary(client, 'ListAudit', {}, TEST_KEYS.admin)).value as { entries: { transport: string; outcome: string }[] };
    expect(audit.entries.map((e) => `${e.transport}:${e.outcome}`)).toEqual(['grpc:invalid', 'grpc:ok', 'grpc:denied']);
    // The same call over REST sees the same state.
    const rest = await fetch(`${gateway.url}/v1/workloads`, { headers: { authorization: `Bearer ${TEST_KEYS.viewer}` } });
    expect(((await rest.json()) as { workloads: { name: string }[] }).workloads.map((w) => w.name)).toEqual(['worker']);
  });

  it('answers UNAVAILABLE naming the plugin for a missing service, and NOT_FOUND for an unknown workload', async () => {
    const { client } = await start({ services: { resolver: false } });
    const missing = await unary(client, 'LookupDns', { query: { name: 'echo.svc.hypermesh.local' } }, TEST_KEYS.viewer);
    expect(missing.error?.code).toBe(status.UNAVAILABLE);
    expect(missing.error?.details).toContain('@hypermesh/plugin-dns-ct');
    const unknown = await unary(client, 'GetWorkload', { params: { name: 'ghost' } }, TEST_KEYS.viewer);
    expect(unknown.error?.code).toBe(status.NOT_FOUND);
  });

  it('refuses a request that is not a JSON object', async () => {
    const { client } = await start();
    const bad = await unary(client, 'GetStatus', [1, 2], TEST_KEYS.viewer);
    expect(bad.error?.code).toBe(status.INVALID_ARGUMENT);
  });
});
