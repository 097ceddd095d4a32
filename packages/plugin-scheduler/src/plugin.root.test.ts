import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNode, schedulerRef, type HypermeshNode } from '@hypermesh/runtime';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { schedulerPlugin } from './index.js';
import { silent } from './testing/fixtures.js';
import { freePort, runcMissing, until } from './testing/wait.js';

const skip = runcMissing();
if (skip !== undefined) console.log(`skipping the scheduler-with-runc tests: ${skip}`);

const fetchText = (url: string) =>
  new Promise<string>((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });

describe.skipIf(skip !== undefined)('scheduler plugin with runc (root)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'hm-sched-runc-'));
  const runcRoot = join('/run', `hypermesh-runc-plugin-test-${process.pid}`);
  let node: HypermeshNode | undefined;
  afterEach(async () => {
    await node?.stop(); // the agent stops and removes every container it ran
    node = undefined;
  });
  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(runcRoot, { recursive: true, force: true });
  });

  it('auto picks runc here, says why, and runs an HTTP workload from the busybox rootfs with health checks and logs', async () => {
    node = createNode({
      id: 'rooted',
      logger: silent,
      plugins: [schedulerPlugin],
      config: { '@hypermesh/plugin-scheduler': { heartbeatIntervalMs: 200, agent: { runtime: 'auto', stateDir, runcRoot, stopGraceMs: 1000 } } },
    });
    await node.start();
    const scheduler = node.get(schedulerRef);
    expect(scheduler.agent()).toMatchObject({ runtime: 'runc', reason: expect.stringMatching(/^runc .* works here \(root, cgroups v\d, a probe container ran\)$/) });
    await until(() => scheduler.nodes()[0]?.runtimes.includes('runc') ?? false, 'the node to register with runc');

    const port = await freePort();
    await scheduler.deploy({
      name: 'web',
      command: ['httpd', '-f', '-v', '-p', `127.0.0.1:${port}`, '-h', '/etc'],
      runtime: 'runc',
      resources: { cpuMillis: 200, memoryBytes: 32 * 2 ** 20, pids: 16 },
      ports: [{ name: 'http', port, protocol: 'tcp' }],
      healthCheck: { kind: 'http', port, path: '/hosts', intervalMs: 200 },
    });
    await until(() => scheduler.get('web')?.health === 'healthy', 'web to be healthy', 20_000);
    expect(scheduler.get('web')).toMatchObject({ phase: 'running', runtime: 'runc', node: 'rooted' });
    expect(await fetchText(`http://127.0.0.1:${port}/hosts`)).toContain('127.0.0.1 localhost');
    const containers = execFileSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' });
    expect(containers).toMatch(/^hm-rooted-[0-9a-f]{8}-default-web-g1-r0-/m);
    await until(async () => (await scheduler.logs('web')).some((l) => l.stream === 'stderr' && l.text.includes('response:200')), 'httpd access logs');

    await scheduler.remove('web');
    await until(() => execFileSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' }).trim() === '', 'the container to be removed');
  });

  it("fails to start with a clear reason when runc is required but cannot work (bad runc root)", async () => {
    node = createNode({
      id: 'strict',
      logger: silent,
      plugins: [schedulerPlugin],
      config: { '@hypermesh/plugin-scheduler': { agent: { runtime: 'runc', stateDir, runcRoot, busybox: '/nonexistent/busybox' } } },
    });
    await expect(node.start()).rejects.toMatchObject({ message: expect.stringContaining("the runc runtime was configured but cannot work here: no static busybox at /nonexistent/busybox") });
    node = undefined;
  });
});
