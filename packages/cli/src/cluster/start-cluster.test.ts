import { definePlugin, keysRef, parseClusterConfig, transportRef, type AnyPlugin, createDefaultLogger, createServiceRef } from '@hypermesh/runtime';
import { gatewayPlugin } from '@hypermesh/plugin-gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { assembleNode } from './assemble-node.js';
import { offsetPort } from './node-ids.js';
import type { PluginSource } from './plugin-catalog.js';
import { startCluster, type RunningCluster } from './start-cluster.js';
import { grpcTransportPlugin } from '@hypermesh/plugin-grpc';
import { datapathPlugin } from '@hypermesh/ebpf';
import { datapathRef } from '@hypermesh/runtime';
import { datapathSlice } from './config-slices.js';
import { closedPort } from '../testing/run-hypermesh.js';

// startCluster / assembleNode in process, with a plugin source that knows only the plugins given
// here, so what is "installed" is under the test's control.

const cluster = (extra = '') =>
  parseClusterConfig(`apiVersion: hypermesh.io/v1
kind: Cluster
metadata: { name: test }
spec:
  consensus: { nodes: 4 }
  security: { rbac_enabled: false }
${extra}`);

/** A probe that signs a hello with the node's key and broadcasts it; it records verified hellos. */
const helloRef = createServiceRef<{ heard(): string[] }>({ id: 'test.hello', version: '1.0.0' });
const helloPlugin = definePlugin({
  name: '@test/plugin-hello',
  version: '1.0.0',
  requires: { services: [transportRef, keysRef] },
  provides: [helloRef],
  setup(ctx) {
    const transport = ctx.use(transportRef);
    const keys = ctx.use(keysRef);
    const heard: string[] = [];
    transport.subscribe('hello', (from, payload) => {
      const signature = payload.subarray(0, 64);
      if (keys.verify(from, payload.subarray(64), signature)) heard.push(from);
    });
    ctx.onStart(() => {
      const message = new TextEncoder().encode(`hello from ${ctx.nodeId}`);
      transport.broadcast('hello', new Uint8Array([...keys.sign(message), ...message]));
    });
    ctx.provide(helloRef, { heard: () => [...heard].sort() });
  },
});

const only =
  (plugins: Record<string, AnyPlugin>): PluginSource =>
  async (name) => {
    const plugin = plugins[name];
    if (plugin === undefined) throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    return plugin;
  };

describe('startCluster and assembleNode', () => {
  let running: RunningCluster | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('starts every node on one memory network with signed identities, reporting plugins that are not installed', async () => {
    const viewerKey = 'a-viewer-key-0123456789';
    running = await startCluster(cluster(`  plugins:\n    '@hypermesh/plugin-gateway': { auth: { apiKeys: [{ id: ci, role: viewer, key: ${viewerKey} }] } }`), {
      pluginSource: only({ '@hypermesh/plugin-gateway': gatewayPlugin }),
      plugins: { '@test/plugin-hello': helloPlugin },
      api: { listen: '127.0.0.1:0', grpcListen: false },
      logger: createDefaultLogger('silent'),
    });
    expect(running.nodes.map((n) => n.id)).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
    expect(running.missing.map((m) => `${m.plugin}: ${m.reason}`)).toEqual([
      '@hypermesh/plugin-pbft: not installed',
      '@hypermesh/plugin-dns-ct: not installed',
      '@hypermesh/plugin-stoq: not installed',
      '@hypermesh/plugin-scheduler: not installed',
    ]);
    // Only the first node serves the API.
    expect(running.nodes.map((n) => n.plugins.map((p) => p.name))).toEqual([
      ['@hypermesh/plugin-gateway', '@test/plugin-hello'],
      ['@test/plugin-hello'],
      ['@test/plugin-hello'],
      ['@test/plugin-hello'],
    ]);
    expect(running.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const n of running.nodes) {
      expect(n.node.get(helloRef).heard()).toEqual(['node-1', 'node-2', 'node-3', 'node-4'].filter((id) => id !== n.id));
    }
    // security.rbac_enabled: false reaches the gateway: a viewer key acts as admin.
    const keys = await fetch(`${running.api}/v1/keys`, { headers: { authorization: `Bearer ${viewerKey}` } });
    expect(keys.status).toBe(200);
    expect(await keys.json()).toEqual({ keys: [{ id: 'ci', role: 'viewer', source: 'config' }] });
  });

  it('connects the nodes over gRPC + mutual TLS when the transport is grpc (an in-memory CA without pki/)', async () => {
    const ports = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
    const nodes = ports.map((port, i) => `    - { id: node-${i + 1}, address: 127.0.0.1:${port} }`).join('\n');
    running = await startCluster(cluster(`  networking: { transport: grpc }\n  nodes:\n${nodes}`), {
      pluginSource: only({ '@hypermesh/plugin-grpc': grpcTransportPlugin }),
      plugins: { '@test/plugin-hello': helloPlugin },
      gateway: 'none',
      logger: createDefaultLogger('silent'),
    });
    expect(running.transport).toBe('grpc');
    expect(running.network).toBeUndefined();
    expect(running.nodes[0]!.plugins.map((p) => p.name)).toEqual(['@hypermesh/plugin-grpc', '@test/plugin-hello']);
    // Hellos sent at start may precede the streams; the transport queues them until peers are up.
    const deadline = Date.now() + 10_000;
    const everyoneHeard = () => running!.nodes.every((n) => n.node.get(helloRef).heard().length === 3);
    while (!everyoneHeard() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const n of running.nodes) {
      expect(n.node.get(helloRef).heard()).toEqual(['node-1', 'node-2', 'node-3', 'node-4'].filter((id) => id !== n.id));
    }
    const health = await running.nodes[0]!.node.health();
    expect(health.plugins.find((p) => p.name === '@hypermesh/plugin-grpc')).toMatchObject({ status: 'ok', detail: '3 of 3 peers up' });
  });

  it('places the datapath when spec.networking.ebpf_programs asks for it; only the DNS node attaches', async () => {
    const doc = cluster(
      [
        '  networking:',
        '    ebpf_programs: [{ name: dns_filter, attach_point: xdp, interface: hm-none0 }, { name: flow_stats, attach_point: tc_ingress, interface: hm-none0 }]',
        "  plugins: { '@hypermesh/ebpf': { mode: userspace } }",
      ].join('\n'),
    );
    expect(datapathSlice(doc, true, '127.0.0.1:5300')).toEqual({ interfaces: [{ name: 'hm-none0' }], dnsPort: 5300, mode: 'userspace' });
    expect(datapathSlice(doc, false, undefined)).toEqual({ interfaces: [], dnsPort: 5353, mode: 'userspace' });
    // userspace mode: nothing is loaded into the kernel, so the test cannot disturb the machine.
    running = await startCluster(doc, { pluginSource: only({ '@hypermesh/ebpf': datapathPlugin }), gateway: 'none', logger: createDefaultLogger('silent') });
    for (const n of running.nodes) {
      expect(n.plugins.map((p) => p.name)).toEqual(['@hypermesh/ebpf']);
      expect(n.node.get(datapathRef).capabilities().mode).toBe('userspace');
    }
  });

  it('refuses the grpc transport without node addresses', async () => {
    await expect(
      assembleNode(cluster('  networking: { transport: grpc }'), 'node-1', { pluginSource: only({ '@hypermesh/plugin-grpc': grpcTransportPlugin }), gateway: false }),
    ).rejects.toThrow('transport grpc needs spec.nodes[].address for every node; no node has one (hypermesh init writes them)');
  });

  it('names a node that is not in the cluster, and a spec.plugins entry that is not installed', async () => {
    await expect(assembleNode(cluster(), 'node-9', { pluginSource: only({}), transport: 'grpc', gateway: false })).rejects.toThrow(
      "node 'node-9' is not in the cluster 'test' (its nodes: node-1, node-2, node-3, node-4)",
    );
    await expect(
      assembleNode(cluster("  plugins:\n    '@acme/plugin-audit': { file: x }"), 'node-1', { pluginSource: only({}), transport: 'grpc', gateway: false }),
    ).rejects.toThrow("spec.plugins names '@acme/plugin-audit', but it is not installed; install it next to the CLI or remove its section");
  });

  it('rolls back every node when one fails to start, naming it', async () => {
    const failing = definePlugin({
      name: '@test/plugin-fails',
      version: '1.0.0',
      setup(ctx) {
        if (ctx.nodeId === 'node-3') ctx.onStart(() => Promise.reject(new Error('disk on fire')));
      },
    });
    await expect(
      startCluster(cluster(), { pluginSource: only({}), plugins: { '@test/plugin-fails': failing }, gateway: 'none', logger: createDefaultLogger('silent') }),
    ).rejects.toThrow(/cluster 'test' did not start:\n {2}- node node-3: .*disk on fire/);
  });

  it('offsets fixed ports per node and keeps port 0', () => {
    expect(offsetPort('127.0.0.1:8080', 2)).toBe('127.0.0.1:8082');
    expect(offsetPort('[::1]:9090', 1)).toBe('[::1]:9091');
    expect(offsetPort('127.0.0.1:0', 3)).toBe('127.0.0.1:0');
  });
});
