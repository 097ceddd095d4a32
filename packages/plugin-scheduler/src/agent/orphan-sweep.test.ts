import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@hypermesh/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { ownerPrefix, processStartTime, type Removal } from '../containers/ownership.js';
import { createProcessRuntime } from '../containers/process-runtime.js';
import { containerSpec, idleAgent } from '../testing/fixtures.js';
import { alive, until } from '../testing/wait.js';

/** A node agent on the process runtime over `stateDir`, with no workloads bound to it. */
function processAgent(nodeId: string, stateDir: string, removed: Removal['kind'][] = []) {
  const runtime = createProcessRuntime({ workDir: join(stateDir, 'work'), clock: systemClock });
  return { agent: idleAgent(nodeId, stateDir, { preferred: runtime, process: runtime, runc: undefined }, removed), runtime };
}

describe('orphan sweep of the process runtime', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'hm-orphans-'));
  const strays: ChildProcess[] = [];
  const pids: number[] = [];
  afterEach(() => {
    for (const pid of pids.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const c of strays.splice(0)) c.kill('SIGKILL');
  });
  afterEach(() => rmSync(join(stateDir, 'work'), { recursive: true, force: true }));

  it('gives node ids that slug alike, and one node id in two state directories, different prefixes', () => {
    expect(ownerPrefix('node-a', '/x')).toMatch(/^hm-nodea-[0-9a-f]{8}-$/);
    expect(ownerPrefix('node-a', '/x')).not.toBe(ownerPrefix('nodea', '/x'));
    expect(ownerPrefix('node-a', '/x')).not.toBe(ownerPrefix('NODE-A', '/x'));
    expect(ownerPrefix('node-a', '/x')).not.toBe(ownerPrefix('node-a', '/y'));
    expect(ownerPrefix('node-a', '/x')).toBe(ownerPrefix('node-a', '/x/'));
  });

  it('a restarted agent kills the process groups its crashed run left, not another node’s, not a reused pid', async () => {
    const a = processAgent('node-a', stateDir);
    const b = processAgent('node-b', stateDir);
    await a.agent.start();
    await b.agent.start();
    // a workload of A with a grandchild in its process group, and one of B
    const lines: string[] = [];
    const ofA = await a.runtime.start(containerSpec(`${a.agent.idPrefix}web-1`, ['sh', '-c', 'sleep 60 & echo "child $!"; wait'], lines));
    const ofB = await b.runtime.start(containerSpec(`${b.agent.idPrefix}web-1`, ['sleep', '60'], lines));
    pids.push(ofA.pid!, ofB.pid!);
    await until(() => lines.some((l) => l.startsWith('stdout: child ')), 'the workload of A to start its grandchild');
    const grandchild = Number(lines.find((l) => l.startsWith('stdout: child '))!.slice('stdout: child '.length));
    // an unrelated process whose pid A's records name, with another start time: as if the pid was reused
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
    strays.push(unrelated);
    await until(async () => (await processStartTime(unrelated.pid!)) !== undefined, 'the unrelated process');
    const real = await processStartTime(unrelated.pid!);
    writeFileSync(join(stateDir, 'work', `${a.agent.idPrefix}reused.pid`), JSON.stringify({ pid: unrelated.pid, startTime: `${Number(real) - 1}` }));

    // node A crashes: its agent is dropped without stopping anything. A new agent of A starts.
    const removed: Removal['kind'][] = [];
    const restarted = processAgent('node-a', stateDir, removed);
    await restarted.agent.start();

    await until(() => !alive(ofA.pid!), 'the workload of A to be killed');
    expect((await ofA.exited).signal).toBe('SIGKILL');
    await until(() => !alive(grandchild), 'the grandchild in the process group of A to be killed');
    expect(removed.filter((k) => k === 'process')).toHaveLength(1);
    expect(removed).toContain('workdir');
    expect(alive(ofB.pid!)).toBe(true);
    expect(alive(unrelated.pid!)).toBe(true);
    const left = readdirSync(join(stateDir, 'work'));
    expect(left.filter((e) => e.startsWith(a.agent.idPrefix))).toEqual([]);
    expect(left).toEqual(expect.arrayContaining([`${b.agent.idPrefix}web-1`, `${b.agent.idPrefix}web-1.pid`]));

    await restarted.agent.stop();
    await b.agent.stop(); // an agent's own stop sweeps its recorded processes too
    await until(() => !alive(ofB.pid!), 'the workload of B to be killed when B stops');
  });
});
