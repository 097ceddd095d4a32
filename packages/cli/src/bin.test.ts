import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, TEST_KEYS, type TestGateway } from '@hypermesh/plugin-gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, runHypermesh } from './testing/run-hypermesh.js';

// The `hypermesh` binary (the entry run through tsx on the sources, as a child process) against a
// real gateway on port 0. Behind the gateway: the gateway package's test doubles of the scheduler,
// resolver, certificates, analytics and consensus contracts, until those plugins land.

// Each case starts child processes; on a shared, loaded machine one start can take seconds.
describe('the hypermesh binary against a gateway', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let dir: string;
  const as = (role: keyof typeof TEST_KEYS, ...args: string[]) => runHypermesh([...args, '--api', gateway.url, '--token', TEST_KEYS[role]], { cwd: dir });

  beforeAll(async () => {
    gateway = await startTestGateway();
    dir = await mkdtemp(join(tmpdir(), 'hm-bin-'));
  });
  afterAll(async () => {
    await gateway?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('status --json prints the cluster status as JSON, and nothing on stderr', async () => {
    const run = await as('viewer', 'status', '--json');
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout) as { node: { id: string }; consensus: { view: number; primary: string }; unavailable: unknown[] };
    expect(status.node.id).toBe('node-1');
    expect(status.consensus).toMatchObject({ view: 3, primary: 'node-4' });
    expect(status.unavailable).toEqual([]);
    expect(run.stderr).toBe('');
  });

  it('deploy, ps, dig and rm', async () => {
    const file = join(dir, 'workloads.yaml');
    await writeFile(
      file,
      [
        'name: echo',
        'command: [/bin/echo-server]',
        'ports: [{ name: http, port: 8080 }]',
        'resources: { cpuMillis: 250m, memoryBytes: 64Mi, pids: 32 }',
        '---',
        'name: worker',
        'command: [/bin/worker]',
        'resources: { cpuMillis: 100, memoryBytes: 32Mi, pids: 8 }',
      ].join('\n'),
    );
    const deployed = await as('operator', 'deploy', file);
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/default\s+echo\s+node-1\s+1\n/);
    expect(deployed.stdout).toMatch(/default\s+worker\s+node-2\s+2\n/);
    expect(deployed.stderr).toContain('… deploying default/echo');

    const ps = await as('viewer', 'ps', '--json');
    expect((JSON.parse(ps.stdout) as { workloads: { name: string; phase: string }[] }).workloads.map((w) => `${w.name}:${w.phase}`)).toEqual([
      'echo:running',
      'worker:running',
    ]);

    // The scheduler test double does not publish service records; put one in the zone the way
    // the scheduler will, then resolve it.
    await fetch(`${gateway.url}/v1/dns/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEYS.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ name: 'echo.svc', type: 'A', data: '10.0.0.1' }] }),
    });
    const dig = await as('viewer', 'dig', 'echo.svc.hypermesh.local');
    expect(dig.code).toBe(0);
    expect(dig.stdout).toMatch(/;; ANSWER SECTION:\necho\.svc\.hypermesh\.local\.\s+30\s+IN\s+A\s+10\.0\.0\.1/);

    const removed = await as('operator', 'rm', 'echo');
    expect(removed).toMatchObject({ code: 0, stdout: 'removed default/echo\n' });
    const after = await fetch(`${gateway.url}/v1/workloads/echo`, { headers: { authorization: `Bearer ${TEST_KEYS.viewer}` } });
    expect(after.status).toBe(404);
  });

  it('plugins --json lists the node’s plugins', async () => {
    const run = await as('viewer', 'plugins', '--json');
    expect(run.code).toBe(0);
    const d = JSON.parse(run.stdout) as { plugins: { name: string; version: string; state: string }[] };
    expect(d.plugins).toEqual([expect.objectContaining({ name: '@hypermesh/plugin-gateway', version: '0.1.0', state: 'started' })]);
  });

  it('ct verify checks a certificate with its issuer and exits 1 when it is not valid', async () => {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3', '-subj', '/CN=Test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=echo.svc.hypermesh.local', '-keyout', 'leaf.key', '-out', 'leaf.csr');
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'leaf.pem');
    const run = await as('viewer', 'ct', 'verify', 'leaf.pem', '--issuer', 'ca.pem');
    // The certificates test double finds the path valid and no SCTs, so the CT policy fails.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('subject:     CN=echo.svc.hypermesh.local');
    expect(run.stdout).toContain('issuer:      CN=Test CA');
    expect(run.stdout).toContain('path:        valid');
    expect(run.stdout).toContain('CT:          NOT compliant — 0 valid SCTs of 2 required');
    expect(run.stdout).toContain('NOT VALID');
  });

  it('says clearly when no cluster is running (exit 4)', async () => {
    const port = await closedPort();
    const run = await runHypermesh(['status', '--api', `127.0.0.1:${port}`], { cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`hypermesh: no cluster is answering at 127.0.0.1:${port}; start one with \`hypermesh up\` (or pass --api)\n`);
  });
});
