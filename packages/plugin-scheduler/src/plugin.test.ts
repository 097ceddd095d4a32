import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNode, resolverRef, schedulerRef, type HypermeshNode, type ResolverService, type ZoneRecordInput } from '@hypermesh/runtime';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { schedulerPlugin } from './index.js';
import { silent } from './testing/fixtures.js';
import { freePort, until } from './testing/wait.js';

const MiB = 2 ** 20;
const small = { cpuMillis: 100, memoryBytes: 64 * MiB, pids: 20 };

/** A service-discovery zone that keeps what it is given (the DNS plugin's role). */
function memoryZone() {
  const records = new Map<string, ZoneRecordInput[]>();
  const resolver: ResolverService = {
    resolve: () => Promise.reject(new Error('not used')),
    zone: {
      domain: 'hypermesh.test',
      upsert: async (input) => {
        const byName = new Map<string, ZoneRecordInput[]>();
        for (const r of input) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
        for (const [name, rs] of byName) records.set(name, [...(records.get(name) ?? []).filter((x) => !rs.some((r) => r.type === x.type)), ...rs]);
      },
      remove: async (name) => void records.delete(name),
      list: () => [],
    },
    stats: () => ({ queries: 0, cacheHits: 0, cacheMisses: 0, cacheEntries: 0, hitRate: 0 }),
  };
  return { resolver, records };
}

describe('scheduler plugin on one embedded node (no consensus, process runtime)', () => {
  let node: HypermeshNode | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'hm-sched-plugin-'));
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  async function start(config: Record<string, unknown> = {}, withZone = false) {
    const zone = memoryZone();
    node = createNode({
      id: 'solo',
      logger: silent,
      plugins: [schedulerPlugin],
      config: {
        '@hypermesh/plugin-scheduler': {
          heartbeatIntervalMs: 100,
          agent: { runtime: 'process', stateDir, restartBackoff: { initialMs: 50, maxMs: 400 }, stopGraceMs: 500 },
          node: { capacity: { cpuMillis: 2000, memoryBytes: 1024 * MiB, pids: 500 }, labels: { zone: 'a' } },
          ...config,
        },
      },
      ...(withZone ? { overrides: [[resolverRef, zone.resolver]] as const } : {}),
    });
    await node.start();
    const scheduler = node.get(schedulerRef);
    await until(() => scheduler.nodes().length === 1, 'the node to register');
    return { scheduler, zone };
  }

  it('says which runtime it chose and why', async () => {
    const { scheduler } = await start();
    expect(scheduler.agent()).toEqual({ node: 'solo', runtime: 'process', reason: expect.stringContaining('the process runtime was configured') });
    expect(scheduler.nodes()[0]).toMatchObject({ id: 'solo', labels: { zone: 'a' }, runtimes: ['process'], ready: true, capacity: { cpuMillis: 2000 } });
  });

  it('deploys, runs, captures logs, and removes a workload', async () => {
    const { scheduler } = await start();
    const placement = await scheduler.deploy({ name: 'hello', command: ['sh', '-c', 'echo "hi from $WHO"; echo warn >&2; sleep 60'], env: { WHO: 'hello' }, resources: small });
    expect(placement).toMatchObject({ workload: 'hello', namespace: 'default', node: 'solo' });
    await until(() => scheduler.get('hello')?.phase === 'running', 'hello to run');
    expect(scheduler.get('hello')).toMatchObject({ node: 'solo', runtime: 'process', restarts: 0, address: '127.0.0.1' });
    await until(async () => (await scheduler.logs('hello')).some((l) => l.text === 'hi from hello'), 'its output');
    const logs = await scheduler.logs('hello');
    expect(logs.map((l) => `${l.stream}: ${l.text}`)).toEqual(expect.arrayContaining(['stdout: hi from hello', 'stderr: warn', expect.stringMatching(/^system: started container hm-solo-/)]));
    expect(await scheduler.logs('hello', 'default', { tail: 1 })).toHaveLength(1);
    expect(scheduler.nodes()[0]!.allocated).toEqual(small);
    await scheduler.remove('hello');
    expect(scheduler.get('hello')).toBeUndefined();
    expect(scheduler.nodes()[0]!.allocated.cpuMillis).toBe(0);
    await expect(scheduler.remove('hello')).rejects.toMatchObject({ code: 'E_SCHED_NOT_FOUND' });
    await expect(scheduler.logs('hello')).rejects.toMatchObject({ code: 'E_SCHED_NOT_FOUND' });
  });

  it('refuses bad specs, unschedulable workloads and quota overruns with their codes', async () => {
    const { scheduler } = await start({ quotas: { team: { workloads: 1 } } });
    await expect(scheduler.deploy({ name: 'Bad', command: [], resources: small })).rejects.toMatchObject({
      code: 'E_SCHED_INVALID',
      message: expect.stringContaining('name: must be a DNS label'),
    });
    await expect(scheduler.deploy({ name: 'huge', command: ['true'], resources: { ...small, memoryBytes: 64 * 1024 * MiB } })).rejects.toMatchObject({
      code: 'E_SCHED_UNSCHEDULABLE',
      message: "workload 'default/huge' is unschedulable: 0/1 nodes are available: 1 × resource-fit: insufficient memory",
    });
    expect(scheduler.get('huge')).toMatchObject({ phase: 'unschedulable', reason: expect.stringContaining('resource-fit') });
    await scheduler.deploy({ name: 'one', namespace: 'team', command: ['sleep', '60'], resources: small });
    await expect(scheduler.deploy({ name: 'two', namespace: 'team', command: ['sleep', '60'], resources: small })).rejects.toMatchObject({ code: 'E_SCHED_QUOTA' });
    await scheduler.setQuota('team', { workloads: 2 });
    await scheduler.deploy({ name: 'two', namespace: 'team', command: ['sleep', '60'], resources: small });
    expect(scheduler.quotas().find((q) => q.namespace === 'team')).toMatchObject({ limits: { workloads: 2 }, used: { workloads: 2 } });
  });

  it('restarts a failing workload with back-off, and gives up under restartPolicy never', async () => {
    const { scheduler } = await start();
    await scheduler.deploy({ name: 'crashy', command: ['sh', '-c', 'echo boom; exit 2'], resources: small, restartPolicy: 'on-failure' });
    await until(() => (scheduler.get('crashy')?.restarts ?? 0) >= 3, 'three restarts');
    const logs = (await scheduler.logs('crashy')).map((l) => l.text);
    expect(logs).toEqual(expect.arrayContaining(['boom', 'restarting in 50 ms (restart 1)', 'restarting in 100 ms (restart 2)', 'restarting in 200 ms (restart 3)']));
    await scheduler.deploy({ name: 'once', command: ['sh', '-c', 'exit 7'], resources: small, restartPolicy: 'never' });
    await until(() => scheduler.get('once')?.phase === 'failed', 'once to fail');
    expect(scheduler.get('once')).toMatchObject({ restarts: 0, reason: 'exited with code 7' });
    // a final failure gives the node its resources back
    expect(scheduler.nodes()[0]!.workloads).toBe(1);
    await scheduler.deploy({ name: 'done', command: ['true'], resources: small, restartPolicy: 'on-failure' });
    await until(() => scheduler.get('done')?.phase === 'stopped', 'done to stop');
  });

  it('health checks: http and exec pass; a failing tcp check restarts the workload', async () => {
    const { scheduler } = await start();
    const port = await freePort();
    const www = mkdtempSync(join(tmpdir(), 'hm-www-'));
    writeFileSync(join(www, 'index.html'), 'hello');
    await scheduler.deploy({
      name: 'web',
      command: ['busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', www],
      resources: small,
      ports: [{ name: 'http', port, protocol: 'tcp' }],
      healthCheck: { kind: 'http', port, path: '/index.html', intervalMs: 100, timeoutMs: 500 },
    });
    await until(() => scheduler.get('web')?.health === 'healthy', 'web to be healthy');
    await scheduler.deploy({ name: 'execd', command: ['sleep', '60'], resources: small, healthCheck: { kind: 'exec', command: ['test', '-d', '/'], intervalMs: 100 } });
    await until(() => scheduler.get('execd')?.health === 'healthy', 'execd to be healthy');
    const closed = await freePort();
    await scheduler.deploy({ name: 'deaf', command: ['sleep', '60'], resources: small, healthCheck: { kind: 'tcp', port: closed, intervalMs: 100, failureThreshold: 2 } });
    await until(() => (scheduler.get('deaf')?.restarts ?? 0) >= 1, 'deaf to be restarted');
    const logs = (await scheduler.logs('deaf')).map((l) => l.text);
    expect(logs).toEqual(expect.arrayContaining([expect.stringMatching(/^health check failed \(2\/2\): tcp 127\.0\.0\.1:\d+: connect ECONNREFUSED/)]));
    rmSync(www, { recursive: true, force: true });
  });

  it('publishes A and SRV records for a running workload with ports, and removes them with it', async () => {
    const { scheduler, zone } = await start({}, true);
    await scheduler.deploy({ name: 'echo', command: ['sleep', '60'], resources: small, ports: [{ name: 'http', port: 18080, protocol: 'tcp' }] });
    await until(() => zone.records.has('echo.svc'), 'the service records');
    expect(zone.records.get('echo.svc')).toEqual([
      { name: 'echo.svc', type: 'A', ttl: 5, data: '127.0.0.1' },
      { name: 'echo.svc', type: 'SRV', ttl: 5, data: { priority: 0, weight: 0, port: 18080, target: 'echo.svc.hypermesh.test' } },
    ]);
    expect(zone.records.get('_http._tcp.echo.svc')).toHaveLength(1);
    await scheduler.remove('echo');
    await until(() => !zone.records.has('echo.svc') && !zone.records.has('_http._tcp.echo.svc'), 'the records to go');
  });
});
