import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createCertificatesService, ct } from '@hypermesh/plugin-dns-ct';
import { certificatesRef, schedulerRef } from '@hypermesh/runtime';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, TEST_KEYS, type TestGateway } from '@hypermesh/plugin-gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCli } from '../testing/capture.js';
import { COMMANDS } from './commands.js';
import { CLI_VERSION } from '../version.js';

// The commands' finer behaviour, run in this process against a real gateway on port 0 with the
// gateway package's contract test doubles behind it (the binary itself is covered by bin.test.ts).

describe('hypermesh commands (in process)', () => {
  let gateway: TestGateway;
  let dir: string;
  const as = (role: keyof typeof TEST_KEYS, ...args: string[]) => captureCli([...args, '--api', gateway.url, '--token', TEST_KEYS[role]], { cwd: dir });

  beforeAll(async () => {
    gateway = await startTestGateway();
    dir = await mkdtemp(join(tmpdir(), 'hm-cli-'));
  });
  afterAll(async () => {
    await gateway?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders status for people: consensus, node table, workloads, DNS, analytics', async () => {
    const run = await as('viewer', 'status');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('consensus: view 3, primary node-4, n=4 f=1, executed 120, stable checkpoint 100');
    expect(run.stdout).toMatch(/NODE\s+ROLE\s+STATE\s+REPUTATION\s+READY\s+CPU\s+MEMORY/);
    expect(run.stdout).toMatch(/node-2\s+backup\s+suspected\s+0\.40\s+yes\s+0\/4000m\s+0\/8Gi/);
    expect(run.stdout).toMatch(/node-4\s+primary\s+active\s+1\.00/);
    expect(run.stdout).toContain('workloads: 0');
    expect(run.stdout).toContain('dns: hypermesh.local — 0 records');
    expect(run.stdout).toContain('analytics: 1 recent threats (high 1); top talker 192.0.2.9 (420 queries)');
  });

  it('maps refusals to exit codes: 403 → 5, 404 → 6, 401 with a hint, JSON errors in --json mode', async () => {
    const file = join(dir, 'one.json');
    await writeFile(file, JSON.stringify({ name: 'web', command: ['/bin/web'], resources: { cpuMillis: 100, memoryBytes: 1024, pids: 4 } }));
    const viewer = await as('viewer', 'deploy', file);
    expect(viewer.code).toBe(5);
    expect(viewer.stderr).toBe("… deploying default/web\nhypermesh: 'viewer-key' has role viewer, but workloads.deploy needs operator or above\n");
    expect((await as('operator', 'deploy', file)).code).toBe(0);
    expect((await as('viewer', 'logs', 'web', '--tail', '1')).stdout).toBe('hello from the test double\n');
    const ghost = await as('operator', 'rm', 'ghost');
    expect(ghost.code).toBe(6);
    expect(ghost.stderr).toContain("no workload 'ghost' in namespace 'default'");
    const none = await captureCli(['ps', '--api', gateway.url], { cwd: dir });
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('(no token given: pass --token, set HYPERMESH_TOKEN, or --token-file)');
    const json = await captureCli(['ps', '--api', gateway.url, '--token', 'wrong-0123456789abcdef', '--json'], { cwd: dir });
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'E_CLI_API', exitCode: 5 } });
    expect(json.stdout).toBe('');
  });

  it('refuses a bad workload file before sending anything, naming every field (exit 3)', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: Bad_Name\ncommand: []\nresources: { cpuMillis: lots, memoryBytes: 1, pids: 0 }\n');
    const run = await as('operator', 'deploy', file);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${file} is not a valid workload spec (4 problems):`);
    for (const path of ['name:', 'command:', 'resources.cpuMillis:', 'resources.pids:']) expect(run.stderr).toContain(`\n  - ${path}`);
    const audit = (await (await fetch(`${gateway.url}/v1/audit`, { headers: { authorization: `Bearer ${TEST_KEYS.admin}` } })).json()) as { entries: { target?: string }[] };
    expect(audit.entries.map((e) => e.target)).not.toContain('default/Bad_Name');
    const missing = await as('operator', 'deploy', join(dir, 'nope.yaml'));
    expect(missing).toMatchObject({ code: 3 });
    expect(missing.stderr).toContain('ENOENT');
  });

  it('dig prints sections, --short only the data, and NXDOMAIN as a status', async () => {
    await fetch(`${gateway.url}/v1/dns/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEYS.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        records: [
          { name: '_http._tcp.echo.svc', type: 'SRV', data: { priority: 0, weight: 1, port: 8080, target: 'echo.svc.hypermesh.local' } },
          { name: 'echo.svc', type: 'TXT', data: ['v=1', 'hello world'] },
        ],
      }),
    });
    expect((await as('viewer', 'dig', '_http._tcp.echo.svc.hypermesh.local', 'srv', '--short')).stdout).toBe('0 1 8080 echo.svc.hypermesh.local.\n');
    expect((await as('viewer', 'dig', 'echo.svc.hypermesh.local', 'TXT', '--short')).stdout).toBe('"v=1" "hello world"\n');
    const nx = await as('viewer', 'dig', 'nope.svc.hypermesh.local');
    expect(nx.code).toBe(0);
    expect(nx.stdout).toContain(';; status: NXDOMAIN');
    expect((await as('viewer', 'dig', 'x.example', 'NOT-A-TYPE')).code).toBe(2);
  });

  it('plugins renders the node description', async () => {
    const run = await as('viewer', 'plugins');
    expect(run.stdout).toMatch(/@hypermesh\/plugin-gateway\s+0\.1\.0\s+started\s+gateway\s+consensus\?, scheduler\?/);
    expect(run.stdout).toContain(`scheduler@${schedulerRef.version} (node) — <integrator>`);
  });

  it('ct verify refuses a file without a PEM certificate (exit 3)', async () => {
    const file = join(dir, 'not-a-cert.txt');
    await writeFile(file, 'hello');
    const run = await as('viewer', 'ct', 'verify', file);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('holds no PEM certificate');
  });

  it('reports usage errors with exit code 2, and prints help and version', async () => {
    expect((await captureCli(['frobnicate'])).code).toBe(2);
    const flag = await captureCli(['ps', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--bogus'");
    expect((await captureCli(['logs'])).stderr).toBe('hypermesh: usage: hypermesh logs NAME [--namespace NS] [--tail N]\n');
    expect((await captureCli(['ct', 'check'])).stderr).toContain("no command 'ct check'");
    expect((await captureCli(['status', '--timeout', 'soon'])).code).toBe(2);
    expect(await captureCli(['--version'])).toMatchObject({ code: 0, stdout: `${CLI_VERSION}\n` });
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(CLI_VERSION).toBe(pkg.version);
    const help = await captureCli(['help', 'ct', 'verify']);
    expect(help.stdout).toContain('usage: hypermesh ct verify CERT.pem [--issuer ISSUER.pem] [--hostname NAME]');
    expect((await captureCli([])).code).toBe(2);
  });

  it('docs/cli.md documents every command with its usage line, and every exit code', async () => {
    const doc = await readFile(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');
    for (const command of COMMANDS) expect(doc, command.name).toContain(command.usage.replace(/^hypermesh /, 'hypermesh '));
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7]) expect(doc).toMatch(new RegExp(`\\n\\| ${code} \\|`));
  });

  it('ct verify --at checks the real github.com certificate of 2018 with the real certificates service (exit 0)', async () => {
    const logs = [
      { description: "Google 'Pilot' log", operator: 'Google', key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfahLEimAoz2t01p3uMziiLOl/fHTDM0YDOhBRuiBARsV4UvxG2LdNgoIGLrtCzWE0J5APC2em4JlvR8EEEFMoA==' },
      { description: "Google 'Skydiver' log", operator: 'Google', key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEmyGDvYXsRJsNyXSrYc9DjHsIa2xzb4UR7ZxVoV6mrc9iZB7xjI6+NrOiwH+P/xxkRmOFG6Jel20q37hTh58rA==' },
      { description: 'DigiCert Log Server', operator: 'DigiCert', key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAkbFvhu7gkAW6MHSrBlpE1n4+HCFRkC5OLAjgqhkTH+/uzSfSl8ois8ZxAD2NgaTZe1M9akhYlrYkes4JECs6A==' },
    ].map((l) => ct.logFromKey({ ...l, key: Buffer.from(l.key, 'base64') }));
    const real = await startTestGateway({
      services: { certificates: false },
      overrides: [[certificatesRef, createCertificatesService({ logs, useSystemRoots: true })]],
    });
    try {
      const file = fileURLToPath(new URL('../testdata/github-chain.pem', import.meta.url));
      const run = await captureCli(['ct', 'verify', file, '--hostname', 'github.com', '--at', '2019-01-01T00:00:00Z', '--api', real.url, '--token', TEST_KEYS.viewer]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('hostname:    github.com matches');
      expect(run.stdout).toContain("SCT Google 'Pilot' log (embedded): valid");
      expect(run.stdout).toMatch(/CT: {10}compliant — 3 valid SCTs/);
      expect(run.stdout).toContain('VALID (trust score');
      const expired = await captureCli(['ct', 'verify', file, '--api', real.url, '--token', TEST_KEYS.viewer]);
      expect(expired.code).toBe(1);
      expect((await captureCli(['ct', 'verify', file, '--at', 'yesterday', '--api', real.url])).code).toBe(2);
    } finally {
      await real.stop();
    }
  });
});
