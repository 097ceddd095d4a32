import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BYZANTINE_BEHAVIOURS, createSimulatedCluster, type SimulatedCluster, type SimulatedClusterOptions } from './index.js';

const sets = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ op: 'set' as const, key: `${prefix}${i}`, value: i }));

describe('simulated cluster', () => {
  let cluster: SimulatedCluster | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const start = async (options: SimulatedClusterOptions) => (cluster = await createSimulatedCluster(options));

  it.each([4, 7])('n=%i commits key-value operations in the same order everywhere and answers the agreed result', async (n) => {
    const c = await start({ n, seed: `basic-${n}` });
    expect(await c.submit({ op: 'set', key: 'a', value: 1 })).toEqual({ value: 1 });
    expect(await c.submit({ op: 'get', key: 'a' })).toEqual({ value: 1 });
    expect(await c.submit({ op: 'delete', key: 'a' })).toEqual({ value: 1 });
    await Promise.all(sets('k', 30).map((op) => c.submit(op)));
    await c.runFor(200);
    const first = c.committed(0);
    expect(first.slice(0, 3)).toEqual([{ op: 'set', key: 'a', value: 1 }, { op: 'get', key: 'a' }, { op: 'delete', key: 'a' }]);
    expect(first).toHaveLength(33);
    for (let i = 1; i < n; i++) expect(c.committed(i)).toEqual(first);
    c.assertInvariants({ liveness: true });
  });

  it('a crashed primary is replaced by a view change and operations keep committing', async () => {
    const c = await start({ n: 4, seed: 'primary-crash' });
    await c.submit({ op: 'set', key: 'before', value: 1 });
    expect(c.status(1).primary).toBe('replica-0');
    await c.crash(0);
    const crashedAt = c.clock.now();
    expect(await c.submit({ op: 'set', key: 'after', value: 2 })).toEqual({ value: 2 });
    const status = c.status(1);
    expect(status.view).toBeGreaterThanOrEqual(1);
    expect(status.primary).not.toBe('replica-0');
    expect(c.clock.now() - crashedAt).toBeLessThan(1000);
    await Promise.all(sets('x', 10).map((op) => c.submit(op)));
    c.assertInvariants({ liveness: true });
  });

  it('an equivocating primary causes no disagreement; it is proven faulty, isolated and replaced', async () => {
    const c = await start({ n: 4, seed: 'equivocation', faults: { 0: 'equivocate' } });
    await Promise.all(sets('e', 12).map((op) => c.submit(op)));
    await c.runFor(300);
    c.assertInvariants({ liveness: true });
    for (const i of [1, 2, 3]) {
      const status = c.status(i);
      expect(status.view).toBeGreaterThanOrEqual(1);
      expect(status.replicas[0]).toMatchObject({ id: 'replica-0', state: 'isolated' });
    }
    expect(c.committed(1)).toEqual(c.committed(2));
    expect(c.committed(1)).toEqual(c.committed(3));
  });

  it('a partitioned replica catches up by state transfer after the partition heals', async () => {
    const c = await start({ n: 4, seed: 'partition', config: { checkpoint_interval: 4, watermark_window: 8, batch_size: 1 } });
    await c.submit({ op: 'set', key: 'first', value: 0 });
    c.partition([3]);
    for (const op of sets('p', 24)) await c.submit(op, { via: 0 });
    expect(c.status(3).lastExecuted).toBe(1);
    expect(c.status(0).stableCheckpoint).toBeGreaterThan(8);
    c.heal();
    const caughtUp = await c.runUntil(() => c.status(3).lastExecuted === c.status(0).lastExecuted, 5000);
    expect(caughtUp).toBe(true);
    expect(c.events(3).stateTransfers).toBeGreaterThanOrEqual(1);
    expect(c.committed(3)).toEqual(c.committed(0));
    expect(await c.submit({ op: 'get', key: 'p23' }, { via: 3 })).toEqual({ value: 23 });
    c.assertInvariants({ liveness: true });
  });

  it.each(['memory', 'files'] as const)('a restarted replica recovers from its log (%s) and catches up', async (disk) => {
    const dataDir = disk === 'files' ? mkdtempSync(join(tmpdir(), 'pbft-sim-')) : undefined;
    if (dataDir !== undefined) dirs.push(dataDir);
    const c = await start({ n: 4, seed: `restart-${disk}`, dataDir, config: { checkpoint_interval: 4, watermark_window: 8, batch_size: 2 } });
    for (const op of sets('r', 10)) await c.submit(op, { via: 0 });
    await c.runFor(100);
    const before = c.status(2).lastExecuted;
    expect(before).toBeGreaterThan(4);
    await c.crash(2);
    for (const op of sets('s', 10)) await c.submit(op, { via: 0 });
    await c.restart(2);
    // Right after the restart it has what its log held (checkpoint + committed batches replayed).
    expect(c.status(2).lastExecuted).toBeGreaterThanOrEqual(before - 1);
    const caughtUp = await c.runUntil(() => c.status(2).lastExecuted === c.status(0).lastExecuted, 5000);
    expect(caughtUp).toBe(true);
    expect(c.committed(2)).toEqual(c.committed(0));
    expect(await c.submit({ op: 'get', key: 's9' }, { via: 2 })).toEqual({ value: 9 });
    c.assertInvariants({ liveness: true });
  });

  describe.each(BYZANTINE_BEHAVIOURS)('behaviour %s', (behaviour) => {
    it.each([
      [4, [0]],
      [4, [2]],
      [7, [0, 4]],
    ])(`n=%i with faulty replica(s) %j: agreement, validity, exactly-once and liveness hold`, async (n, faulty) => {
      const faults = Object.fromEntries(faulty.map((i) => [i, behaviour]));
      const c = await start({ n, seed: `${behaviour}-${n}-${faulty.join('')}`, faults, network: { latency: { kind: 'uniform', minMs: 1, maxMs: 4 }, drop: 0.01, duplicate: 0.02 } });
      const first = sets('a', 10).map((op) => c.submit(op));
      await c.runFor(50);
      const second = sets('b', 10).map((op) => c.submit(op));
      await Promise.all([...first, ...second]);
      await c.runFor(200);
      c.assertInvariants({ liveness: true });
      const honest = Array.from({ length: n }, (_, i) => i).filter((i) => !faulty.includes(i));
      for (const i of honest) expect(c.committed(i)).toHaveLength(20);
    });
  });

  it('mixed behaviours on n=7 (f=2): a silent replica and an equivocating primary', async () => {
    const c = await start({ n: 7, seed: 'mixed', faults: { 0: 'equivocate', 3: 'silent' } });
    await Promise.all(sets('m', 20).map((op) => c.submit(op)));
    await c.runFor(300);
    c.assertInvariants({ liveness: true });
    expect(c.status(1).view).toBeGreaterThanOrEqual(1);
  });

  it('consecutive view changes wait twice as long each time for NEW-VIEW', async () => {
    // n=10 (f=3): the primaries of views 0, 1 and 2 are silent; view 3's primary is correct.
    const c = await start({ n: 10, seed: 'doubling', faults: { 0: 'silent', 1: 'silent', 2: 'silent' } });
    expect(await c.submit({ op: 'set', key: 'finally', value: 1 }, { via: 5 })).toEqual({ value: 1 });
    expect(c.status(5).view).toBe(3);
    const reasons = c.events(5).viewChanges.map((v) => `${v.view}: ${v.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^1: a request waited 100 ms/),
      '2: no valid NEW-VIEW for view 1 within 200 ms',
      '3: no valid NEW-VIEW for view 2 within 400 ms',
    ]);
    c.assertInvariants({ liveness: true });
  });

  it('a slow primary stays under the request timeout but the fault detector replaces it', async () => {
    const c = await start({ n: 4, seed: 'slow', faults: { 0: 'slowPrimary' } });
    for (let round = 0; round < 12; round++) {
      await c.submit({ op: 'set', key: `slow${round}`, value: round }, { via: 1 });
      if (c.status(1).view > 0) break;
    }
    expect(c.status(1).view).toBeGreaterThanOrEqual(1);
    expect(c.status(1).replicas[0]!.reputation).toBeLessThan(0.5);
    const fast = c.clock.now();
    await c.submit({ op: 'set', key: 'fast', value: 1 }, { via: 1 });
    expect(c.clock.now() - fast).toBeLessThan(30);
    c.assertInvariants({ liveness: true });
  });
});
