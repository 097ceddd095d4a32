import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  consensusRef,
  createKeyring,
  createMemoryNetwork,
  createNode,
  generateNodeKeys,
  keysRef,
  schedulerRef,
  systemClock,
  transportRef,
  type HypermeshNode,
  type TransportService,
} from '@hypermesh/runtime';
import { dnsCtPlugin } from '@hypermesh/plugin-dns-ct';
import { pbftPlugin } from '@hypermesh/plugin-pbft';
import { byzantineTransport } from '@hypermesh/plugin-pbft/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { schedulerPlugin } from './index.js';
import { silent } from './testing/fixtures.js';
import { until } from './testing/wait.js';

const MiB = 2 ** 20;
const IDS = ['n1', 'n2', 'n3', 'n4'];
const SEED = 'sched-pbft';

/**
 * A transport that behaves honestly until `turn()` is called, then as a replica that forges its
 * signatures (`forgeSignature` from @hypermesh/plugin-pbft/testing): the node can register first.
 */
function turncoat(inner: TransportService, keys: Parameters<typeof byzantineTransport>[2]['keys'], random: Parameters<typeof byzantineTransport>[2]['random']) {
  const faulty = byzantineTransport(inner, 'forgeSignature', { keys, clock: systemClock, random, replicas: IDS, slowDelayMs: 0 });
  let turned = false;
  const transport: TransportService = {
    nodeId: inner.nodeId,
    maxMessageBytes: inner.maxMessageBytes,
    peers: () => inner.peers(),
    send: (to, channel, payload) => (turned ? faulty : inner).send(to, channel, payload),
    broadcast: (channel, payload) => (turned ? faulty : inner).broadcast(channel, payload),
    subscribe: (channel, handler) => inner.subscribe(channel, handler),
    onPeerStatus: (listener) => inner.onPeerStatus(listener),
  };
  return { transport, turn: () => void (turned = true) };
}

// Placement through the REAL PBFT (@hypermesh/plugin-pbft): four replicas (n = 4, f = 1) on the
// runtime's in-memory network with the system clock; the process container runtime; n1 is the
// primary of view 0.
describe('scheduler on 4 nodes ordered by plugin-pbft', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'hm-sched-pbft-'));
  let nodes: HypermeshNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  async function cluster(faulty?: string) {
    const network = createMemoryNetwork({ seed: SEED, clock: systemClock });
    const keys = generateNodeKeys(IDS, { seed: SEED });
    const publicKeys = Object.fromEntries(IDS.map((id) => [id, keys[id]!.publicKey]));
    for (const id of IDS) network.transport(id);
    let turn = () => undefined as void;
    nodes = IDS.map((id, i) => {
      const keyring = createKeyring({ nodeId: id, privateKey: keys[id]!.privateKey, publicKeys });
      let transport = network.transport(id);
      if (id === faulty) ({ transport, turn } = turncoat(transport, keyring, network.random));
      return createNode({
        id,
        logger: silent,
        plugins: [pbftPlugin, dnsCtPlugin, schedulerPlugin],
        overrides: [
          [transportRef, transport],
          [keysRef, keyring],
        ],
        config: {
          '@hypermesh/plugin-dns-ct': { domain: 'hypermesh.test', listen: '127.0.0.1:0' },
          '@hypermesh/plugin-scheduler': {
            heartbeatIntervalMs: 100,
            nodeTimeoutMs: 1000,
            reputationPollMs: 100,
            node: { address: `127.0.0.${i + 1}`, capacity: { cpuMillis: 1000, memoryBytes: 1024 * MiB, pids: 200 } },
            agent: { runtime: 'process', stateDir: join(stateDir, `${id}-${Date.now()}`), stopGraceMs: 500 },
          },
        },
      });
    });
    await Promise.all(nodes.map((n) => n.start()));
    const scheduler = (i: number) => nodes[i]!.get(schedulerRef);
    await until(() => IDS.every((_, i) => scheduler(i).nodes().filter((n) => n.ready).length === 4), 'four ready nodes on every replica');
    /** Name → node of every workload, as replica `i` has it. */
    const placements = (i: number) => Object.fromEntries(scheduler(i).list().map((w) => [w.name, w.node]));
    return { network, scheduler, placements, turn };
  }

  const small = (name: string) => ({ name, command: ['sleep', '60'], resources: { cpuMillis: 100, memoryBytes: 16 * MiB, pids: 5 } });

  it('sched.place committed by PBFT gives identical placements on every replica (deploys from every node at once)', async () => {
    const { scheduler, placements } = await cluster();
    const deployed = await Promise.all(IDS.flatMap((_, i) => [0, 1].map((k) => scheduler(i).deploy(small(`w${i}-${k}`)))));
    const wanted = Object.fromEntries(deployed.map((p) => [p.workload.replace(/^.*\//, ''), p.node]));
    expect(Object.keys(wanted)).toHaveLength(8);
    await until(() => IDS.every((_, i) => scheduler(i).list().length === 8), 'every replica to apply the eight placements');
    for (let i = 0; i < IDS.length; i++) expect(placements(i), IDS[i]).toEqual(placements(0));
    // what each caller was told is what every replica applied; least-allocated scoring used every node
    for (const [name, node] of Object.entries(wanted)) expect(placements(0)[name]).toBe(node);
    expect(new Set(Object.values(placements(0)))).toEqual(new Set(IDS));
    const executed = IDS.map((_, i) => nodes[i]!.get(consensusRef).status().lastExecuted);
    expect(Math.min(...executed)).toBeGreaterThan(0);
  });

  it('a workload on a node cut off the network (memory-network disconnect) is rescheduled by the others', async () => {
    const { network, scheduler } = await cluster();
    const placement = await scheduler(0).deploy(small('web'));
    const first = IDS.indexOf(placement.node);
    await until(() => scheduler(first).get('web')?.phase === 'running', `web to run on ${placement.node}`);
    const watcher = (first + 1) % 4;
    const t0 = Date.now();
    network.disconnect(placement.node);
    await until(
      () => scheduler(watcher).get('web')?.phase === 'running' && scheduler(watcher).get('web')?.node !== placement.node,
      'web to run elsewhere',
      20_000,
    );
    const moved = scheduler(watcher).get('web')!.node!;
    console.log(`[${SEED}] web rescheduled from ${placement.node} to ${moved} ${Date.now() - t0} ms after the disconnect (node timeout 1000 ms)`);
    expect(scheduler(watcher).nodes().find((n) => n.id === placement.node)?.ready).toBe(false);
    // the three connected replicas agree on where it runs now
    const connected = IDS.map((_, i) => i).filter((i) => i !== first);
    await until(() => connected.every((i) => scheduler(i).get('web')?.node === moved), 'the connected replicas to agree');
  });

  it('the primary cut off: the others change view, then move its workloads', async () => {
    const { network, scheduler } = await cluster();
    for (let k = 0; k < 4; k++) await scheduler(1).deploy(small(`p${k}`));
    const onPrimary = scheduler(1).list().find((w) => w.node === 'n1')!.name;
    const t0 = Date.now();
    network.disconnect('n1');
    await until(() => scheduler(1).get(onPrimary)?.phase === 'running' && scheduler(1).get(onPrimary)?.node !== 'n1', `${onPrimary} to run elsewhere`, 20_000);
    console.log(`[${SEED}] ${onPrimary} moved off the cut-off primary in ${Date.now() - t0} ms`);
    expect(nodes[1]!.get(consensusRef).status().view).toBeGreaterThanOrEqual(1);
    expect(nodes[1]!.get(consensusRef).status().primary).not.toBe('n1');
  });

  it('a node the PBFT fault detector isolates (it forges signatures) gets no workloads', async () => {
    const { scheduler, turn } = await cluster('n4');
    turn();
    // n4's messages are now forged: the other replicas' detectors isolate it and report it
    await until(() => IDS.slice(0, 3).every((_, i) => nodes[i]!.get(consensusRef).status().replicas.find((r) => r.id === 'n4')?.state === 'isolated'), 'n4 isolated by the fault detectors');
    await until(() => scheduler(0).nodes().find((n) => n.id === 'n4')?.trust === 'isolated', 'the agreed isolation of n4');
    const placed = [];
    for (let k = 0; k < 6; k++) placed.push(await scheduler(k % 3).deploy(small(`after-${k}`)));
    expect(placed.map((p) => p.node)).not.toContain('n4');
    await until(() => IDS.slice(0, 3).every((_, i) => scheduler(i).list().length === 6), 'the honest replicas to apply the placements');
  });
});
