import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, runHypermesh, spawnHypermesh, waitForEvent } from '../testing/run-hypermesh.js';

// `hypermesh up --processes`: four node processes over gRPC + mutual TLS (the certificates made by
// `hypermesh init`), each serving its own API. Slow: five processes start on a shared machine.

describe('hypermesh up --processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-procs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs one process per node over gRPC + mTLS, reports a node that dies, and stops them all', async () => {
    const init = await runHypermesh(['init', 'procs', '--transport', 'grpc', '--json'], { cwd: dir });
    expect(init.code).toBe(0);
    const config = join(dir, 'procs', 'cluster.yaml');
    // Free ports for the four transport addresses init wrote (7401-7404).
    let text = await readFile(config, 'utf8');
    for (let i = 1; i <= 4; i++) text = text.replace(`127.0.0.1:${7400 + i}`, `127.0.0.1:${await closedPort()}`);
    await writeFile(config, text);

    const up = spawnHypermesh(['up', '--processes', '--config', config, '--json', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--dns-listen', '127.0.0.1:0'], { cwd: dir });
    const pids: number[] = [];
    try {
      const ready = await waitForEvent<{ mode: string; api: string; nodes: { id: string; pid: number; api: string }[] }>(up, 'ready', 90_000);
      expect(ready.mode).toBe('processes');
      expect(ready.nodes.map((n) => n.id)).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
      pids.push(...ready.nodes.map((n) => n.pid));
      expect(new Set(pids).size).toBe(4);
      // Every node serves its own API; node-1's sees its transport connected to the three others.
      const viewer = join(dir, 'procs', 'credentials', 'viewer.token');
      const token = (await readFile(viewer, 'utf8')).trim();
      const grpcHealth = async (api: string) => {
        const status = (await (await fetch(`${api}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
          node: { plugins: { name: string; detail?: string }[] };
        };
        return status.node.plugins.find((p) => p.name === '@hypermesh/plugin-grpc')?.detail;
      };
      const deadline = Date.now() + 30_000;
      let detail = await grpcHealth(ready.api);
      while (detail !== '3 of 3 peers up' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        detail = await grpcHealth(ready.api);
      }
      expect(detail).toBe('3 of 3 peers up');
      const status = await runHypermesh(['status', '--api', ready.nodes[1]!.api, '--token-file', viewer], { cwd: dir });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('answered by node node-2');
      expect(status.stdout).toMatch(/@hypermesh\/plugin-grpc\s+ok\s+3 of 3 peers up/);

      // A node process that dies is reported; the others keep serving.
      const exited = waitForEvent<{ node: string; signal: string }>(up, 'node-exited');
      process.kill(ready.nodes[2]!.pid, 'SIGKILL');
      expect(await exited).toMatchObject({ node: 'node-3', signal: 'SIGKILL' });
      const afterKill = Date.now() + 30_000;
      detail = await grpcHealth(ready.api);
      while (detail !== '1 of 3 peers unreachable: node-3' && Date.now() < afterKill) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        detail = await grpcHealth(ready.api);
      }
      expect(detail).toBe('1 of 3 peers unreachable: node-3');

      const stopped = waitForEvent(up, 'stopped', 30_000);
      const exit = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
      up.kill('SIGINT');
      await stopped;
      expect(await exit).toBe(0);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      up.kill('SIGKILL');
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
