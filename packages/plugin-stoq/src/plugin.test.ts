import {
  analyticsRef,
  clockRef,
  clusterSections,
  createNode,
  createServiceRef,
  createSimulatedClock,
  datapathRef,
  definePlugin,
  dnsAnswerHook,
  dnsQueryHook,
  parseClusterConfig,
  threatDetectedHook,
  transportRef,
  type DatapathEvent,
  type DatapathService,
  type DnsQueryEvent,
  type HypermeshNode,
  type SimulatedClock,
  type ThreatEvent,
  type TransportService,
} from '@hypermesh/runtime';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { stoqPlugin, stoqRef } from './plugin.js';

const PLUGIN = '@hypermesh/plugin-stoq';

const query = (client: string, name: string, at: number, type: DnsQueryEvent['question']['type'] = 'A'): DnsQueryEvent => ({
  client,
  clientPort: 53000,
  transport: 'udp',
  id: 1,
  question: { name, type },
  size: 40,
  receivedAt: at,
});

/** A userspace datapath as the DNS server would consult it: verdicts per address, a flow-event stream. */
function testDatapath() {
  const blocked = new Map<string, number>();
  const limited = new Map<string, number>();
  const calls: string[] = [];
  const queue: DatapathEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const service: DatapathService = {
    capabilities: () => ({ mode: 'userspace', root: false, capBpf: false, capNetAdmin: false, btf: false, xdpModes: [], tc: false, ringBuffer: false, missing: ['test datapath'] }),
    attach: async () => undefined,
    detach: async () => undefined,
    dnsCache: { put: () => undefined, get: () => undefined, delete: () => undefined, clear: () => undefined, size: () => 0 },
    block: (address, ttlMs) => void (calls.push(`block ${address} ${ttlMs}`), blocked.set(address, ttlMs)),
    unblock: (address) => void (calls.push(`unblock ${address}`), blocked.delete(address)),
    rateLimit: (prefix, qps) => void (calls.push(`rate-limit ${prefix} ${qps}`), qps === 0 ? limited.delete(prefix) : limited.set(prefix, qps)),
    admit: (address) => (blocked.has(address) ? 'block' : limited.has(`${address}/32`) ? 'rate-limit' : 'pass'),
    events: () => ({
      async *[Symbol.asyncIterator]() {
        while (!ended) {
          const next = queue.shift();
          if (next !== undefined) yield next;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    }),
    stats: () => ({ packets: 0, dnsAnsweredInKernel: 0, dnsPassed: 0, dropped: 0, rateLimited: 0, lostEvents: 0 }),
  };
  const plugin = definePlugin({ name: '@test/datapath', version: '1.0.0', provides: [datapathRef], setup: (ctx) => ctx.provide(datapathRef, service) });
  return {
    plugin,
    service,
    calls,
    push: (event: DatapathEvent) => {
      queue.push(event);
      wake?.();
    },
    end: () => {
      ended = true;
      wake?.();
    },
  };
}

describe('@hypermesh/plugin-stoq in a node', () => {
  let node: HypermeshNode | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  async function start(config: unknown, extra: { plugins?: Parameters<typeof createNode>[0]['plugins']; clock?: SimulatedClock; overrides?: Parameters<typeof createNode>[0]['overrides'] } = {}) {
    const clock = extra.clock ?? createSimulatedClock(0);
    node = createNode({
      id: 'n1',
      logger: pino({ level: 'silent' }),
      plugins: [stoqPlugin, ...(extra.plugins ?? [])],
      config: { [PLUGIN]: config },
      overrides: [[clockRef, clock], ...(extra.overrides ?? [])],
    });
    const threats: ThreatEvent[] = [];
    node.hooks.tap(threatDetectedHook, (t) => void threats.push(t));
    await node.start();
    return { node, clock, threats };
  }

  /** Sends `rate` queries/s from `client` for `seconds`, advancing the clock; returns the verdicts. */
  async function flood(n: HypermeshNode, clock: SimulatedClock, client: string, rate: number, seconds: number) {
    const verdicts: (string | undefined)[] = [];
    for (let i = 0; i < rate * seconds; i++) {
      if (i % rate === 0) await clock.advance(1000);
      verdicts.push(n.hooks.callSync(dnsQueryHook, query(client, `www${i % 50}.example.org`, clock.now() + (i % rate) * (1000 / rate)))?.action);
    }
    return verdicts;
  }

  it('refuses a flooding client in its dns.query tap when no datapath is loaded, emits threat.detected, and lifts it when quiet', async () => {
    const { node: n, clock, threats } = await start({ policy: { ttl: 30_000, release_after: 20_000 } });
    const verdicts = await flood(n, clock, '192.0.2.50', 300, 6);
    expect(n.hooks.callSync(dnsQueryHook, query('192.0.2.1', 'www.example.org', clock.now()))).toBeUndefined();
    expect(verdicts.slice(0, 200).every((v) => v === undefined)).toBe(true);
    expect(verdicts.slice(-100).filter((v) => v === 'refuse').length).toBeGreaterThan(80); // 10 q/s get through the rate limit
    await clock.advance(1);
    const detected = threats.find((t) => t.kind === 'query-flood')!;
    expect(detected).toMatchObject({ subject: { client: '192.0.2.50' }, action: 'rate-limit', severity: expect.any(String) });
    expect(n.get(stoqRef).enforcement()).toBe('dns');
    expect(n.get(analyticsRef).activeThreats().map((t) => t.id)).toContain(detected.id);
    expect(n.get(analyticsRef).topTalkers(1)[0]!.client).toBe('192.0.2.50');

    await clock.advance(60_000); // quiet for longer than release_after, past the ttl
    const lifted = threats.find((t) => t.lifts === detected.id);
    expect(lifted).toMatchObject({ action: 'observe', subject: { client: '192.0.2.50' } });
    expect(n.hooks.callSync(dnsQueryHook, query('192.0.2.50', 'www.example.org', clock.now()))).toBeUndefined();
    expect(n.get(analyticsRef).activeThreats()).toEqual([]);
  });

  it('acts through the datapath when one is loaded, and consumes its flow events', async () => {
    const datapath = testDatapath();
    const { node: n, clock, threats } = await start({ policy: { ttl: 30_000, release_after: 20_000 } }, { plugins: [datapath.plugin] });
    const verdicts = await flood(n, clock, '192.0.2.60', 300, 6);
    expect(verdicts.every((v) => v === undefined)).toBe(true); // the DNS server consults datapath.admit instead
    expect(datapath.service.admit('192.0.2.60')).toBe('rate-limit');
    expect(datapath.calls).toContain('rate-limit 192.0.2.60/32 10');
    expect(n.get(stoqRef).enforcement()).toBe('datapath');

    datapath.push({ kind: 'flow', at: clock.now(), source: '10.0.0.5', destination: '10.0.0.9', sourcePort: 4000, destinationPort: 443, protocol: 6, packets: 10, bytes: 15_000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(n.get(stoqRef).flows()).toEqual(['6 10.0.0.5:4000 > 10.0.0.9:443']);
    expect(n.get(stoqRef).flowModel('6 10.0.0.5:4000 > 10.0.0.9:443')!.statistics.bytes).toBe(15_000);

    const detected = threats.find((t) => t.kind === 'query-flood')!;
    expect(n.get(analyticsRef).release(detected.id)).toBe(true);
    expect(datapath.calls).toContain('rate-limit 192.0.2.60/32 0');
    expect(datapath.service.admit('192.0.2.60')).toBe('pass');
    await clock.advance(1);
    expect(threats.some((t) => t.lifts === detected.id)).toBe(true);
    expect(n.get(analyticsRef).release(detected.id)).toBe(false);
    datapath.end();
  });

  it("never acts against the cluster's own nodes (config and transport peers) or allow-listed clients; node scores feed reputation", async () => {
    const transport: TransportService = {
      nodeId: 'n1',
      maxMessageBytes: 1 << 20,
      peers: () => ['n2', '198.51.100.3:7000'],
      send: () => true,
      broadcast: () => undefined,
      subscribe: () => () => undefined,
      onPeerStatus: () => () => undefined,
    };
    const { node: n, clock, threats } = await start(
      { policy: { cluster_nodes: [{ id: 'n2', address: '198.51.100.2:7000' }], allow_clients: ['203.0.113.0/24'] } },
      { overrides: [[transportRef, transport]] },
    );
    for (const client of ['198.51.100.2', '198.51.100.3', '203.0.113.9']) {
      const verdicts = await flood(n, clock, client, 300, 6);
      expect(verdicts.every((v) => v === undefined)).toBe(true);
    }
    await clock.advance(1);
    const flagged = threats.filter((t) => t.kind === 'query-flood');
    expect(flagged.map((t) => t.subject.client).sort()).toEqual(['198.51.100.2', '198.51.100.3', '203.0.113.9']);
    expect(flagged.every((t) => t.action === 'observe')).toBe(true);
    expect(flagged.find((t) => t.subject.client === '198.51.100.2')!.subject.node).toBe('n2');
    expect(flagged.find((t) => t.subject.client === '203.0.113.9')!.reasons.at(-1)!.explanation).toMatch(/allow-list/);
    expect(n.get(analyticsRef).nodeScore('n2')).toBeGreaterThan(0.7);
    expect(n.get(analyticsRef).nodeScore('unknown-node')).toBeUndefined();
  });

  it('learns NXDOMAIN from dns.answer, takes custom detectors, and exports metrics', async () => {
    const { node: n, clock, threats } = await start({});
    const analytics = n.get(analyticsRef);
    const remove = analytics.addDetector({
      name: 'test.exact-name',
      kind: 'anomaly',
      inspect: (e) => (e.kind === 'dns' && e.name === 'evil.example' ? { subject: { domain: 'evil.example' }, score: 0.9, reasons: [{ feature: 'listed', value: 1, weight: 1, explanation: 'on the test list' }] } : undefined),
    });
    await clock.advance(1000);
    n.hooks.callSync(dnsQueryHook, query('192.0.2.7', 'evil.example', clock.now()));
    remove();
    const q = query('192.0.2.7', 'nothing-here.example.org', clock.now());
    n.hooks.callSync(dnsQueryHook, q);
    await n.hooks.call(dnsAnswerHook, {
      query: q,
      resolution: { question: q.question, rcode: 'NXDOMAIN', answers: [], authorities: [], additionals: [], authoritative: false, source: 'upstream', extendedErrors: [] },
    });
    await clock.advance(1);
    expect(threats.find((t) => t.subject.domain === 'evil.example')).toMatchObject({ kind: 'anomaly', action: 'observe' });
    const text = await n.metrics.metrics();
    expect(text).toMatch(/hypermesh_stoq_events_total\{kind="dns",node="n1"\} 2/);
    expect(text).toMatch(/hypermesh_stoq_events_total\{kind="answers",node="n1"\} 1/);
    expect(text).toMatch(/hypermesh_stoq_threats_total\{kind="anomaly",action="observe",node="n1"\} 1/);
    expect(analytics.modelStatus().classifier).toMatch(/^stoq-names@/);
    expect((await n.health()).plugins.find((p) => p.name === PLUGIN)).toMatchObject({ status: 'ok' });
  });

  it("takes the Cluster document's spec.stoq section as it is, and can be switched off", async () => {
    const cluster = parseClusterConfig(`
apiVersion: hypermesh.io/v1
kind: Cluster
metadata: { name: test }
spec:
  stoq:
    enabled: false
    analytics: { ml_inference: false }
    performance: { processing_latency_us: 20, batch_size: 500 }
  plugins:
    '@hypermesh/plugin-stoq':
      window: 30s
      policy: { enforcement: dns, allow_clients: ['10.0.0.0/8'] }
`);
    const sections = clusterSections(cluster);
    const { node: n } = await start(sections[PLUGIN]);
    expect(n.hooks.callSync(dnsQueryHook, query('192.0.2.1', 'a.example', 0))).toBeUndefined();
    expect(n.describe().hooks.find((h) => h.id === 'dns.query')?.taps ?? []).toEqual([]);
    expect(n.get(analyticsRef).modelStatus().classifier).toBe('off');
    expect(n.get(stoqRef).enforcement()).toBe('dns'); // from spec.plugins, merged over spec.stoq
  });

  it('rejects a bad config with the path of each problem', () => {
    expect(() =>
      createNode({ logger: pino({ level: 'silent' }), plugins: [stoqPlugin], config: { [PLUGIN]: { window: 'soon', policy: { dga: { action: 'nuke' } } } } }),
    ).toThrowError(/config\['@hypermesh\/plugin-stoq'\]\.window: 'soon' is not a duration[\s\S]*policy\.dga\.action/);
  });

  it('sends alerts to the configured webhook', async () => {
    const received: { threat: ThreatEvent; node: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const { node: n, clock, threats } = await start({ webhook: { url } });
      await flood(n, clock, '192.0.2.77', 300, 5);
      for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(received[0]).toMatchObject({ node: 'n1', threat: { id: threats[0]!.id, kind: 'query-flood', subject: { client: '192.0.2.77' } } });
      const delivered = /hypermesh_stoq_webhook_deliveries_total\{outcome="delivered",node="n1"\} 1/;
      for (let i = 0; i < 200 && !delivered.test(await n.metrics.metrics()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await n.metrics.metrics()).toMatch(delivered);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('provides analytics to a consumer plugin through the contract', async () => {
    const seen = createServiceRef<{ scores: () => number }>({ id: 'test.consumer', version: '1.0.0' });
    const consumer = definePlugin({
      name: '@test/consumer',
      version: '1.0.0',
      requires: { services: [analyticsRef] },
      provides: [seen],
      setup(ctx) {
        const analytics = ctx.use(analyticsRef);
        ctx.provide(seen, { scores: () => analytics.scores().clients.length });
      },
    });
    const { node: n } = await start({}, { plugins: [consumer] });
    expect(n.get(seen).scores()).toBe(0);
  });
});
