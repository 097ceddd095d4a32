import {
  analyticsRef,
  clockRef,
  clusterSections,
  consensusRef,
  createKeyring,
  createMemoryNetwork,
  createNode,
  createSimulatedClock,
  definePlugin,
  generateNodeKeys,
  keysRef,
  nodeSuspectedHook,
  parseClusterConfig,
  transportRef,
  type AnalyticsService,
  type AnyPlugin,
  type HypermeshNode,
  type NodeSuspicion,
} from '@hypermesh/runtime';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyValuePlugin, pbftPlugin, PLUGIN_NAME } from './index.js';
import { createSimulatedCluster, type SimulatedCluster } from './testing/index.js';

const silent = pino({ level: 'silent' });

/** Four nodes assembled by hand, the way an integrator does it on the in-memory network. */
async function assemble(
  config: Record<string, unknown>,
  extra: (id: string) => readonly (readonly [unknown, unknown])[] = () => [],
  plugins: (id: string) => readonly AnyPlugin[] = () => [],
) {
  const ids = ['n0', 'n1', 'n2', 'n3'];
  const clock = createSimulatedClock();
  const network = createMemoryNetwork({ seed: 'plugin', clock });
  const keys = generateNodeKeys(ids, { seed: 'plugin' });
  const publicKeys = Object.fromEntries(ids.map((id) => [id, keys[id]!.publicKey]));
  for (const id of ids) network.transport(id);
  const nodes: HypermeshNode[] = [];
  for (const id of ids) {
    const node = createNode({
      id,
      logger: silent,
      plugins: [pbftPlugin, createKeyValuePlugin(), ...plugins(id)],
      config: { [PLUGIN_NAME]: config },
      overrides: [
        [transportRef, network.transport(id)],
        [keysRef, createKeyring({ nodeId: id, privateKey: keys[id]!.privateKey, publicKeys })],
        [clockRef, clock],
        ...(extra(id) as never[]),
      ],
    });
    await node.start();
    nodes.push(node);
  }
  return { nodes, clock, network };
}

describe('the PBFT plugin', () => {
  const started: HypermeshNode[] = [];
  let cluster: SimulatedCluster | undefined;
  afterEach(async () => {
    await Promise.all(started.splice(0).map((n) => n.stop()));
    await cluster?.stop();
    cluster = undefined;
  });

  it("accepts the Cluster document's spec.consensus section as clusterSections() gives it", async () => {
    const doc = parseClusterConfig(
      ['apiVersion: hypermesh.io/v1', 'kind: Cluster', 'metadata: { name: c1 }', 'spec:', '  consensus: { algorithm: pbft, nodes: 4, timeout: 150ms, batch_size: 8, checkpoint_interval: 16, watermark_window: 32 }'].join('\n'),
    );
    const { nodes, clock } = await assemble(clusterSections(doc)[PLUGIN_NAME] as Record<string, unknown>);
    started.push(...nodes);
    const result = nodes[2]!.get(consensusRef).submit('kv', { op: 'set', key: 'k', value: 'v' });
    await clock.advance(50);
    expect(await result).toEqual({ value: 'v' });
    const health = await nodes[0]!.health();
    expect(health.plugins.find((p) => p.name === PLUGIN_NAME)).toMatchObject({ status: 'ok', detail: expect.stringContaining('executed 1') });
  });

  it('refuses a window smaller than the checkpoint interval, and a replica count that disagrees with the keys', async () => {
    await expect(assemble({ checkpoint_interval: 64, watermark_window: 32 })).rejects.toThrow(/watermark_window.*at least checkpoint_interval/);
    await expect(assemble({ nodes: 7 })).rejects.toThrow(/spec.consensus.nodes is 7 but the replica list has 4/);
    await expect(assemble({ replicas: ['n0', 'n1', 'n2', 'x9'] })).rejects.toThrow(/no public key for replica\(s\) 'x9'/);
  });

  it('rejects operations for an unregistered namespace and invalid operations, as agreed by the replicas', async () => {
    const { nodes, clock, network } = await assemble({});
    started.push(...nodes);
    const consensus = nodes[1]!.get(consensusRef);
    const unknown = consensus.submit('nope', 1);
    const invalid = consensus.submit('kv', { op: 'rename', key: 'a' });
    unknown.catch(() => undefined);
    invalid.catch(() => undefined);
    await clock.advance(50);
    await expect(unknown).rejects.toMatchObject({ code: 'E_CONSENSUS_NAMESPACE' });
    await expect(invalid).rejects.toMatchObject({ code: 'E_CONSENSUS_INVALID', message: expect.stringContaining("op must be 'set', 'get' or 'delete'") });
    // Cut off from every replica, the client cannot gather f+1 replies in time.
    network.partition(['n1']);
    const late = consensus.submit('kv', { op: 'get', key: 'a' }, { timeoutMs: 300 });
    late.catch(() => undefined);
    await clock.advance(300);
    await expect(late).rejects.toMatchObject({ code: 'E_CONSENSUS_TIMEOUT', message: expect.stringContaining('no f+1 (2) matching replies') });
  });

  it('does not let a faulty primary veto a valid operation: backups withhold PREPAREs, the view changes, it commits', async () => {
    // A 'notes' state machine whose validation refuses every operation on n0 only (the primary of view 0).
    const notes = (id: string) =>
      definePlugin({
        name: '@acme/notes',
        version: '1.0.0',
        requires: { runtime: '^0.1.0', services: [consensusRef] },
        setup: (ctx) =>
          ctx.use(consensusRef).registerStateMachine('notes', {
            validate: () => (id === 'n0' ? { valid: false, reason: `n0 vetoes everything` } : { valid: true }),
            apply: (op) => op,
            snapshot: () => new Uint8Array(),
            restore: () => undefined,
          }),
      });
    const { nodes, clock } = await assemble({}, () => [], (id) => [notes(id)]);
    started.push(...nodes);
    const result = nodes[1]!.get(consensusRef).submit('notes', 'hello');
    result.catch(() => undefined);
    await clock.advance(3000);
    await expect(result).resolves.toBe('hello');
    const status = nodes[1]!.get(consensusRef).status();
    expect(status.view).toBeGreaterThanOrEqual(1);
    expect(status.replicas[0]!.reputation).toBeLessThan(1);
    expect(await nodes[2]!.metrics.metrics()).toMatch(/refusal of an operation|invalid-operation/);
  });

  it('calls node.suspected when the fault detector acts, with the evidence', async () => {
    cluster = await createSimulatedCluster({ n: 4, seed: 'hook', faults: { 0: 'equivocate' } });
    const seen: NodeSuspicion[] = [];
    cluster.node(2)!.hooks.tap(nodeSuspectedHook, (s) => void seen.push(s));
    await Promise.all([1, 2, 3, 4].map((v) => cluster!.submit({ op: 'set', key: `h${v}`, value: v })));
    await cluster.runFor(100);
    const isolate = seen.find((s) => s.action === 'isolate');
    expect(isolate).toMatchObject({ nodeId: 'replica-0', severity: 'critical', reputation: 0 });
    expect(isolate!.reasons.join(' ')).toMatch(/equivocation: two PRE-PREPAREs for view 0/);
    expect(await cluster.node(2)!.metrics.metrics()).toMatch(/hypermesh_pbft_suspicions_total\{action="isolate",severity="critical",node="replica-2"\} 1/);
  });

  it("reads analytics' node score as one more input: an anomalous primary is replaced", async () => {
    const analytics = (): AnalyticsService => ({
      observe: () => undefined,
      scores: () => ({ clients: [], domains: [] }),
      nodeScore: (id) => (id === 'n0' ? 0.95 : 0.1),
      topTalkers: () => [],
      recentThreats: () => [],
      modelStatus: () => ({ classifier: 'test', trainingSamples: 0 }),
      addDetector: () => () => undefined,
      activeThreats: () => [],
      release: () => false,
    });
    const { nodes, clock } = await assemble({}, () => [[analyticsRef, analytics()]]);
    started.push(...nodes);
    expect(nodes[1]!.get(consensusRef).status().primary).toBe('n0');
    await clock.advance(2000);
    const status = nodes[1]!.get(consensusRef).status();
    expect(status.view).toBeGreaterThanOrEqual(1);
    expect(status.replicas[0]!.reputation).toBeLessThan(0.4);
    expect(await Promise.race([nodes[1]!.get(consensusRef).submit('kv', { op: 'set', key: 'a', value: 1 }), clock.advance(100).then(() => 'late')])).toEqual({ value: 1 });
  });
});
