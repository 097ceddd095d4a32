import { createNode, transportRef, type HypermeshNode } from '@hypermesh/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterCa } from './certs/cluster-ca.js';
import { grpcTransportPlugin, grpcTransportRef } from './plugin.js';
import { FAST_RECONNECT, testLogger, waitFor } from './test-support/cluster.js';

const ca = createClusterCa();

function grpcNode(id: string, extra: Record<string, unknown> = {}): HypermeshNode {
  const cert = ca.issueNodeCertificate(id);
  return createNode({
    id,
    logger: testLogger(),
    plugins: [grpcTransportPlugin],
    config: {
      '@hypermesh/plugin-grpc': { listen: '127.0.0.1:0', tls: { ca: ca.caCertPem, cert: cert.certPem, key: cert.keyPem }, reconnect: FAST_RECONNECT, stopGrace: 300, ...extra },
    },
  });
}

async function metricValue(node: HypermeshNode, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await node.metrics.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

describe('the plugin in a node', () => {
  let nodes: HypermeshNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it('provides `transport` to the node, reports health and exports metrics', async () => {
    nodes = [grpcNode('a'), grpcNode('b')];
    const [a, b] = nodes as [HypermeshNode, HypermeshNode];
    await Promise.all(nodes.map((n) => n.start()));
    a.get(grpcTransportRef).setPeers({ b: b.get(grpcTransportRef).address() });
    b.get(grpcTransportRef).setPeers({ a: a.get(grpcTransportRef).address() });
    const ta = a.get(transportRef);
    const tb = b.get(transportRef);
    expect(ta.nodeId).toBe('a');
    expect(ta.maxMessageBytes).toBe(4 * 1024 * 1024);
    const got: string[] = [];
    tb.subscribe('hello', (from, payload) => got.push(`${from}:${payload.byteLength}`));
    ta.send('b', 'hello', new Uint8Array(100));
    await waitFor(() => got.length === 1, 'delivery through the node');
    expect(got).toEqual(['a:100']);

    expect((await a.health()).plugins[0]).toMatchObject({ status: 'ok', detail: '1 of 1 peers up' });
    expect(await metricValue(a, 'hypermesh_transport_sent_messages_total', { peer: 'b' })).toBe(1);
    expect(await metricValue(a, 'hypermesh_transport_sent_bytes_total', { peer: 'b' })).toBe(107);
    expect(await metricValue(b, 'hypermesh_transport_received_bytes_total', { peer: 'a' })).toBe(107);
    expect(await metricValue(a, 'hypermesh_transport_peer_up', { peer: 'b' })).toBe(1);
    expect(await metricValue(a, 'hypermesh_transport_queue_messages', { peer: 'b' })).toBe(0);
    expect(await metricValue(a, 'hypermesh_transport_dropped_total', { peer: 'b', reason: 'queue-full' })).toBe(0);
    expect(await metricValue(a, 'hypermesh_transport_connect_attempts_total', { peer: 'b' })).toBe(1);
    expect(await metricValue(b, 'hypermesh_transport_refused_streams_total', { reason: 'identity-mismatch' })).toBe(0);

    await b.stop();
    await waitFor(() => ta.peers().length === 1 && a.get(grpcTransportRef).stats().peers.b!.status === 'down', 'b down');
    expect((await a.health()).plugins[0]).toMatchObject({ status: 'degraded', detail: '1 of 1 peers unreachable: b' });
    expect(await metricValue(a, 'hypermesh_transport_peer_up', { peer: 'b' })).toBe(0);
  });

  it('fails to start, naming the problem, when the certificate belongs to another node', async () => {
    const other = ca.issueNodeCertificate('c');
    const node = createNode({
      id: 'a',
      logger: testLogger(),
      plugins: [grpcTransportPlugin],
      config: { '@hypermesh/plugin-grpc': { listen: '127.0.0.1:0', tls: { ca: ca.caCertPem, cert: other.certPem, key: other.keyPem } } },
    });
    nodes = [node];
    const failure = await node.start().then(
      () => undefined,
      (err: unknown) => err as Error & { code: string; cause: { code: string; message: string } },
    );
    expect(failure?.code).toBe('E_START_FAILED');
    expect(failure?.cause).toMatchObject({ code: 'E_GRPC_TLS_CONFIG', message: "tls.cert names node 'c', but this node is 'a'; give this node its own certificate" });
  });

  it('refuses a config nodeId that differs from the node id, and invalid config fields', async () => {
    const mismatch = grpcNode('a', { nodeId: 'b' });
    nodes = [mismatch];
    await expect(mismatch.start()).rejects.toMatchObject({ cause: { code: 'E_GRPC_CONFIG' } });
    expect(() => grpcNode('a', { listen: 'nowhere', peers: { 'bad id': 'x' } })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/listen[\s\S]*HOST:PORT[\s\S]*peers/) }),
    );
  });
});
