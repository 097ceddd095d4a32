import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterSections, loadClusterConfig, parseClusterConfig } from './cluster-config.js';

// The production example of the seed architecture, as written there.
const SEED_EXAMPLE = `
# HyperMesh Production Deployment Configuration
apiVersion: hypermesh.io/v1
kind: Cluster
metadata:
  name: production-cluster
spec:
  consensus:
    algorithm: pbft
    nodes: 7  # Tolerates 2 Byzantine failures
    timeout: 100ms
  dns_ct:
    enabled: true
    cache_size: 10M
    ct_logs:
      - "https://ct.googleapis.com/logs/argon2023/"
      - "https://ct.cloudflare.com/logs/nimbus2023/"
    performance_target:
      resolution_time_ms: 0.5
      throughput_gbps: 40
  stoq:
    enabled: true
    analytics:
      pattern_analysis: true
      anomaly_detection: true
      ml_inference: true
    performance:
      processing_latency_us: 20
      batch_size: 1000
  networking:
    transport: grpc
    mesh_enabled: true
    ipv6_primary: true
    ebpf_programs:
      - name: dns_filter
        path: /opt/hypermesh/ebpf/dns_filter.o
        attach_point: xdp
  security:
    certificate_validation: strict
    mTLS_required: true
    rbac_enabled: true
    audit_logging: true
  monitoring:
    metrics_collection: true
    distributed_tracing: true
    log_aggregation: true
    alerting:
      slack_webhook: "\${SLACK_WEBHOOK_URL}"
      pagerduty_key: "\${PAGERDUTY_KEY:-none}"
`;

describe('Cluster documents', () => {
  it('reads the seed example, with units parsed and ${ENV} interpolated', () => {
    const cluster = parseClusterConfig(SEED_EXAMPLE, { env: { SLACK_WEBHOOK_URL: 'https://hooks.example/abc' } });
    expect(cluster.metadata.name).toBe('production-cluster');
    expect(cluster.spec.consensus.nodes).toBe(7);
    expect(cluster.spec.consensus.timeout).toBe(100);
    expect(cluster.spec.dns_ct.cache_size).toBe(10_000_000);
    expect(cluster.spec.dns_ct.domain).toBe('hypermesh.local');
    expect(cluster.spec.monitoring.alerting.slack_webhook).toBe('https://hooks.example/abc');
    expect(cluster.spec.monitoring.alerting.pagerduty_key).toBe('none');
    expect(clusterSections(cluster)['@hypermesh/plugin-pbft']).toEqual(cluster.spec.consensus);
  });

  it('fills every default from a minimal document', () => {
    const cluster = parseClusterConfig('apiVersion: hypermesh.io/v1\nkind: Cluster\nmetadata: { name: dev }\n');
    expect(cluster.spec.consensus).toMatchObject({ algorithm: 'pbft', nodes: 4, timeout: 100 });
    expect(cluster.spec.stoq.analytics.anomaly_detection).toBe(true);
    expect(cluster.spec.networking.transport).toBe('memory');
  });

  it('reports every problem with its path in one error', () => {
    const text = `
apiVersion: hypermesh.io/v2
kind: Cluster
metadata:
  name: Prod_Cluster
spec:
  consensus:
    nodes: 0
    timeout: soon
  dns_ct:
    cach_size: 10
  networking:
    transport: quic
  monitoring:
    alerting:
      webhook: "\${MISSING_HOOK}"
`;
    let err: { code?: string; message?: string; details?: { issues: { path: string }[] } } = {};
    try {
      parseClusterConfig(text, { env: {}, source: 'cluster.yaml' });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('E_CONFIG_INVALID');
    const paths = err.details!.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'monitoring.alerting.webhook'.replace(/^/, 'spec.'),
        'apiVersion',
        'metadata.name',
        'spec.consensus.nodes',
        'spec.consensus.timeout',
        'spec.dns_ct',
        'spec.networking.transport',
      ]),
    );
    expect(err.message).toMatch(/^cluster\.yaml is not a valid Cluster document \(\d+ problems\):/);
    expect(err.message).toContain("spec.networking.transport: transport 'quic' is not available in this release");
    expect(err.message).toContain('spec.monitoring.alerting.webhook: environment variable MISSING_HOOK is not set');
    expect(err.message).toContain("spec.consensus.timeout: 'soon' is not a duration");
    expect(err.message).toContain('Unrecognized key: "cach_size"');
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseClusterConfig('apiVersion: hypermesh.io/v1\nkind: [Cluster\n')).toThrowError(/line \d+, column \d+/);
  });

  it('checks spec.nodes against consensus.nodes and duplicate ids', () => {
    const text = `apiVersion: hypermesh.io/v1
kind: Cluster
metadata: { name: dev }
spec:
  nodes: [{ id: a }, { id: a }, { id: b }]
  consensus: { nodes: 4 }
`;
    expect(() => parseClusterConfig(text)).toThrowError(/spec\.consensus\.nodes: is 4 but spec\.nodes lists 3 nodes[\s\S]*spec\.nodes\[1\]\.id: node id 'a' is listed twice/);
  });

  it('merges spec.plugins[name] over the section a plugin owns', () => {
    const cluster = parseClusterConfig(
      `apiVersion: hypermesh.io/v1
kind: Cluster
metadata: { name: dev }
spec:
  dns_ct: { forwarders: ["tls://9.9.9.9:853#dns.quad9.net"], cache_size: 5K }
  plugins:
    "@hypermesh/plugin-dns-ct": { listen_tls: "127.0.0.1:8853" }
    "@acme/x": { a: 1 }
`,
      { env: {} },
    );
    const slices = clusterSections(cluster);
    expect(slices['@hypermesh/plugin-dns-ct']).toMatchObject({ forwarders: ['tls://9.9.9.9:853#dns.quad9.net'], cache_size: 5000, listen_tls: '127.0.0.1:8853' });
    expect(slices['@acme/x']).toEqual({ a: 1 });
    expect(slices['@hypermesh/plugin-stoq']).toEqual(cluster.spec.stoq);
  });

  it('gives the analytics plugin the alert webhook and the cluster nodes it must never act against', () => {
    const cluster = parseClusterConfig(
      `apiVersion: hypermesh.io/v1
kind: Cluster
metadata: { name: dev }
spec:
  nodes: [{ id: a, address: "10.0.0.1:7700" }, { id: b, address: "[fd00::2]:7700" }, { id: c }, { id: d }]
  monitoring: { alerting: { webhook: "https://alerts.example/hook" } }
`,
      { env: {} },
    );
    expect(clusterSections(cluster)['@hypermesh/plugin-stoq']).toMatchObject({
      enabled: true,
      webhook: { url: 'https://alerts.example/hook' },
      policy: { cluster_nodes: [{ id: 'a', address: '10.0.0.1' }, { id: 'b', address: 'fd00::2' }] },
    });
  });

  it('$${ is a literal ${', () => {
    const cluster = parseClusterConfig('apiVersion: hypermesh.io/v1\nkind: Cluster\nmetadata: { name: dev }\nspec:\n  plugins:\n    "@acme/x": { template: "$${HOME}" }\n', {
      env: {},
    });
    expect(cluster.spec.plugins['@acme/x']).toEqual({ template: '${HOME}' });
  });
});

describe('loadClusterConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML and JSON files', async () => {
    await writeFile(join(dir, 'c.yaml'), SEED_EXAMPLE);
    await writeFile(join(dir, 'c.json'), JSON.stringify({ apiVersion: 'hypermesh.io/v1', kind: 'Cluster', metadata: { name: 'j' } }));
    expect((await loadClusterConfig(join(dir, 'c.yaml'), { env: { SLACK_WEBHOOK_URL: 'https://x.example/' } })).spec.consensus.nodes).toBe(7);
    expect((await loadClusterConfig(join(dir, 'c.json'))).metadata.name).toBe('j');
  });

  it('a missing file is a clear E_CONFIG_INVALID', async () => {
    await expect(loadClusterConfig(join(dir, 'nope.yaml'))).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      message: expect.stringContaining('cannot read cluster config'),
    });
  });
});
