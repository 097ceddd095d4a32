import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  consensusRef,
  createMemoryNetwork,
  createNode,
  nodeSuspectedHook,
  resolverRef,
  schedulerRef,
  systemClock,
  transportRef,
  type HypermeshNode,
} from '@hypermesh/runtime';
import { dnsCtPlugin } from '@hypermesh/plugin-dns-ct';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { schedulerPlugin } from './index.js';
import { silent } from './testing/fixtures.js';
import { createSequencer } from './testing/sequencer.js';
import { until } from './testing/wait.js';

const MiB = 2 ** 20;
const IDS = ['n1', 'n2', 'n3', 'n4'];

describe('scheduler on a 4-node embedded cluster (ordered by an in-process sequencer until PBFT lands)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'hm-sched-cluster-'));
  let nodes: HypermeshNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  async function cluster() {
    const sequencer = createSequencer(systemClock, IDS);
    const network = createMemoryNetwork({ seed: 'sched-cluster', clock: systemClock });
    nodes = IDS.map((id, i) =>
      createNode({
        id,
        logger: silent,
        plugins: [dnsCtPlugin, schedulerPlugin],
        overrides: [
          [consensusRef, sequencer.consensusFor(id)],
          [transportRef, network.transport(id)],
        ],
        config: {
          '@hypermesh/plugin-dns-ct': { domain: 'hypermesh.test', listen: '127.0.0.1:0' },
          '@hypermesh/plugin-scheduler': {
            heartbeatIntervalMs: 100,
            nodeTimeoutMs: 1000,
            reputationPollMs: 100,
            node: { address: `127.0.0.${i + 1}`, labels: { zone: i < 2 ? 'a' : 'b' }, capacity: { cpuMillis: 1000, memoryBytes: 1024 * MiB, pids: 200 } },
            agent: { runtime: 'process', stateDir: join(stateDir, id), stopGraceMs: 500 },
          },
        },
      }),
    );
    await Promise.all(nodes.map((n) => n.start()));
    const scheduler = (i: number) => nodes[i]!.get(schedulerRef);
    await until(() => scheduler(0).nodes().filter((n) => n.ready).length === 4, 'four ready nodes');
    /** The A record of `name` as node `i`'s resolver answers it (the zone is replicated as dns.records). */
    const address = async (i: number, name: string) => {
      const answer = await nodes[i]!.get(resolverRef).resolve({ name: `${name}.svc.hypermesh.test`, type: 'A' });
      return answer.answers.find((r) => r.type === 'A')?.data;
    };
    return { sequencer, scheduler, address };
  }

  it('every node sees the same placement; logs are read from the node that runs the workload', async () => {
    const { scheduler } = await cluster();
    const placement = await scheduler(0).deploy({ name: 'echo', command: ['sh', '-c', 'echo "on $(pwd)"; sleep 60'], resources: { cpuMillis: 100, memoryBytes: 32 * MiB, pids: 10 } });
    for (let i = 0; i < 4; i++) expect(scheduler(i).get('echo')?.node).toBe(placement.node);
    await until(() => scheduler(3).get('echo')?.phase === 'running', 'echo to run');
    const other = IDS.findIndex((id) => id !== placement.node);
    await until(async () => (await scheduler(other).logs('echo')).some((l) => l.text.startsWith('on ')), 'remote logs');
    expect((await scheduler(other).logs('echo')).find((l) => l.text.startsWith('on '))!.text).toContain(join(stateDir, placement.node));
  });

  it('reschedules the workloads of a node whose heartbeats stop; DNS (plugin-dns-ct, zone replicated) follows', async () => {
    const { sequencer, scheduler, address } = await cluster();
    const placement = await scheduler(0).deploy({
      name: 'web',
      command: ['sleep', '60'],
      resources: { cpuMillis: 100, memoryBytes: 32 * MiB, pids: 10 },
      ports: [{ name: 'http', port: 18081, protocol: 'tcp' }],
    });
    const first = IDS.indexOf(placement.node);
    await until(async () => (await address(3, 'web')) === `127.0.0.${first + 1}`, 'the first A record');
    const watcher = (first + 1) % 4;
    const t0 = Date.now();
    sequencer.crash(placement.node);
    await until(() => scheduler(watcher).get('web')?.phase === 'running' && scheduler(watcher).get('web')?.node !== placement.node, 'web to run elsewhere', 15_000);
    const moved = scheduler(watcher).get('web')!.node!;
    await until(async () => (await address(watcher, 'web')) === `127.0.0.${IDS.indexOf(moved) + 1}`, 'the A record to follow');
    console.log(`rescheduled from ${placement.node} to ${moved} in ${Date.now() - t0} ms (node timeout 1000 ms)`);
    expect(scheduler(watcher).nodes().find((n) => n.id === placement.node)?.ready).toBe(false);
  });

  it('moves workloads off a node the fault detectors isolate (consensus status and node.suspected)', async () => {
    const { sequencer, scheduler } = await cluster();
    const spread = [];
    for (let i = 0; i < 6; i++) spread.push(await scheduler(0).deploy({ name: `w${i}`, command: ['sleep', '60'], resources: { cpuMillis: 100, memoryBytes: 16 * MiB, pids: 5 } }));
    const target = spread[0]!.node;
    // every node's detector now distrusts `target`: reported through consensus.status() polling
    sequencer.setReplica(target, { reputation: 0.1, state: 'isolated' });
    await until(() => scheduler(0).nodes().find((n) => n.id === target)?.trust === 'isolated', 'agreed isolation');
    await until(() => scheduler(0).list().every((w) => w.node !== target && w.phase === 'running'), 'all workloads off the isolated node', 15_000);
    // the hook path: two detectors report a second node through node.suspected
    const second = IDS.find((id) => id !== target)!;
    for (const reporter of nodes.filter((n) => n.id !== second).slice(0, 2)) {
      await reporter.hooks.call(nodeSuspectedHook, { nodeId: second, reputation: 0.2, severity: 'high', reasons: ['equivocation'], action: 'isolate', at: 0 });
    }
    await until(() => scheduler(0).nodes().find((n) => n.id === second)?.trust === 'isolated', 'the second isolation');
  });
});
