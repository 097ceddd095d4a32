import { clockRef, createNode, createSimulatedClock, datapathRef, type DatapathEvent } from '@hypermesh/runtime';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { datapathPlugin } from '../plugin.js';

// The datapath without eBPF: the same contract, enforced in userspace (what a DNS server gets on
// a machine without root or libbpf). Driven through the node, as other plugins would.
describe('datapath plugin in userspace mode', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  async function start(config: object = {}) {
    const clock = createSimulatedClock(1_000_000);
    const node = createNode({
      logger: pino({ level: 'silent' }),
      plugins: [datapathPlugin],
      config: { '@hypermesh/ebpf': { mode: 'userspace', ...config } },
      overrides: [[clockRef, clock]],
    });
    await node.start();
    stop = () => node.stop();
    return { node, clock, datapath: node.get(datapathRef) };
  }

  it('says it is in userspace mode and why', async () => {
    const { datapath } = await start();
    expect(datapath.capabilities()).toMatchObject({ mode: 'userspace', xdpModes: [], missing: ["the datapath is configured with mode 'userspace'"] });
    await datapath.attach('eth-does-not-matter');
    await datapath.detach('eth-does-not-matter');
  });

  it('blocks and rate-limits through admit, streams the drops as events, and counts them', async () => {
    const { node, datapath, clock } = await start();
    const events: DatapathEvent[] = [];
    const iterator = datapath.events()[Symbol.asyncIterator]();
    datapath.block('192.0.2.66', 60_000);
    datapath.rateLimit('198.51.100.0/24', 2);
    expect(datapath.admit('192.0.2.66')).toBe('block');
    expect(['198.51.100.9', '198.51.100.9', '198.51.100.9'].map((a) => datapath.admit(a))).toEqual(['pass', 'pass', 'rate-limit']);
    expect(datapath.admit('198.51.100.10')).toBe('pass');
    for (let i = 0; i < 2; i++) events.push((await iterator.next()).value as DatapathEvent);
    expect(events).toEqual([
      { kind: 'dns-drop', at: clock.now(), source: '192.0.2.66', reason: 'blocked' },
      { kind: 'dns-drop', at: clock.now(), source: '198.51.100.9', reason: 'rate-limited' },
    ]);
    expect(datapath.stats()).toEqual({ packets: 5, dnsAnsweredInKernel: 0, dnsPassed: 3, dropped: 2, rateLimited: 1, lostEvents: 0 });
    const metrics = await node.metrics.metrics();
    expect(metrics).toContain('hypermesh_datapath_dropped_total{reason="blocked",where="userspace",node="node-1"} 1');
    expect(metrics).toContain('hypermesh_datapath_mode{mode="userspace",node="node-1"} 1');
    expect(metrics).toContain('hypermesh_datapath_blocked_sources{node="node-1"} 1');
    datapath.unblock('192.0.2.66');
    expect(datapath.admit('192.0.2.66')).toBe('pass');
    await iterator.return?.();
  });

  it('honours TTLs: blocks lift and answers expire as the clock moves, and the sweep removes them', async () => {
    const { datapath, clock, node } = await start({ sweepIntervalMs: 100 });
    datapath.block('2001:db8::66', 1_500);
    datapath.dnsCache.put({ name: 'api.svc.example', type: 'AAAA', addresses: ['2001:db8::1', '2001:db8::2'], ttl: 2 });
    expect(datapath.dnsCache.get('API.svc.example.', 'AAAA')).toMatchObject({ addresses: ['2001:db8::1', '2001:db8::2'], ttl: 2 });
    expect(datapath.admit('2001:db8::66')).toBe('block');
    await clock.advance(1_600);
    expect(datapath.admit('2001:db8::66')).toBe('pass');
    expect(datapath.dnsCache.get('api.svc.example', 'AAAA')?.ttl).toBe(0);
    await clock.advance(500);
    expect(datapath.dnsCache.get('api.svc.example', 'AAAA')).toBeUndefined();
    expect(datapath.dnsCache.size()).toBe(0);
    expect(await node.metrics.metrics()).toContain('hypermesh_datapath_blocked_sources{node="node-1"} 0');
  });

  it('ends event streams when the node stops, and a slow subscriber loses events, counted', async () => {
    const { datapath, node } = await start({ eventQueue: 2 });
    const iterator = datapath.events()[Symbol.asyncIterator]();
    datapath.block('192.0.2.1', 60_000);
    for (let i = 0; i < 5; i++) datapath.admit('192.0.2.1');
    expect(datapath.stats().lostEvents).toBe(3);
    await node.stop();
    stop = undefined;
    expect((await iterator.next()).done).toBe(false);
    expect((await iterator.next()).done).toBe(false);
    expect((await iterator.next()).done).toBe(true);
  });

  it('rejects malformed arguments with E_DATAPATH_ARGUMENT and keeps serving', async () => {
    const { datapath } = await start();
    expect(() => datapath.rateLimit('10.0.0.0/40', 5)).toThrow(expect.objectContaining({ code: 'E_DATAPATH_ARGUMENT' }));
    expect(() => datapath.dnsCache.put({ name: 'x.example', type: 'A', addresses: ['::1'], ttl: 5 })).toThrow(
      expect.objectContaining({ code: 'E_DATAPATH_ARGUMENT' }),
    );
    expect(datapath.admit('192.0.2.1')).toBe('pass');
  });
});
