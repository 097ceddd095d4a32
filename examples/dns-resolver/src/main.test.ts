import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import packet from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const run = promisify(execFile);

/** Starts the resolver as a user would (a separate process) and waits for its "listening" line. */
function startResolver(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['--conditions=hypermesh-source', join(here, 'main.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening udp\+tcp [^:]+:(\d+)/.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`resolver exited with ${code}: ${err}`)));
  });
}

async function dig(port: number, name: string, type: string): Promise<string> {
  const { stdout } = await run('kdig', ['@127.0.0.1', '-p', String(port), '+short', '+time=2', '+retry=0', name, type]);
  return stdout.trim();
}

describe('examples/dns-resolver', () => {
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('serves its zone file and forwards everything else, then stops cleanly on SIGTERM', async () => {
    // an upstream that knows one name
    const upstream = dgram.createSocket('udp4');
    upstream.on('message', (msg, rinfo) => {
      const q = packet.decode(msg);
      const answers = q.questions?.[0]?.name === 'www.example.org' ? [{ name: 'www.example.org', type: 'A' as const, ttl: 60, data: '192.0.2.80' }] : [];
      upstream.send(packet.encode({ id: q.id, type: 'response', flags: packet.RECURSION_AVAILABLE, questions: q.questions, answers }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    stops.push(() => upstream.close());

    const { child, port } = await startResolver([
      '--listen', '127.0.0.1:0',
      '--forward', `127.0.0.1:${upstream.address().port}`,
      '--zone', join(here, '..', 'zones', 'hypermesh.local.zone'),
      '--log-level', 'warn',
    ]);
    stops.push(() => child.exitCode === null && child.kill('SIGKILL'));
    expect((await dig(port, 'echo.svc.hypermesh.local', 'A')).split('\n').sort()).toEqual(['10.0.0.10', '10.0.0.11']);
    expect(await dig(port, '_http._tcp.echo.svc.hypermesh.local', 'SRV')).toBe('0 5 8080 echo.svc.hypermesh.local.');
    expect(await dig(port, 'www.example.org', 'A')).toBe('192.0.2.80');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('rejects unknown flags with the usage text', async () => {
    const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['--conditions=hypermesh-source', join(here, 'main.ts'), '--bogus'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/usage: hypermesh-dns-resolver/);
  }, 30_000);
});
