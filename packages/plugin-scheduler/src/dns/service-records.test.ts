import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsCtPlugin, dnsServerRef } from '@hypermesh/plugin-dns-ct';
import { createNode, resolverRef, schedulerRef, type HypermeshNode } from '@hypermesh/runtime';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { schedulerPlugin } from '../index.js';
import { silent } from '../testing/fixtures.js';
import { until } from '../testing/wait.js';
import { serviceName, serviceRecords } from './service-records.js';

function kdigMissing(): string | undefined {
  try {
    execFileSync('kdig', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'kdig (knot-dnsutils) is not installed';
  }
}
const noKdig = kdigMissing();
if (noKdig !== undefined) console.log(`skipping the kdig checks of service records: ${noKdig}`);

describe('service records', () => {
  it('names a workload NAME.svc (NAME.NAMESPACE.svc outside default) with A and SRV records per port', () => {
    expect(serviceName({ name: 'echo' })).toBe('echo.svc');
    expect(serviceName({ name: 'echo', namespace: 'team' })).toBe('echo.team.svc');
    const records = serviceRecords(
      { name: 'echo', command: ['x'], resources: { cpuMillis: 1, memoryBytes: 1, pids: 1 }, ports: [{ name: 'http', port: 8080, protocol: 'tcp' }, { name: 'dns', port: 5353, protocol: 'udp' }] },
      '10.0.0.7',
      'hypermesh.local',
      5,
    );
    expect(records).toEqual([
      { name: 'echo.svc', type: 'A', ttl: 5, data: '10.0.0.7' },
      { name: '_http._tcp.echo.svc', type: 'SRV', ttl: 5, data: { priority: 0, weight: 0, port: 8080, target: 'echo.svc.hypermesh.local' } },
      { name: 'echo.svc', type: 'SRV', ttl: 5, data: { priority: 0, weight: 0, port: 8080, target: 'echo.svc.hypermesh.local' } },
      { name: '_dns._udp.echo.svc', type: 'SRV', ttl: 5, data: { priority: 0, weight: 0, port: 5353, target: 'echo.svc.hypermesh.local' } },
      { name: 'echo.svc', type: 'SRV', ttl: 5, data: { priority: 0, weight: 0, port: 5353, target: 'echo.svc.hypermesh.local' } },
    ]);
  });

  describe('with @hypermesh/plugin-dns-ct on the node', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'hm-sched-dns-'));
    let node: HypermeshNode | undefined;
    afterEach(async () => {
      await node?.stop();
      node = undefined;
    });
    afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

    it('the DNS server answers NAME.svc.<domain> once the workload runs, and stops when it is removed', async () => {
      node = createNode({
        id: 'dns-node',
        logger: silent,
        plugins: [dnsCtPlugin, schedulerPlugin],
        config: {
          '@hypermesh/plugin-dns-ct': { domain: 'hypermesh.local', listen: '127.0.0.1:0' },
          '@hypermesh/plugin-scheduler': { heartbeatIntervalMs: 100, node: { address: '127.0.0.1' }, agent: { runtime: 'process', stateDir } },
        },
      });
      await node.start();
      const scheduler = node.get(schedulerRef);
      const resolver = node.get(resolverRef);
      await until(() => scheduler.nodes().length === 1, 'the node to register');
      await scheduler.deploy({ name: 'echo', command: ['sleep', '60'], resources: { cpuMillis: 100, memoryBytes: 32 * 2 ** 20, pids: 10 }, ports: [{ name: 'http', port: 18090, protocol: 'tcp' }] });
      await until(async () => (await resolver.resolve({ name: 'echo.svc.hypermesh.local', type: 'A' })).answers.length > 0, 'the A record', 15_000);
      const srv = await resolver.resolve({ name: '_http._tcp.echo.svc.hypermesh.local', type: 'SRV' });
      expect(srv.answers[0]).toMatchObject({ type: 'SRV', data: { port: 18090, target: 'echo.svc.hypermesh.local' } });

      if (noKdig === undefined) {
        const { port } = node.get(dnsServerRef).addresses()!.udp;
        // asynchronously: the server answering is in this process
        const dig = async (name: string, type: string) =>
          (await promisify(execFile)('kdig', ['@127.0.0.1', '-p', String(port), '+short', '+timeout=2', name, type], { encoding: 'utf8' })).stdout.trim();
        expect(await dig('echo.svc.hypermesh.local', 'A')).toBe('127.0.0.1');
        expect(await dig('echo.svc.hypermesh.local', 'SRV')).toBe('0 0 18090 echo.svc.hypermesh.local.');
      }

      await scheduler.remove('echo');
      await until(async () => (await resolver.resolve({ name: 'echo.svc.hypermesh.local', type: 'A' })).rcode === 'NXDOMAIN', 'the records to go', 15_000);
    });
  });
});
