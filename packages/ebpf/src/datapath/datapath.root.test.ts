import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createNode, datapathRef, type DatapathEvent, type DatapathService, type HypermeshNode } from '@hypermesh/runtime';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datapathPlugin } from '../plugin.js';
import { startDnsResponder, type DnsResponder } from '../testing/dns-responder.js';
import { createVethNamespace, rootSkipReason, type VethNamespace } from '../testing/netns.js';
import { dnsQuery } from '../testing/packets.js';

const skip = rootSkipReason();
if (skip) console.log(`skipping the datapath end-to-end suite: ${skip}`);

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A node:dgram client run inside the namespace: sends `count` copies of a query (distinct ids),
 * waits, and prints how many answers came back and the first one.
 */
function dgramClient(server: string, port: number, query: Buffer, count: number, waitMs: number): string {
  return `
    const s = require('node:dgram').createSocket('${server.includes(':') ? 'udp6' : 'udp4'}');
    const q = Buffer.from('${query.toString('hex')}', 'hex');
    const answers = [];
    s.on('message', (m) => answers.push(m.toString('hex')));
    s.bind(0, () => {
      for (let i = 0; i < ${count}; i++) { q.writeUInt16BE(i, 0); s.send(q, ${port}, '${server}'); }
      setTimeout(() => { console.log(JSON.stringify({ answered: answers.length, first: answers[0] })); s.close(); }, ${waitMs});
    });`;
}

// The whole datapath on a real interface: a namespace on the far end of a veth pair sends real
// DNS queries (kdig, node:dgram) to a userspace DNS server on this end, where the plugin has
// attached XDP dns_filter and TC flow_stats in generic mode.
describe.skipIf(!!skip)('datapath plugin in kernel mode, on a veth pair', () => {
  let ns: VethNamespace;
  let node: HypermeshNode;
  let datapath: DatapathService;
  let server: DnsResponder;
  const records = new Map([['miss.example', ['198.51.100.7']]]);

  beforeEach(async () => {
    ns = await createVethNamespace();
    server = await startDnsResponder({ address: ns.hostV4, records });
    node = createNode({ logger: pino({ level: 'silent' }), plugins: [datapathPlugin], config: { '@hypermesh/ebpf': { mode: 'kernel', flowReportIntervalMs: 50 } } });
    await node.start();
    datapath = node.get(datapathRef);
    await datapath.attach(ns.hostIf, { dnsPort: server.port, addresses: [ns.hostV4, ns.hostV6] });
  });
  afterEach(async () => {
    await node?.stop();
    await server?.close();
    await ns?.remove();
  });

  const kdig = async (name: string, type: 'A' | 'AAAA', at = ns.hostV4) => {
    try {
      const { stdout } = await ns.exec('kdig', [`@${at}`, '-p', String(server.port), name, type, '+timeout=1', '+retry=0', '+noall', '+answer']);
      return stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(/\s+/))
        .map(([owner, ttl, , rtype, data]) => ({ owner, ttl: Number(ttl), type: rtype, data }));
    } catch {
      return undefined; // kdig exits non-zero when no answer came
    }
  };

  it('answers cached names in XDP (the server never sees them) and passes misses to the server', async () => {
    expect(datapath.capabilities()).toMatchObject({ mode: 'kernel', capBpf: true, capNetAdmin: true, tc: true, ringBuffer: true });
    datapath.dnsCache.put({ name: 'hit.example', type: 'A', addresses: ['192.0.2.10', '192.0.2.11'], ttl: 60 });
    datapath.dnsCache.put({ name: 'hit.example', type: 'AAAA', addresses: ['2001:db8::10'], ttl: 60 });

    const a = await kdig('hit.example', 'A');
    expect(a?.map((r) => [r.owner, r.type, r.data])).toEqual([
      ['hit.example.', 'A', '192.0.2.10'],
      ['hit.example.', 'A', '192.0.2.11'],
    ]);
    expect(a?.[0]?.ttl).toBeGreaterThan(55);
    const aaaa = await kdig('HIT.example', 'AAAA', ns.hostV6); // over IPv6, checked by the peer's kernel and kdig
    expect(aaaa?.map((r) => r.data)).toEqual(['2001:db8::10']);
    expect(server.seen.get('hit.example')).toBeUndefined();

    const miss = await kdig('miss.example', 'A');
    expect(miss?.map((r) => r.data)).toEqual(['198.51.100.7']);
    expect(server.seen.get('miss.example')).toBe(1);

    const client = JSON.parse((await ns.exec(process.execPath, ['-e', dgramClient(ns.hostV4, server.port, dnsQuery({ name: 'hit.example' }), 3, 500)])).stdout);
    expect(client.answered).toBe(3);
    expect(Buffer.from(client.first, 'hex').readUInt16BE(6)).toBe(2); // two answers
    expect(server.seen.get('hit.example')).toBeUndefined();

    const stats = datapath.stats();
    expect(stats.dnsAnsweredInKernel).toBe(5);
    expect(stats.dnsPassed).toBe(1);
  });

  it('drops blocked sources and enforces rate limits per source', async () => {
    datapath.dnsCache.put({ name: 'hit.example', type: 'A', addresses: ['192.0.2.10'], ttl: 60 });
    datapath.block(ns.peerV4, 60_000);
    expect(await kdig('hit.example', 'A')).toBeUndefined();
    expect(await kdig('miss.example', 'A')).toBeUndefined();
    expect(server.received()).toBe(0);
    expect(datapath.admit(ns.peerV4)).toBe('block');
    datapath.unblock(ns.peerV4);
    expect((await kdig('hit.example', 'A'))?.length).toBe(1);

    datapath.rateLimit(`${ns.peerV4}/32`, 5);
    const burst = JSON.parse((await ns.exec(process.execPath, ['-e', dgramClient(ns.hostV4, server.port, dnsQuery({ name: 'hit.example' }), 40, 700)])).stdout);
    // a burst of 5, plus at most the refill during the send and the wait
    expect(burst.answered).toBeGreaterThanOrEqual(5);
    expect(burst.answered).toBeLessThanOrEqual(10);
    expect(datapath.stats().rateLimited).toBeGreaterThanOrEqual(30);
    datapath.rateLimit(`${ns.peerV4}/32`, 0);
    const free = JSON.parse((await ns.exec(process.execPath, ['-e', dgramClient(ns.hostV4, server.port, dnsQuery({ name: 'hit.example' }), 40, 700)])).stdout);
    expect(free.answered).toBe(40);
  });

  it('streams ring-buffer events (answers, drops, flows) and exposes counters as metrics', async () => {
    const events: DatapathEvent[] = [];
    const done = (async () => {
      for await (const e of datapath.events()) {
        events.push(e);
        if (events.some((x) => x.kind === 'dns-answered') && events.some((x) => x.kind === 'dns-drop') && events.some((x) => x.kind === 'flow')) break;
      }
    })();
    datapath.dnsCache.put({ name: 'hit.example', type: 'A', addresses: ['192.0.2.10'], ttl: 60 });
    await kdig('hit.example', 'A');
    await kdig('miss.example', 'A'); // passes XDP, so TC counts its flow
    datapath.block(ns.peerV4, 60_000);
    await kdig('hit.example', 'A');
    await Promise.race([done, sleep(5_000)]);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'dns-answered', source: ns.peerV4, name: 'hit.example', type: 'A' }));
    expect(events).toContainEqual(expect.objectContaining({ kind: 'dns-drop', source: ns.peerV4, reason: 'blocked' }));
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'flow', source: ns.peerV4, destination: ns.hostV4, destinationPort: server.port, protocol: 17 }),
    );
    const answered = events.find((e) => e.kind === 'dns-answered');
    expect(Math.abs((answered?.at ?? 0) - Date.now())).toBeLessThan(10_000);
    const metrics = await node.metrics.metrics();
    expect(metrics).toMatch(/hypermesh_datapath_dns_answered_total\{node="node-1"\} 1/);
    expect(metrics).toMatch(/hypermesh_datapath_dropped_total\{reason="blocked",where="kernel",node="node-1"\} [1-9]/);
    expect(metrics).toContain('hypermesh_datapath_mode{mode="kernel",node="node-1"} 1');
  });

  it('honours TTL expiry: an answer leaves the kernel when its TTL runs out', async () => {
    datapath.dnsCache.put({ name: 'short.example', type: 'A', addresses: ['192.0.2.20'], ttl: 1 });
    records.set('short.example', ['198.51.100.20']);
    expect((await kdig('short.example', 'A'))?.map((r) => r.data)).toEqual(['192.0.2.20']);
    expect(server.seen.get('short.example')).toBeUndefined();
    await sleep(1_200);
    expect((await kdig('short.example', 'A'))?.map((r) => r.data)).toEqual(['198.51.100.20']);
    expect(server.seen.get('short.example')).toBe(1);
  });

  it('detaches: afterwards every query reaches the server', async () => {
    datapath.dnsCache.put({ name: 'hit.example', type: 'A', addresses: ['192.0.2.10'], ttl: 60 });
    records.set('hit.example', ['198.51.100.10']);
    await datapath.detach(ns.hostIf);
    expect((await kdig('hit.example', 'A'))?.map((r) => r.data)).toEqual(['198.51.100.10']);
    const { stdout } = await run('ip', ['link', 'show', ns.hostIf]);
    expect(stdout).not.toContain('xdp');
  });
});

describe.skipIf(!!skip)('datapath capabilities without privileges', () => {
  it('says exactly what is missing and falls back to userspace', async () => {
    const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
    const module = fileURLToPath(new URL('../system/capabilities.ts', import.meta.url));
    const script = `import('${module}').then((m) => console.log(JSON.stringify(m.detectCapabilities())))`;
    const { stdout } = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--', tsx, '--conditions=hypermesh-source', '-e', script], {
      env: { ...process.env, HOME: '/tmp' },
    });
    const caps = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
    expect(caps).toMatchObject({ mode: 'userspace', root: false, capBpf: false, capNetAdmin: false, xdpModes: [] });
    expect(caps.missing).toContainEqual(expect.stringContaining('lacks CAP_BPF'));
    expect(caps.missing).toContainEqual(expect.stringContaining('lacks CAP_NET_ADMIN'));
    expect(caps.missing.join(' ')).toContain('enforces blocks and rate limits in userspace through admit()');
  });
});
