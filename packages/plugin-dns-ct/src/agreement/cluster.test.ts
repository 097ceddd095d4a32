import { consensusRef, definePlugin, resolverRef } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { createFakeCluster } from '../testing/fake-consensus.js';
import { useCleanup } from '../testing/cleanup.js';
import type { DnsTestNode } from '../testing/node.js';
import type { StubUpstream } from '../testing/stub-upstream.js';
import { dnsDisagreementHook, type DnsDisagreement } from '../resolver/hooks.js';

// Four nodes share one consensus order (n = 4, f = 1). Nodes 1–3 use honest upstreams; node 4's
// upstream lies. A miss commits only if 2f+1 = 3 replicas resolved the same RRset themselves.
describe('agreement: cluster', () => {
  const { stub, node } = useCleanup();

  async function cluster() {
    const honest = await stub({ 'bank.example/A': { answers: [{ name: 'bank.example', type: 'A', ttl: 300, data: '192.0.2.10' }] } });
    const liar = await stub({ 'bank.example/A': { answers: [{ name: 'bank.example', type: 'A', ttl: 300, data: '203.0.113.66' }] } });
    const ids = ['n1', 'n2', 'n3', 'n4'];
    const consensus = createFakeCluster(ids);
    const disagreements: DnsDisagreement[] = [];
    const nodes: DnsTestNode[] = [];
    for (const id of ids) {
      const upstream: StubUpstream = id === 'n4' ? liar : honest;
      const watcher = definePlugin({ name: '@acme/watch', version: '1.0.0', setup: (ctx) => void ctx.hooks.tap(dnsDisagreementHook, (d) => void disagreements.push(d)) });
      const n = await node(
        { forwarders: [upstream.address], agreement: 'cluster', cluster_agreement: { settle: 30 }, enabled: false },
        { id, overrides: [[consensusRef, consensus.service(id)]], plugins: [watcher] },
      );
      nodes.push(n);
    }
    return { nodes, consensus, disagreements, honest, liar };
  }

  it('commits an RRset that 2f+1 replicas resolved identically and fills every node’s cache', async () => {
    const { nodes, consensus } = await cluster();
    const answer = await nodes[0]!.node.get(resolverRef).resolve({ name: 'bank.example', type: 'A' });
    expect(answer).toMatchObject({ rcode: 'NOERROR', source: 'cluster', answers: [{ data: '192.0.2.10' }] });
    // the lying replica refused to prepare; the other three accepted
    expect(consensus.refusals).toEqual(['n4: replica n4 resolved bank.example/A differently itself']);
    for (const n of nodes) {
      const cached = await n.node.get(resolverRef).resolve({ name: 'bank.example', type: 'A' });
      expect(cached).toMatchObject({ source: 'cache', answers: [{ data: '192.0.2.10' }] });
    }
  });

  it('answers SERVFAIL when a replica proposes an RRset the others did not see, and reports it', async () => {
    const { nodes, disagreements } = await cluster();
    const answer = await nodes[3]!.node.get(resolverRef).resolve({ name: 'bank.example', type: 'A' });
    expect(answer.rcode).toBe('SERVFAIL');
    expect(answer.extendedErrors[0]!.extraText).toMatch(/did not commit/);
    expect(disagreements.map((d) => [d.mode, d.outcome])).toEqual([['cluster', 'servfail']]);
    // nobody cached the lie
    const honest = await nodes[0]!.node.get(resolverRef).resolve({ name: 'bank.example', type: 'A' });
    expect(honest.answers[0]!.data).toBe('192.0.2.10');
  });

  it('replicates the service-discovery zone through consensus (dns.records)', async () => {
    const { nodes } = await cluster();
    await nodes[1]!.node.get(resolverRef).zone.upsert([{ name: 'api.svc', type: 'A', data: '10.2.0.1' }]);
    for (const n of nodes) {
      expect((await n.node.get(resolverRef).resolve({ name: 'api.svc.hypermesh.local', type: 'A' })).answers[0]!.data).toBe('10.2.0.1');
    }
  });
});
