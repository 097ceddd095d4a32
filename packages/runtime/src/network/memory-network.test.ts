import { describe, expect, it } from 'vitest';
import { systemClock } from '../contracts/clock.js';
import { createMemoryNetwork } from './memory-network.js';
import { createRandom } from './random.js';
import { createSimulatedClock } from './simulated-clock.js';

const bytes = (...b: number[]) => new Uint8Array(b);

/** Runs a small traffic pattern and returns what each node received, in order, with times. */
async function trace(seed: number) {
  const net = createMemoryNetwork({
    seed,
    faults: { latency: { kind: 'uniform', minMs: 1, maxMs: 20 }, drop: 0.1, duplicate: 0.1, reorder: 0.2 },
  });
  const ids = ['a', 'b', 'c', 'd'];
  const received: string[] = [];
  const transports = ids.map((id) => net.transport(id));
  for (const t of transports) t.subscribe('x', (from, payload) => received.push(`${net.clock.now().toFixed(3)} ${from}->${t.nodeId}:${payload[0]}`));
  for (let i = 0; i < 50; i++) transports[i % 4]!.broadcast('x', bytes(i));
  await net.runFor(100);
  return { received, stats: net.stats() };
}

describe('memory network', () => {
  it('delivers between nodes on the simulated clock only as time advances', async () => {
    const net = createMemoryNetwork({ seed: 1, faults: { latency: 5 } });
    const a = net.transport('a');
    const b = net.transport('b');
    const got: [string, number][] = [];
    b.subscribe('ch', (from, p) => got.push([from, p[0]!]));
    expect(a.peers()).toEqual(['b']);
    expect(a.send('b', 'ch', bytes(7))).toBe(true);
    await net.runFor(4);
    expect(got).toEqual([]);
    await net.runFor(1);
    expect(got).toEqual([['a', 7]]);
  });

  it('is deterministic under a seed and differs between seeds', async () => {
    const one = await trace(42);
    const two = await trace(42);
    const other = await trace(43);
    expect(one).toEqual(two);
    expect(one.received).not.toEqual(other.received);
    expect(one.stats.dropped.fault).toBeGreaterThan(0);
    expect(one.stats.duplicated).toBeGreaterThan(0);
  });

  it('drops, duplicates and reorders at roughly the configured rates', async () => {
    const net = createMemoryNetwork({ seed: 'rates', faults: { latency: { kind: 'exponential', meanMs: 3 }, drop: 0.2, duplicate: 0.1 } });
    const a = net.transport('a');
    const b = net.transport('b');
    let count = 0;
    b.subscribe('x', () => count++);
    for (let i = 0; i < 10_000; i++) a.send('b', 'x', bytes(1));
    await net.runFor(1_000);
    const s = net.stats();
    expect(s.dropped.fault / 10_000).toBeGreaterThan(0.18);
    expect(s.dropped.fault / 10_000).toBeLessThan(0.22);
    expect(count).toBe(10_000 - s.dropped.fault + s.duplicated);
  });

  it('partitions cut links both ways until healed, and tell peers', async () => {
    const net = createMemoryNetwork({ seed: 3 });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => net.transport(id));
    const status: string[] = [];
    a!.onPeerStatus((peer, s) => status.push(`${peer}:${s}`));
    const got: string[] = [];
    for (const t of [a!, b!, c!]) t.subscribe('x', (from) => got.push(`${from}->${t.nodeId}`));
    net.partition(['a']);
    a!.broadcast('x', bytes(1));
    b!.send('a', 'x', bytes(1));
    b!.send('c', 'x', bytes(1));
    await net.runFor(10);
    expect(got).toEqual(['b->c']);
    expect(status).toEqual(['b:down', 'c:down']);
    net.heal();
    b!.send('a', 'x', bytes(1));
    await net.runFor(10);
    expect(got).toEqual(['b->c', 'b->a']);
    expect(status).toEqual(['b:down', 'c:down', 'b:up', 'c:up']);
    expect(net.stats().dropped.partition).toBe(3);
  });

  it('a disconnected node neither sends nor receives, including messages in flight', async () => {
    const net = createMemoryNetwork({ seed: 4, faults: { latency: 5 } });
    const a = net.transport('a');
    const b = net.transport('b');
    let got = 0;
    b.subscribe('x', () => got++);
    a.send('b', 'x', bytes(1));
    net.disconnect('b');
    await net.runFor(10);
    expect(got).toBe(0);
    net.reconnect('b');
    a.send('b', 'x', bytes(1));
    await net.runFor(10);
    expect(got).toBe(1);
  });

  it('refuses unknown peers and oversized messages; a throwing handler does not stop delivery', async () => {
    const errors: unknown[] = [];
    const net = createMemoryNetwork({ seed: 5, maxMessageBytes: 8, onHandlerError: (e) => errors.push(e) });
    const a = net.transport('a');
    const b = net.transport('b');
    expect(() => a.send('zz', 'x', bytes(1))).toThrowError(expect.objectContaining({ code: 'E_TRANSPORT_REFUSED' }));
    expect(() => a.send('b', 'x', new Uint8Array(9))).toThrowError(/exceeds the 8-byte limit/);
    let got = 0;
    b.subscribe('x', () => {
      throw new Error('handler bug');
    });
    b.subscribe('x', () => got++);
    a.send('b', 'x', bytes(1));
    await net.runFor(5);
    expect(got).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('payloads are copied: a sender reusing its buffer does not change what was sent', async () => {
    const net = createMemoryNetwork({ seed: 6 });
    const a = net.transport('a');
    const b = net.transport('b');
    const got: number[] = [];
    b.subscribe('x', (_f, p) => got.push(p[0]!));
    const buf = bytes(1);
    a.send('b', 'x', buf);
    buf[0] = 2;
    await net.runFor(5);
    expect(got).toEqual([1]);
  });

  it('runs in real time on the system clock', async () => {
    const net = createMemoryNetwork({ seed: 7, clock: systemClock, faults: { latency: 1 } });
    const a = net.transport('a');
    const b = net.transport('b');
    const got = new Promise<number>((resolve) => b.subscribe('x', (_f, p) => resolve(p[0]!)));
    a.send('b', 'x', bytes(9));
    expect(await got).toBe(9);
    await expect(net.runFor(1)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => createMemoryNetwork({ seed: 1, faults: { drop: 2 } })).toThrowError(/faults\.drop must be a probability/);
  });
});

describe('simulated clock', () => {
  it('fires timers in time order, ties in the order set, and settles promise chains in between', async () => {
    const clock = createSimulatedClock();
    const log: string[] = [];
    clock.setTimeout(() => log.push('b@10'), 10);
    clock.setTimeout(() => {
      log.push('a@5');
      void Promise.resolve().then(() => log.push('a@5 microtask'));
    }, 5);
    clock.setTimeout(() => log.push('c@10'), 10);
    const cancelled = clock.setTimeout(() => log.push('never'), 7);
    clock.clearTimeout(cancelled);
    const every = clock.setInterval(() => log.push(`tick@${clock.now()}`), 4);
    await clock.advance(10);
    clock.clearTimeout(every);
    expect(log).toEqual(['tick@4', 'a@5', 'a@5 microtask', 'tick@8', 'b@10', 'c@10']);
    expect(clock.now()).toBe(10);
    expect(clock.pending()).toBe(0);
  });

  it('runUntil stops when the predicate holds or time runs out', async () => {
    const clock = createSimulatedClock();
    let done = false;
    clock.setTimeout(() => (done = true), 30);
    expect(await clock.runUntil(() => done, { maxMs: 100 })).toBe(true);
    expect(clock.now()).toBe(30);
    expect(await clock.runUntil(() => false, { maxMs: 50, stepMs: 10 })).toBe(false);
    expect(clock.now()).toBe(80);
  });
});

describe('seeded random', () => {
  it('repeats for a seed, and forks independently', () => {
    const a = createRandom('s');
    const b = createRandom('s');
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(seqA).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(createRandom('s').fork('x').next()).not.toBe(createRandom('s').next());
    const r = createRandom(1);
    const ints = Array.from({ length: 1000 }, () => r.int(10));
    expect(Math.min(...ints)).toBe(0);
    expect(Math.max(...ints)).toBe(9);
    expect(r.shuffle([1, 2, 3, 4]).sort()).toEqual([1, 2, 3, 4]);
  });
});
