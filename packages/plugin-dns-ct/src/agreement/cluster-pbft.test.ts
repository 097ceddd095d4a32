import { pbftPlugin } from '@hypermesh/plugin-pbft';
import {
  consensusRef,
  createKeyring,
  createMemoryNetwork,
  definePlugin,
  generateNodeKeys,
  keysRef,
  resolverRef,
  systemClock,
  transportRef,
} from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../testing/cleanup.js';
import type { DnsTestNode } from '../testing/node.js';
import type { StubUpstream } from '../testing/stub-upstream.js';
import { dnsDisagreementHook, type DnsDisagreement } from '../resolver/hooks.js';

// `agreement: cluster` through the REAL PBFT (@hypermesh/plugin-pbft), not a consensus stand-in:
// four nodes (n = 4, f = 1) on the runtime's in-memory network with the system clock, each with its
// own upstream DNS server on loopback (a dns-packet stub answering from a fixed table). n1 is the
// primary of view 0. Nodes n1–n3 ask an honest upstream; n4's upstream lies.
const SEED = 'dns-pbft';

describe('agreement: cluster through plugin-pbft', () => {
  const { stub, node } = useCleanup();

  async function cluster(liarId = 'n4') {
    const record = (data: string) => ({ answers: [{ name: 'bank.example', type: 'A' as const, ttl: 300, data }] });
    const honest = await stub({ 'bank.example/A': record('192.0.2.10') });
    const liar = await stub({ 'bank.example/A': record('203.0.113.66') });
    const ids = ['n1', 'n2', 'n3', 'n4'];
    const network = createMemoryNetwork({ seed: SEED, clock: systemClock });
    const keys = generateNodeKeys(ids, { seed: SEED });
    const publicKeys = Object.fromEntries(ids.map((id) => [id, keys[id]!.publicKey]));
    for (const id of ids) network.transport(id);
    const disagreements: (DnsDisagreement & { node: string })[] = [];
    const nodes: DnsTestNode[] = [];
    for (const id of ids) {
      const upstream: StubUpstream = id === liarId ? liar : honest;
      const watcher = definePlugin({
        name: '@acme/watch',
        version: '1.0.0',
        setup: (ctx) => void ctx.hooks.tap(dnsDisagreementHook, (d) => void disagreements.push({ ...d, node: id })),
      });
      nodes.push(
        await node(
          { forwarders: [upstream.address], agreement: 'cluster', cluster_agreement: { settle: 30 }, enabled: false },
          {
            id,
            plugins: [pbftPlugin, watcher],
            overrides: [
              [transportRef, network.transport(id)],
              [keysRef, createKeyring({ nodeId: id, privateKey: keys[id]!.privateKey, publicKeys })],
            ],
          },
        ),
      );
    }
    return { nodes, disagreements, honest, liar };
  }

  /** Waits (real time, at most 5 s) until every replica has executed what the most advanced one has. */
  async function executedEverywhere(nodes: readonly DnsTestNode[]): Promise<void> {
    const executed = () => nodes.map((n) => n.node.get(consensusRef).status().lastExecuted);
    for (let waited = 0; Math.min(...executed()) < Math.max(...executed()); waited += 20) {
      if (waited > 5000) throw new Error(`replicas did not converge: lastExecuted ${executed().join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const resolve = (n: DnsTestNode) => n.node.get(resolverRef).resolve({ name: 'bank.example', type: 'A' });

  it('commits the RRset through PBFT; every replica validated it and every node’s cache holds it', async () => {
    const { nodes, honest, liar } = await cluster();
    expect(nodes[0]!.node.get(consensusRef).status().primary).toBe('n1');
    const answer = await resolve(nodes[1]!);
    expect(answer).toMatchObject({ rcode: 'NOERROR', source: 'cluster', answers: [{ data: '192.0.2.10' }] });
    // Every replica resolved the question through its own upstream before it prepared the answer:
    // n4 found the proposal different from what its upstream said and did not prepare it.
    const refused = await Promise.all(nodes.map(async (n) => /hypermesh_pbft_messages_dropped_total\{[^}]*reason="invalid-operation"[^}]*\} [1-9]/.test(await n.node.metrics.metrics())));
    expect(refused).toEqual([false, false, false, true]);
    expect(liar.received).toContain('bank.example/A');
    expect(honest.received.filter((q) => q === 'bank.example/A').length).toBeGreaterThanOrEqual(3);
    // n4 refused to prepare the answer it disagrees with, so it learns the commit from its peers
    await executedEverywhere(nodes);
    for (const n of nodes) {
      // the committed answer replaces what n4's lying upstream said: n4 answers the agreed RRset too
      const cached = await resolve(n);
      expect(cached, n.node.id).toMatchObject({ source: 'cache', answers: [{ data: '192.0.2.10' }] });
    }
    // both consensus rounds (question, answer) went through the real replicas
    for (const n of nodes) expect(n.node.get(consensusRef).status().lastExecuted).toBeGreaterThanOrEqual(2);
  });

  it('does not commit an RRset that only the proposer saw: SERVFAIL, reported, nobody caches the lie', async () => {
    const { nodes, disagreements } = await cluster();
    const answer = await resolve(nodes[3]!);
    expect(answer.rcode).toBe('SERVFAIL');
    expect(answer.extendedErrors[0]!.extraText).toMatch(/did not commit this answer/);
    expect(answer.extendedErrors[0]!.extraText).toMatch(/resolved bank\.example\/A differently/);
    expect(disagreements.map((d) => [d.node, d.mode, d.outcome])).toEqual([['n4', 'cluster', 'servfail']]);
    // the honest nodes never cached the lie: their own miss commits the honest RRset
    const honest = await resolve(nodes[0]!);
    expect(honest).toMatchObject({ rcode: 'NOERROR', source: 'cluster', answers: [{ data: '192.0.2.10' }] });
    await executedEverywhere(nodes);
    const again = await resolve(nodes[3]!);
    expect(again).toMatchObject({ source: 'cache', answers: [{ data: '192.0.2.10' }] });
  });

  it('a lying primary gets its answer refused by the backups; after the view change the honest answer commits', async () => {
    const { nodes, disagreements } = await cluster('n1');
    // n1 (primary of view 0) proposes what its upstream said; the backups resolved it differently and
    // do not prepare, their request timers expire and they move to view 1, where the refusal is agreed.
    const lie = await resolve(nodes[0]!);
    expect(lie.rcode).toBe('SERVFAIL');
    expect(disagreements.map((d) => [d.node, d.outcome])).toEqual([['n1', 'servfail']]);
    await executedEverywhere(nodes);
    const views = nodes.map((n) => n.node.get(consensusRef).status());
    console.log(`[${SEED}] after the lying primary's proposal: views ${views.map((v) => `${v.nodeId}:${v.view}/${v.primary}`).join(' ')}`);
    for (const v of views.slice(1)) expect(v.view, v.nodeId).toBeGreaterThanOrEqual(1);
    const answer = await resolve(nodes[1]!);
    expect(answer).toMatchObject({ rcode: 'NOERROR', source: 'cluster', answers: [{ data: '192.0.2.10' }] });
    await executedEverywhere(nodes);
    for (const n of nodes) expect((await resolve(n)).answers[0]!.data, n.node.id).toBe('192.0.2.10');
  });

  it('a lying primary cannot veto the honest answer: the backups withhold PREPAREs, the view changes, it commits', async () => {
    const { nodes } = await cluster('n1');
    // n2 proposes; the primary n1 resolved differently and marks the answer refused, which the honest
    // backups do not accept (they find it valid): their timers expire and n2 becomes primary.
    const answer = await resolve(nodes[1]!);
    expect(answer).toMatchObject({ rcode: 'NOERROR', source: 'cluster', answers: [{ data: '192.0.2.10' }] });
    expect(nodes[1]!.node.get(consensusRef).status().primary).not.toBe('n1');
    await executedEverywhere(nodes);
    for (const n of nodes) expect((await resolve(n)).answers[0]!.data, n.node.id).toBe('192.0.2.10');
  });
});
