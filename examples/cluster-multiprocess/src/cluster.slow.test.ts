import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { askEcho, waitFor } from '@hypermesh/example-cluster-embedded/setup';
import type { WorkloadStatus } from '@hypermesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killNode, killWorkloads } from '@hypermesh/example-cluster-embedded/testing';

// The end-to-end test of the reference cluster with one process per node: src/start.ts runs
// 4 node processes over gRPC + mTLS and deploys the echo service and the worker (runc when it works
// here — CI runs as root —, else plain processes). Then: the echo service answers at the address
// its DNS name gives; the node running it is killed (process and workloads, as a machine dies)
// and the echo service comes back on another node under the same name; that node is started
// again, then the PBFT primary is killed and consensus goes on in a new view. Each recovery is
// timed and printed; only generous bounds are asserted.

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const NODE_ARGS = ['--conditions=hypermesh-source', '--import', pathToFileURL(require.resolve('tsx')).href];
const CLI_BIN = join(dirname(require.resolve('@hypermesh/cli/package.json')), 'src', 'bin.ts');
const RECOVERY_BOUND_MS = 60_000;

interface NodeInfo {
  readonly id: string;
  readonly pid: number;
  readonly api: string;
  readonly dns: string;
}
interface Ready {
  readonly runtime: string;
  readonly reason: string;
  readonly echoPort: number;
  readonly domain: string;
  readonly config: string;
  readonly nodes: NodeInfo[];
}

/** Resolves with the first JSON line of `child`'s stdout whose `event` is `name`. */
function nextEvent<T>(child: ChildProcess, name: string, ms: number, stderr: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' event within ${ms / 1000} s; stderr ends:\n${stderr().slice(-3000)}`)), ms);
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code, signal) => reject(new Error(`exited (${signal ?? code}) before '${name}'; stderr ends:\n${stderr().slice(-3000)}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line) as { event?: string };
      if (event.event === name) {
        clearTimeout(timer);
        lines.close();
        resolve(event as T);
      }
    });
  });
}

function spawnWithLog(args: readonly string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HYPERMESH_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  return { child, stderr: () => stderr };
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('cluster-multiprocess, end to end', () => {
  let dir: string;
  let cluster: { child: ChildProcess; stderr: () => string } | undefined;
  const restarted: ChildProcess[] = [];
  let ready: Ready;
  let tokens: { viewer: string; operator: string };
  const alive = new Map<string, NodeInfo>();

  const api = async <T>(node: NodeInfo, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${node.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${method === 'GET' ? tokens.viewer : tokens.operator}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const json = (await res.json()) as T & { error?: { message: string } };
    if (!res.ok) throw new Error(`${method} ${path} on ${node.id}: ${res.status} ${json.error?.message ?? ''}`);
    return json;
  };
  const resolverAt = (node: NodeInfo) => {
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([node.dns]);
    return resolver;
  };
  const echoStatus = (via: NodeInfo) => api<WorkloadStatus>(via, 'GET', '/v1/workloads/echo');
  const others = (...not: string[]) => [...alive.values()].filter((n) => !not.includes(n.id));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-e2e-'));
    cluster = spawnWithLog([join(HERE, 'start.ts'), '--json', '--state-dir', dir, '--api', '127.0.0.1:0', '--dns', '127.0.0.1:0', '--echo-port', '0', '--free-node-ports']);
    ready = await nextEvent<Ready>(cluster.child, 'ready', 110_000, cluster.stderr);
    for (const n of ready.nodes) alive.set(n.id, n);
    const read = async (role: string) => (await readFile(join(dir, 'credentials', `${role}.token`), 'utf8')).trim();
    tokens = { viewer: await read('viewer'), operator: await read('operator') };
    console.log(`cluster-multiprocess: 4 node processes (pids ${ready.nodes.map((n) => n.pid).join(', ')}); runtime ${ready.runtime}: ${ready.reason}`);
  }, 120_000);

  afterAll(async () => {
    // Stop the cluster (SIGINT, as Ctrl-C), then anything left: restarted nodes, containers, processes.
    if (cluster !== undefined) {
      cluster.child.kill('SIGINT');
      if (!(await exited(cluster.child, 40_000))) cluster.child.kill('SIGKILL');
    }
    for (const child of restarted) {
      child.kill('SIGTERM');
      if (!(await exited(child, 20_000))) child.kill('SIGKILL');
    }
    for (const n of ready?.nodes ?? []) {
      try {
        process.kill(n.pid, 'SIGKILL');
      } catch {
        // stopped, as it should be
      }
    }
    const left = dir === undefined ? [] : await killWorkloads(dir);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    expect(left, 'workloads left after the cluster stopped').toEqual([]);
  }, 120_000);

  it('finds the echo service by DNS, moves it off a killed node, and keeps consensus after the primary is killed', async () => {
    const domain = `echo.svc.${ready.domain}`;
    // 1. The echo service answers at the address and port its DNS name gives.
    const first = await echoStatus(ready.nodes[0]!);
    const victim = alive.get(first.node!)!;
    const observer = others(victim.id)[0]!;
    const [address] = await resolverAt(observer).resolve4(domain);
    const [srv] = await resolverAt(observer).resolveSrv(domain);
    expect(address).toBe(first.address);
    expect(srv!.port).toBe(ready.echoPort);
    expect(await askEcho(address!, srv!.port, 'before')).toBe('echo GET /cgi-bin/echo?before\n');

    // 2. Kill the node running it: the workload is rescheduled, DNS answers the new address, HTTP works.
    const killedAt = performance.now();
    await killNode(dir, victim.id, victim.pid);
    alive.delete(victim.id);
    const moved = await waitFor(`${domain} to answer from another node than ${victim.id}`, RECOVERY_BOUND_MS, async () => {
      const [now] = await resolverAt(observer).resolve4(domain).catch(() => [undefined]);
      if (now === undefined || now === address) return undefined;
      return (await askEcho(now, ready.echoPort, 'after')) === undefined ? undefined : now;
    });
    const rescheduleMs = performance.now() - killedAt;
    const after = await echoStatus(observer);
    expect(after.node).not.toBe(victim.id);
    expect(after.address).toBe(moved);
    expect(await askEcho(moved, ready.echoPort, 'after')).toBe('echo GET /cgi-bin/echo?after\n');

    // 3. Start the killed node again (f = 1: a second fault needs it back) and wait until the
    //    scheduler sees it ready again: its heartbeats are ordered by consensus once more.
    const again = spawnWithLog([CLI_BIN, 'up', '--config', ready.config, '--node', victim.id, '--json', '--listen', '127.0.0.1:0', '--dns-listen', '127.0.0.1:0', '--grpc-listen', 'off']);
    restarted.push(again.child);
    const back = await nextEvent<{ api: string; dns: string }>(again.child, 'ready', 60_000, again.stderr);
    alive.set(victim.id, { id: victim.id, pid: again.child.pid!, api: back.api, dns: back.dns });
    await waitFor(`${victim.id} ready again`, RECOVERY_BOUND_MS, async () => {
      const { nodes } = await api<{ nodes: { id: string; ready: boolean }[] }>(observer, 'GET', '/v1/nodes');
      return nodes.find((n) => n.id === victim.id)?.ready === true ? true : undefined;
    });

    // 4. Kill the PBFT primary: a view change happens and consensus goes on (a DNS record commits
    //    through another node and every live node serves it).
    const before = await api<{ view: number; primary: string }>(observer, 'GET', '/v1/consensus');
    const primary = alive.get(before.primary)!;
    const primaryKilledAt = performance.now();
    await killNode(dir, primary.id, primary.pid);
    alive.delete(primary.id);
    const writer = others()[0]!;
    await waitFor('a DNS record to commit after the primary was killed', RECOVERY_BOUND_MS, async () => {
      const done = await api<{ upserted: number }>(writer, 'POST', '/v1/dns/records', { records: [{ name: 'after-view-change', type: 'TXT', data: `primary ${primary.id} killed` }] });
      return done.upserted === 1 ? true : undefined;
    });
    const viewChangeMs = performance.now() - primaryKilledAt;
    const now = await api<{ view: number; primary: string }>(writer, 'GET', '/v1/consensus');
    expect(now.view).toBeGreaterThan(before.view);
    expect(now.primary).not.toBe(primary.id);
    for (const n of others()) {
      const txt = await waitFor(`the record on ${n.id}`, 10_000, async () => (await resolverAt(n).resolveTxt(`after-view-change.${ready.domain}`).catch(() => undefined))?.flat());
      expect(txt).toEqual([`primary ${primary.id} killed`]);
    }

    console.log(
      `recovery (${ready.runtime} runtime): reschedule after node kill (${victim.id}, echo ${address} → ${moved}): ${seconds(rescheduleMs)}; ` +
        `view change after primary kill (${primary.id}, view ${before.view} → ${now.view}, primary ${now.primary}): ${seconds(viewChangeMs)}`,
    );
    expect(rescheduleMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(viewChangeMs).toBeLessThan(RECOVERY_BOUND_MS);
  }, 240_000);
});
