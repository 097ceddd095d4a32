import { execFileSync } from 'node:child_process';
import { appendFile, readFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey } from '@hypermesh/plugin-gateway';
import { clusterSections, loadClusterConfig } from '@hypermesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHypermesh, spawnHypermesh, waitForEvent } from '../testing/run-hypermesh.js';

// `hypermesh init` and `hypermesh up`, run as child processes.

describe('hypermesh init and up', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-up-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const SLOW_CHILDREN = 120_000;

  it('init writes a cluster.yaml that loadClusterConfig accepts, node keys and API keys', async () => {
    const run = await runHypermesh(['init', 'demo', '--name', 'demo', '--nodes', '4', '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { config: string; nodes: { id: string; address: string }[]; credentials: Record<string, string>; pki: string };
    const cluster = await loadClusterConfig(result.config);
    expect(cluster.metadata.name).toBe('demo');
    expect(cluster.spec.nodes?.map((n) => `${n.id}@${n.address}`)).toEqual(['node-1@127.0.0.1:7401', 'node-2@127.0.0.1:7402', 'node-3@127.0.0.1:7403', 'node-4@127.0.0.1:7404']);
    expect(cluster.spec.consensus.nodes).toBe(4);
    // PBFT timeouts for node processes that share a few cores (the plugin reads them from its slice).
    expect(clusterSections(cluster)['@hypermesh/plugin-pbft']).toMatchObject({ timeout: 1000, view_change_timeout: '2s' });
    // The config holds only hashes; the keys are in credentials/, readable by the owner alone.
    const gateway = cluster.spec.plugins['@hypermesh/plugin-gateway'] as { auth: { apiKeys: { id: string; role: string; sha256: string }[] } };
    for (const role of ['admin', 'operator', 'viewer']) {
      const file = result.credentials[role]!;
      const key = (await readFile(file, 'utf8')).trim();
      expect(gateway.auth.apiKeys.find((k) => k.role === role)?.sha256).toBe(hashApiKey(key));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(result.config, 'utf8')).not.toContain(key);
    }
    const publicKeys = JSON.parse(await readFile(join(dir, 'demo', 'keys', 'nodes.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(publicKeys)).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
    expect((await stat(join(dir, 'demo', 'keys', 'node-1.key'))).mode & 0o777).toBe(0o600);

    const again = await runHypermesh(['init', 'demo'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cluster.yaml exists; pass --force');
  }, SLOW_CHILDREN);

  it('up refuses a bad cluster.yaml, listing every problem with its path (exit 3)', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        'apiVersion: hypermesh.io/v1',
        'kind: Cluster',
        'metadata: { name: Bad_Name }',
        'spec:',
        '  consensus: { nodes: 4, timeout: soon }',
        '  networking: { transport: quic }',
        '  dns_ct: { listen: nowhere }',
        '  nodez: []',
      ].join('\n'),
    );
    const run = await runHypermesh(['up', '--config', file], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${file} is not a valid Cluster document (5 problems):`);
    for (const path of ['metadata.name', 'spec.consensus.timeout', 'spec.networking.transport', 'spec.dns_ct.listen', 'spec']) {
      expect(run.stderr).toContain(`  - ${path}: `);
    }
    expect(run.stderr).toContain("transport 'quic' is not available in this release");

    const missing = await runHypermesh(['up'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('cannot read cluster config');
    expect(missing.stderr).toContain('create one with `hypermesh init`');
  }, SLOW_CHILDREN);

  it('up runs the cluster embedded, serves the API and DNS, and stops cleanly on SIGINT (a SIGTERM during the stop does not cut it short)', async () => {
    const config = join(dir, 'demo', 'cluster.yaml');
    // A record of the zone's own, served by the DNS/CT plugin: spec.plugins merges over spec.dns_ct.
    await appendFile(config, ['    "@hypermesh/plugin-dns-ct":', '      zone:', '        records:', '          - { name: hello.svc, type: A, data: 10.1.2.3 }', ''].join('\n'));
    const up = spawnHypermesh(['up', '--config', config, '--json', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--dns-listen', '127.0.0.1:0'], { cwd: dir });
    try {
      const ready = await waitForEvent<{
        api: string;
        dns: string;
        mode: string;
        transport: string;
        nodes: { id: string; plugins: { name: string }[]; dns: string | null }[];
        missing: { plugin: string; reason: string }[];
      }>(up, 'ready');
      expect(ready.mode).toBe('embedded');
      expect(ready.transport).toBe('memory');
      expect(ready.nodes.map((n) => n.id)).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
      expect(ready.nodes[0]!.plugins.map((p) => p.name)).toContain('@hypermesh/plugin-gateway');
      // Plugins that are not installed are reported by name, never silently dropped.
      for (const m of ready.missing) expect(m.reason).toMatch(/not installed|failed to load/);

      const status = await runHypermesh(['status', '--json', '--api', ready.api, '--token-file', join(dir, 'demo', 'credentials', 'viewer.token')], { cwd: dir });
      expect(status.code).toBe(0);
      const body = JSON.parse(status.stdout) as { node: { id: string; plugins: { name: string }[] }; unavailable: { provider: string }[] };
      expect(body.node.id).toBe('node-1');
      expect(body.unavailable.map((u) => u.provider).sort()).toEqual([...new Set(ready.missing.map((m) => m.plugin))].filter((p) => p !== '@hypermesh/plugin-grpc').sort());

      // DNS: only the first node listens; the record answers over the wire (kdig) and through the API (dig).
      expect(ready.dns).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(ready.nodes.map((n) => n.dns !== null)).toEqual([true, false, false, false]);
      const [dnsHost, dnsPort] = ready.dns.split(':') as [string, string];
      expect(execFileSync('kdig', [`@${dnsHost}`, '-p', dnsPort, 'hello.svc.hypermesh.local', 'A', '+short'], { encoding: 'utf8' }).trim()).toBe('10.1.2.3');
      const dig = await runHypermesh(['dig', 'hello.svc.hypermesh.local', '--short', '--api', ready.api, '--token-file', join(dir, 'demo', 'credentials', 'viewer.token')], { cwd: dir });
      expect(dig).toMatchObject({ code: 0, stdout: '10.1.2.3\n' });

      const stopped = waitForEvent(up, 'stopped');
      const exit = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
      up.kill('SIGINT');
      // Ctrl-C followed by a supervisor's SIGTERM: the stop goes on to the end.
      setTimeout(() => up.kill('SIGTERM'), 20);
      await stopped;
      expect(await exit).toBe(0);
      // The port is free again.
      const after = await runHypermesh(['status', '--api', `127.0.0.1:${new URL(ready.api).port}`], { cwd: dir });
      expect(after.code).toBe(4);
      // …and so is the DNS port.
      expect(() => execFileSync('kdig', [`@${dnsHost}`, '-p', dnsPort, '+tcp', '+timeout=1', '+retry=0', 'hello.svc.hypermesh.local'], { stdio: 'pipe' })).toThrow();
    } finally {
      up.kill('SIGKILL');
    }
  }, SLOW_CHILDREN);
});
