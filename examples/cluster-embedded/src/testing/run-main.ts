// Runs main.ts (the `npm start` cluster) as a child process on ephemeral ports and checks what a
// user would: the DNS name answers, the echo service answers HTTP at the address DNS gives, the API
// answers, and Ctrl-C stops everything (exit 0, ports free, no workload left).
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { askEcho } from '../setup.js';
import { killWorkloads } from './node-failure.js';

const require = createRequire(import.meta.url);
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const TSX = pathToFileURL(require.resolve('tsx')).href;

interface Ready {
  runtime: 'runc' | 'process';
  reason: string;
  api: string;
  dns: string;
  domain: string;
  echoPort: number;
  workloads: { name: string; node: string; address: string; runtime: string }[];
}

/** Whether a TCP (and, for DNS, UDP) port on 127.0.0.1 can be bound again. */
async function portFree(port: number, udp: boolean): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (!tcp || !udp) return tcp;
  return new Promise<boolean>((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** Starts main.ts with `runtime`, checks it end to end, stops it with SIGINT; returns what ran. */
export async function checkEmbeddedCluster(runtime: 'process' | 'runc'): Promise<Ready> {
  const stateDir = await mkdtemp(join(tmpdir(), 'hm-embedded-'));
  const child = spawn(process.execPath, ['--conditions=hypermesh-source', '--import', TSX, MAIN], {
    env: { ...process.env, CLUSTER_RUNTIME: runtime, CLUSTER_STATE_DIR: stateDir, CLUSTER_API: '127.0.0.1:0', CLUSTER_GRPC: '127.0.0.1:0', CLUSTER_DNS: '127.0.0.1:0', CLUSTER_ECHO_PORT: '0', CLUSTER_JSON: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-10_000)));
  const events: Record<string, unknown>[] = [];
  const waiters: { name: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const e = JSON.parse(line) as Record<string, unknown>;
    events.push(e);
    for (const w of waiters.filter((x) => x.name === e.event)) w.resolve(e);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const event = (name: string, ms: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = events.find((e) => e.event === name);
      if (seen !== undefined) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no '${name}' from main.ts within ${ms / 1000} s; stderr:\n${stderr}`)), ms);
      void exit.then((code) => reject(new Error(`main.ts exited (${code}) before '${name}'; stderr:\n${stderr}`)));
      waiters.push({ name, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  try {
    const ready = (await event('ready', 120_000)) as unknown as Ready;
    expect(ready.runtime).toBe(runtime);
    expect(ready.workloads.map((w) => [w.name, w.runtime])).toEqual([
      ['echo', runtime],
      ['worker', runtime],
    ]);
    // DNS: echo.svc.<domain> A and SRV from the cluster's DNS server.
    const resolver = new Resolver({ timeout: 2_000, tries: 2 });
    resolver.setServers([ready.dns]);
    const name = `echo.svc.${ready.domain}`;
    const [address] = await resolver.resolve4(name);
    const [srv] = await resolver.resolveSrv(name);
    expect(address).toBe(ready.workloads[0]!.address);
    expect(srv).toMatchObject({ port: ready.echoPort, name });
    // The echo service at the address and port DNS gave.
    expect(await askEcho(address!, srv!.port, 'from-test')).toBe('echo GET /cgi-bin/echo?from-test\n');
    // The API, with the viewer key made at first start.
    const viewer = (await readFile(join(stateDir, 'credentials', 'viewer.token'), 'utf8')).trim();
    const status = (await (await fetch(`${ready.api}/v1/workloads`, { headers: { authorization: `Bearer ${viewer}` } })).json()) as { workloads: { name: string; phase: string }[] };
    expect(status.workloads.map((w) => `${w.name} ${w.phase}`).sort()).toEqual(['echo running', 'worker running']);
    expect((await fetch(`${ready.api}/v1/status`)).status).toBe(401);

    // Ctrl-C: a clean exit, ports free, no container or workload process left.
    child.kill('SIGINT');
    await event('stopped', 60_000);
    expect(await exit).toBe(0);
    expect(await portFree(Number(new URL(ready.api).port), false)).toBe(true);
    expect(await portFree(Number(ready.dns.slice(ready.dns.lastIndexOf(':') + 1)), true)).toBe(true);
    expect(await portFree(ready.echoPort, false)).toBe(true);
    expect(await killWorkloads(stateDir)).toEqual([]);
    return ready;
  } finally {
    child.kill('SIGKILL');
    await killWorkloads(stateDir);
    await rm(stateDir, { recursive: true, force: true });
  }
}
