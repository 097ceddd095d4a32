import {
  datapathRef,
  definePlugin,
  dnsAnswerHook,
  resolverRef,
  type DatapathDnsEntry,
  type DatapathService,
  type DatapathVerdict,
} from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { kdig } from '../testing/peers.js';
import { useCleanup } from '../testing/cleanup.js';
import { stubSoa } from '../testing/stub-upstream.js';
import { dnsDisagreementHook, dnsResolveHook, type DnsDisagreement } from './hooks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const a = (name: string, data: string, ttl = 300) => ({ name, type: 'A' as const, ttl, data });

describe('resolver chain', () => {
  const { stub, node } = useCleanup();

  it('forwards a miss, answers the repeat from the cache with a lower TTL, and counts the hit rate', async () => {
    const upstream = await stub({ 'www.example.org/A': { answers: [a('www.example.org', '192.0.2.1', 300)] } });
    const n = await node({ forwarders: [upstream.address] });
    const resolver = n.node.get(resolverRef);
    const first = await resolver.resolve({ name: 'WWW.Example.org.', type: 'A' });
    expect(first).toMatchObject({ rcode: 'NOERROR', source: 'upstream', answers: [{ data: '192.0.2.1', ttl: 300 }] });
    await sleep(1100);
    const second = await resolver.resolve({ name: 'www.example.org', type: 'A' });
    expect(second.source).toBe('cache');
    expect(second.answers[0]!.ttl).toBeLessThan(300);
    expect(upstream.received).toEqual(['www.example.org/A']);
    expect(resolver.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 1, hitRate: 0.5, cacheEntries: 1 });
    const viaKdig = await kdig(['@127.0.0.1', '-p', String(n.addresses.udp.port), 'www.example.org', 'A']);
    expect(viaKdig.flags).toEqual(expect.arrayContaining(['qr', 'rd', 'ra']));
    expect(viaKdig.flags).not.toContain('aa');
    await expect(resolver.resolve({ name: 'a..b', type: 'A' })).rejects.toMatchObject({ code: 'E_DNS_QUESTION' });
  });

  it('answers SERVFAIL with EDE 22 when no upstream answers, and ANY minimally without asking (RFC 8482)', async () => {
    const upstream = await stub();
    upstream.override = 'drop';
    const n = await node({ forwarders: [upstream.address], forward: { timeout: 200, retries: 0 } });
    const port = String(n.addresses.udp.port);
    const failed = await kdig(['@127.0.0.1', '-p', port, '+edns', 'down.example.org', 'A']);
    expect(failed.status).toBe('SERVFAIL');
    expect(failed.ede.join()).toMatch(/^22 \(No Reachable Authority\): 'no upstream answered down\.example\.org/);
    const any = await kdig(['@127.0.0.1', '-p', port, 'down.example.org', 'ANY']);
    expect(any.status).toBe('NOERROR');
    expect(any.answers[0]!.slice(3)).toEqual(['HINFO', '"RFC8482"', '""']);
    expect(upstream.received).toEqual(['down.example.org/A']);
  });

  it('caches NXDOMAIN for the SOA minimum (RFC 2308) but not negative answers without an SOA', async () => {
    const upstream = await stub({
      'nx.example.org/A': { answers: [], authorities: [stubSoa('example.org', 60)], rcode: 'NXDOMAIN' },
      'bare.example.org/A': { answers: [], rcode: 'NXDOMAIN' },
    });
    const n = await node({ forwarders: [upstream.address] });
    const resolver = n.node.get(resolverRef);
    for (let i = 0; i < 2; i++) {
      expect((await resolver.resolve({ name: 'nx.example.org', type: 'A' })).rcode).toBe('NXDOMAIN');
      expect((await resolver.resolve({ name: 'bare.example.org', type: 'A' })).rcode).toBe('NXDOMAIN');
    }
    expect(upstream.received.filter((q) => q.startsWith('nx.'))).toHaveLength(1);
    expect(upstream.received.filter((q) => q.startsWith('bare.'))).toHaveLength(2);
    const cached = await resolver.resolve({ name: 'nx.example.org', type: 'A' });
    expect(cached.authorities[0]).toMatchObject({ type: 'SOA' });
    expect(cached.authorities[0]!.ttl).toBeLessThanOrEqual(60);
  });

  it('clamps TTLs to min_ttl and max_ttl', async () => {
    const upstream = await stub({
      'short.example/A': { answers: [a('short.example', '192.0.2.2', 5)] },
      'long.example/A': { answers: [a('long.example', '192.0.2.3', 999_999)] },
    });
    const n = await node({ forwarders: [upstream.address], cache: { min_ttl: 60, max_ttl: 3600 } });
    const resolver = n.node.get(resolverRef);
    await resolver.resolve({ name: 'short.example', type: 'A' });
    await resolver.resolve({ name: 'long.example', type: 'A' });
    expect((await resolver.resolve({ name: 'short.example', type: 'A' })).answers[0]!.ttl).toBe(60);
    expect((await resolver.resolve({ name: 'long.example', type: 'A' })).answers[0]!.ttl).toBe(3600);
  });

  it('serves stale answers with EDE 3 while the upstream is down (RFC 8767), then fresh ones again', async () => {
    const upstream = await stub({ 'svc.example/A': { answers: [a('svc.example', '192.0.2.7', 1)] } });
    const n = await node({ forwarders: [upstream.address], forward: { timeout: 200, retries: 0 }, cache: { serve_stale: { client_timeout: 100 } } });
    const resolver = n.node.get(resolverRef);
    await resolver.resolve({ name: 'svc.example', type: 'A' });
    upstream.override = 'drop';
    await sleep(1100);
    const stale = await resolver.resolve({ name: 'svc.example', type: 'A' });
    expect(stale).toMatchObject({ rcode: 'NOERROR', source: 'stale-cache', answers: [{ data: '192.0.2.7', ttl: 30 }] });
    expect(stale.extendedErrors[0]!.infoCode).toBe(3);
    upstream.override = undefined;
    await sleep(300);
    expect((await resolver.resolve({ name: 'svc.example', type: 'A' })).source).toBe('upstream');
    expect(await n.node.metrics.metrics()).toMatch(/hypermesh_dns_cache_stale_answers_total\{node="node-1"\} [1-9]/);
  });

  it('prefetches a popular entry before it expires', async () => {
    const upstream = await stub({ 'hot.example/A': { answers: [a('hot.example', '192.0.2.9', 2)] } });
    const n = await node({ forwarders: [upstream.address], cache: { prefetch: { min_hits: 2, threshold: 0.6 } } });
    const resolver = n.node.get(resolverRef);
    await resolver.resolve({ name: 'hot.example', type: 'A' });
    await resolver.resolve({ name: 'hot.example', type: 'A' });
    await sleep(900); // 45% of the TTL is left: below the 60% threshold
    expect((await resolver.resolve({ name: 'hot.example', type: 'A' })).source).toBe('cache');
    await sleep(100);
    expect(upstream.received).toEqual(['hot.example/A', 'hot.example/A']);
    await sleep(1200); // the original entry would have expired by now; the prefetched one has not
    expect((await resolver.resolve({ name: 'hot.example', type: 'A' })).source).toBe('cache');
  });

  it('lets an integrator insert stages before the cache and between the zone and forwarding, and rewrite answers', async () => {
    const upstream = await stub({ 'fwd.example/A': { answers: [a('fwd.example', '192.0.2.1')] } });
    const integrator = definePlugin({
      name: '@acme/stages',
      version: '1.0.0',
      optional: { '@hypermesh/plugin-dns-ct': '*' },
      setup(ctx) {
        ctx.hooks.tap(dnsResolveHook, (req) => (req.question.name === 'pinned.example' ? answer(req.question, '198.51.100.1') : undefined), { name: 'pin', order: 'pre' });
        ctx.hooks.tap(dnsResolveHook, (req) => (req.question.name.endsWith('.corp') ? answer(req.question, '10.1.2.3') : undefined), { name: 'corp' });
        ctx.hooks.tap(dnsAnswerHook, (event) =>
          event.resolution.question.name === 'fwd.example' ? { ...event, resolution: { ...event.resolution, answers: event.resolution.answers.map((r) => ({ ...r, ttl: 7 })) } } : event,
        );
      },
    });
    const n = await node({ forwarders: [upstream.address] }, { plugins: [integrator] });
    const resolver = n.node.get(resolverRef);
    expect((await resolver.resolve({ name: 'pinned.example', type: 'A' })).answers[0]!.data).toBe('198.51.100.1');
    expect((await resolver.resolve({ name: 'host.corp', type: 'A' })).answers[0]!.data).toBe('10.1.2.3');
    expect((await resolver.resolve({ name: 'fwd.example', type: 'A' })).answers[0]!.ttl).toBe(7);
    expect(upstream.received).toEqual(['fwd.example/A']);
    const taps = n.node.describe().hooks.find((h) => h.id === 'dns.resolve')!.taps.map((t) => t.name);
    expect(taps).toEqual(['pin', 'cache', 'zone', 'corp', 'forward']);
  });

  it('agreement upstreams: accepts the quorum answer, reports disagreement, and SERVFAILs without a quorum', async () => {
    const honest1 = await stub({ 'bank.example/A': { answers: [a('bank.example', '192.0.2.10')] }, 'split.example/A': { answers: [a('split.example', '192.0.2.1')] } });
    const honest2 = await stub({ 'bank.example/A': { answers: [a('bank.example', '192.0.2.10', 60)] }, 'split.example/A': { answers: [a('split.example', '192.0.2.2')] } });
    const liar = await stub({ 'bank.example/A': { answers: [a('bank.example', '203.0.113.66')] }, 'split.example/A': { answers: [a('split.example', '192.0.2.3')] } });
    const seen: DnsDisagreement[] = [];
    const watcher = definePlugin({ name: '@acme/watch', version: '1.0.0', setup: (ctx) => void ctx.hooks.tap(dnsDisagreementHook, (d) => void seen.push(d)) });
    const n = await node({ forwarders: [honest1.address, honest2.address, liar.address], agreement: 'upstreams' }, { plugins: [watcher] });
    const resolver = n.node.get(resolverRef);
    const bank = await resolver.resolve({ name: 'bank.example', type: 'A' });
    expect(bank.answers.map((r) => [r.data, r.ttl])).toEqual([['192.0.2.10', 60]]);
    const split = await resolver.resolve({ name: 'split.example', type: 'A' });
    expect(split.rcode).toBe('SERVFAIL');
    expect(split.extendedErrors[0]!.extraText).toMatch(/upstreams disagree/);
    await sleep(50);
    expect(seen.map((d) => [d.question.name, d.outcome])).toEqual([
      ['bank.example', 'quorum'],
      ['split.example', 'servfail'],
    ]);
    expect(seen[0]!.answers.find((g) => g.from.includes(liar.address))!.rrset).toMatch(/203\.0\.113\.66/);
    expect(await n.node.metrics.metrics()).toMatch(/hypermesh_dns_disagreements_total\{mode="upstreams",node="node-1"\} 2/);
  });

  it('rate-limits a client prefix with TC slip, and leaves TCP alone', async () => {
    const n = await node({ rate_limit: { enabled: true, qps: 1, burst: 3, slip: 2 }, zone: { records: [{ name: 'a', type: 'A', data: '10.0.0.1' }] } });
    const port = String(n.addresses.udp.port);
    const outcomes: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await kdig(['@127.0.0.1', '-p', port, '+ignore', '+time=1', 'a.hypermesh.local', 'A']).catch(() => ({ status: 'timeout', flags: [] as string[] }));
      outcomes.push(r.flags.includes('tc') ? 'tc' : r.status);
    }
    expect(outcomes.slice(0, 3)).toEqual(['NOERROR', 'NOERROR', 'NOERROR']);
    expect(outcomes.slice(3)).toEqual(expect.arrayContaining(['tc']));
    expect(outcomes.slice(3)).toContain('timeout');
    expect((await kdig(['@127.0.0.1', '-p', port, '+tcp', 'a.hypermesh.local', 'A'])).status).toBe('NOERROR');
  });

  it('pushes hot A answers into the datapath and honours its admission verdicts', async () => {
    const upstream = await stub({ 'cdn.example/A': { answers: [a('cdn.example', '192.0.2.50', 120)] } });
    const puts: DatapathDnsEntry[] = [];
    let verdict: DatapathVerdict = 'pass';
    const datapath = {
      capabilities: () => ({ mode: 'userspace', root: false, capBpf: false, capNetAdmin: false, btf: false, xdpModes: [], tc: false, ringBuffer: false, missing: [] }),
      attach: async () => undefined,
      detach: async () => undefined,
      dnsCache: {
        put: (e: DatapathDnsEntry) => void puts.push(e),
        get: (name: string, type: 'A' | 'AAAA') => puts.find((e) => e.name === name && e.type === type),
        delete: () => undefined,
        clear: () => undefined,
        size: () => puts.length,
      },
      block: () => undefined,
      unblock: () => undefined,
      rateLimit: () => undefined,
      admit: () => verdict,
      events: async function* () {},
      stats: () => ({ packets: 0, dnsAnsweredInKernel: 0, dnsPassed: 0, dropped: 0, rateLimited: 0, lostEvents: 0 }),
    } satisfies DatapathService;
    const n = await node({ forwarders: [upstream.address], cache: { datapath_min_hits: 3 } }, { overrides: [[datapathRef, datapath]] });
    const port = String(n.addresses.udp.port);
    for (let i = 0; i < 4; i++) await kdig(['@127.0.0.1', '-p', port, 'cdn.example', 'A']);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ name: 'cdn.example', type: 'A', addresses: ['192.0.2.50'] });
    expect(puts[0]!.ttl).toBeGreaterThan(100);
    verdict = 'block';
    await expect(kdig(['@127.0.0.1', '-p', port, '+time=1', 'cdn.example', 'A'])).rejects.toThrow();
    expect(await n.node.metrics.metrics()).toMatch(/hypermesh_dns_dropped_total\{reason="datapath-block",node="node-1"\} 1/);
  });
});

function answer(question: { name: string; type: string }, address: string) {
  return {
    question: question as never,
    rcode: 'NOERROR' as const,
    answers: [{ name: question.name, type: 'A' as const, ttl: 60, data: address }],
    authorities: [],
    additionals: [],
    authoritative: false,
    source: 'policy' as const,
    extendedErrors: [],
  };
}
