import { clusterSections, createNode, parseClusterConfig, resolverRef } from '@hypermesh/runtime';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { dnsCtConfigSchema } from './config.js';
import { PLUGIN_NAME } from './errors.js';
import { dnsCtPlugin } from './plugin.js';

const CLUSTER = `
apiVersion: hypermesh.io/v1
kind: Cluster
metadata:
  name: production-cluster
spec:
  dns_ct:
    enabled: false
    domain: prod.hypermesh.local
    listen: 127.0.0.1:0
    forwarders: [127.0.0.1:53, 127.0.0.2:53]
    agreement: upstreams
    cache_size: 10K
    ct_logs: [https://ct.example.org/log/]
    ct_policy: enforce
    performance_target:
      resolution_time_ms: 1
`;

describe('config', () => {
  it("accepts the Cluster document's spec.dns_ct slice as clusterSections() gives it", async () => {
    const sections = clusterSections(parseClusterConfig(CLUSTER));
    const slice = sections[PLUGIN_NAME];
    const parsed = dnsCtConfigSchema.parse(slice);
    expect(parsed).toMatchObject({ domain: 'prod.hypermesh.local', cache_size: 10_000, agreement: 'upstreams', ct_policy: 'enforce', ct_logs: ['https://ct.example.org/log/'] });
    const node = createNode({ logger: pino({ level: 'silent' }), plugins: [dnsCtPlugin], config: { [PLUGIN_NAME]: slice } });
    await node.start();
    try {
      expect(node.get(resolverRef).zone.domain).toBe('prod.hypermesh.local');
    } finally {
      await node.stop();
    }
  });

  it('rejects combinations that cannot work, naming the fix', async () => {
    const node = createNode({ logger: pino({ level: 'silent' }), plugins: [dnsCtPlugin], config: { [PLUGIN_NAME]: { agreement: 'cluster', enabled: false } } });
    await expect(node.start()).rejects.toThrow(/agreement 'cluster' needs a consensus service/);
    expect(() => createNode({ logger: pino({ level: 'silent' }), plugins: [dnsCtPlugin], config: { [PLUGIN_NAME]: { forwarders: ['not an address'] } } })).toThrow(
      /forwarders\[0\]: must be HOST:PORT/,
    );
  });
});
