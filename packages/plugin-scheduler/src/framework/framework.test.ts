import {
  schedBindHook,
  schedFilterHook,
  schedNormalizeScoreHook,
  schedPermitHook,
  schedPostBindHook,
  schedPostFilterHook,
  schedPreBindHook,
  schedPreFilterHook,
  schedPreScoreHook,
  schedReserveHook,
  schedScoreHook,
  schedUnreserveHook,
} from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { boundNode, nodeOp, placeOp, replica, spec } from '../testing/fixtures.js';
import { feasibleNodesToFind, tieBreak } from './framework.js';
import { tapSchedulingPlugin } from './scheduling-plugin.js';
import { success, unschedulable, waitFor } from './status.js';

describe('scheduling framework', () => {
  it('runs the extension points in the Kubernetes order, each as a hook', () => {
    const r = replica();
    const seen: string[] = [];
    r.hooks.tap(schedPreFilterHook, () => void seen.push('preFilter'));
    r.hooks.tap(schedFilterHook, () => void seen.push('filter'));
    r.hooks.tap(schedPostFilterHook, () => void seen.push('postFilter'));
    r.hooks.tap(schedPreScoreHook, () => void seen.push('preScore'));
    r.hooks.tap(schedScoreHook, () => void seen.push('score'));
    r.hooks.tap(schedNormalizeScoreHook, () => void seen.push('normalizeScore'));
    r.hooks.tap(schedReserveHook, () => void seen.push('reserve'));
    r.hooks.tap(schedPermitHook, () => void seen.push('permit'));
    r.hooks.tap(schedPreBindHook, () => void seen.push('preBind'));
    r.hooks.tap(schedBindHook, () => void seen.push('bind'));
    r.hooks.tap(schedPostBindHook, () => void seen.push('postBind'));
    r.apply(nodeOp('a'));
    r.apply(nodeOp('b'));
    boundNode(r.apply(placeOp(spec('w'))));
    expect(seen).toEqual(['preFilter', 'filter', 'preScore', 'score', 'normalizeScore', 'reserve', 'permit', 'preBind', 'bind', 'postBind']);
  });

  it('names the plugin that refused, per node, most common reason first', () => {
    const r = replica();
    tapSchedulingPlugin(r.hooks, { name: 'odd-only', filter: (_c, node) => (node.id.endsWith('1') ? undefined : unschedulable('odd-only', 'node id is even')) });
    for (const id of ['n0', 'n2', 'n4']) r.apply(nodeOp(id));
    r.apply(nodeOp('n6', { capacity: { cpuMillis: 10, memoryBytes: 2 ** 30, pids: 100 } }));
    const result = r.apply(placeOp(spec('w')));
    expect(result).toMatchObject({ ok: false, code: 'E_SCHED_UNSCHEDULABLE', plugin: 'odd-only' });
    expect(!result.ok && result.message).toBe(
      "workload 'default/w' is unschedulable: 0/4 nodes are available: 3 × odd-only: node id is even; 1 × resource-fit: insufficient cpu",
    );
  });

  it('a preFilter refusal rejects the workload everywhere; skip skips only that plugin’s filter', () => {
    const r = replica();
    let filtered = 0;
    tapSchedulingPlugin(r.hooks, {
      name: 'picky',
      preFilter: (c) => (c.workload.labels?.['skip'] ? { code: 'skip', plugin: 'picky' } : c.workload.labels?.['deny'] ? unschedulable('picky', 'denied by label') : undefined),
      filter: () => {
        filtered++;
        return undefined;
      },
    });
    r.apply(nodeOp('a'));
    expect(r.apply(placeOp(spec('w1', { labels: { deny: 'yes' } })))).toMatchObject({ ok: false, plugin: 'picky', message: expect.stringContaining('picky: denied by label') });
    boundNode(r.apply(placeOp(spec('w2', { labels: { skip: 'yes' } }))));
    expect(filtered).toBe(0);
    boundNode(r.apply(placeOp(spec('w3'))));
    expect(filtered).toBe(1);
  });

  it('a tap that throws becomes an error status naming it; the replica keeps applying', () => {
    const r = replica();
    const untap = tapSchedulingPlugin(r.hooks, {
      name: 'broken',
      filter: () => {
        throw new Error('boom');
      },
    });
    r.apply(nodeOp('a'));
    expect(r.apply(placeOp(spec('w')))).toMatchObject({ ok: false, code: 'E_SCHED_PLUGIN_ERROR', plugin: 'broken', message: expect.stringContaining('broken: threw: boom') });
    untap();
    r.apply({ type: 'sched.reschedule', name: 'w', namespace: 'default' });
    expect(r.machine.state.workloads.get('default/w')?.phase).toBe('bound');
  });

  it('scores decide; equal totals are broken by a workload/node hash, so load spreads yet replicas agree', () => {
    const r = replica({ builtins: { disabled: ['least-allocated', 'balanced-allocation'] } });
    for (const id of ['a', 'b', 'c', 'd']) r.apply(nodeOp(id));
    const nodes = Array.from({ length: 40 }, (_, i) => boundNode(r.apply(placeOp(spec(`w${i}`)))));
    expect(new Set(nodes).size).toBe(4);
    for (let i = 0; i < 40; i++) {
      const expected = ['a', 'b', 'c', 'd'].reduce((best, n) => (tieBreak(`default/w${i}`, n) > tieBreak(`default/w${i}`, best) ? n : best));
      expect(nodes[i]).toBe(expected);
    }
    // a scoring plugin outweighs the tie-break
    tapSchedulingPlugin(r.hooks, { name: 'prefer-c', weight: 10, score: (_c, n) => (n.id === 'c' ? 100 : 0) });
    expect(boundNode(r.apply(placeOp(spec('x'))))).toBe('c');
  });

  it('normalizeScore rescales a plugin’s own column', () => {
    const r = replica({ builtins: { disabled: ['least-allocated', 'balanced-allocation'] } });
    for (const id of ['a', 'b']) r.apply(nodeOp(id));
    // raw scores 1000 vs 10, reversed: the lower raw score must win
    tapSchedulingPlugin(r.hooks, {
      name: 'fewer-is-better',
      score: (_c, n) => (n.id === 'a' ? 1000 : 10),
      normalizeScore: (_c, scores) => {
        const max = Math.max(...scores);
        for (let i = 0; i < scores.length; i++) scores[i] = 100 - Math.floor((scores[i]! * 100) / max);
      },
    });
    expect(boundNode(r.apply(placeOp(spec('w'))))).toBe('b');
  });

  it('reserve failure and permit rejection release the reservation through unreserve', () => {
    const r = replica();
    const unreserved: string[] = [];
    tapSchedulingPlugin(r.hooks, {
      name: 'gate',
      reserve: (c) => (c.workload.labels?.['fail'] === 'reserve' ? unschedulable('gate', 'reserve refused') : undefined),
      permit: (c) => (c.workload.labels?.['fail'] === 'permit' ? unschedulable('gate', 'permit refused') : undefined),
      unreserve: (c, n) => void unreserved.push(`${c.key}@${n.id}`),
    });
    r.apply(nodeOp('a'));
    expect(r.apply(placeOp(spec('w1', { labels: { fail: 'reserve' } })))).toMatchObject({ ok: false, plugin: 'gate' });
    expect(r.apply(placeOp(spec('w2', { labels: { fail: 'permit' } })))).toMatchObject({ ok: false, plugin: 'gate', message: expect.stringContaining('gate: permit refused') });
    expect(unreserved).toEqual(['default/w1@a', 'default/w2@a']);
    expect(r.machine.state.nodes.get('a')!.allocated.cpuMillis).toBe(0);
  });

  it('permit wait holds the reservation until a later cycle allows it (gang scheduling)', () => {
    const r = replica();
    // all members of a gang are bound together once `size` of them are reserved
    tapSchedulingPlugin(r.hooks, {
      name: 'gang',
      permit(cycle) {
        const gang = cycle.workload.labels?.['gang'];
        if (gang === undefined) return undefined;
        const size = Number(cycle.workload.labels?.['gang-size']);
        const members: string[] = [];
        cycle.cluster.forEachPlaced((w) => {
          if (w.spec.labels?.['gang'] === gang) members.push(w.key);
        });
        if (members.length < size) return waitFor('gang', `${members.length}/${size} members reserved`, 10_000);
        for (const key of members) if (key !== cycle.key) cycle.allow(key, 'gang');
        return undefined;
      },
    });
    r.apply(nodeOp('a'));
    const member = (i: number) => spec(`m${i}`, { labels: { gang: 'g', 'gang-size': '3' } });
    expect(r.apply(placeOp(member(1)), { at: 100 })).toMatchObject({ ok: true, outcome: 'waiting', plugin: 'gang', reason: expect.stringContaining('1/3 members reserved') });
    expect(r.apply(placeOp(member(2)), { at: 200 })).toMatchObject({ ok: true, outcome: 'waiting' });
    expect(r.machine.state.nodes.get('a')!.allocated.cpuMillis).toBe(200); // reservations hold resources
    expect(r.apply(placeOp(member(3)), { at: 300 })).toMatchObject({ ok: true, outcome: 'bound', node: 'a' });
    for (const i of [1, 2, 3]) expect(r.machine.state.workloads.get(`default/m${i}`)?.phase).toBe('bound');
  });

  it('a held workload is rejected when agreed time passes its permit timeout', () => {
    const r = replica();
    const unreserved: string[] = [];
    tapSchedulingPlugin(r.hooks, {
      name: 'slow-approval',
      permit: (c) => (c.workload.name === 'w' ? waitFor('slow-approval', 'waiting for approval', 1000) : undefined),
      unreserve: (c) => void unreserved.push(c.key),
    });
    r.apply(nodeOp('a'), { at: 0 });
    expect(r.apply(placeOp(spec('w')), { at: 10 })).toMatchObject({ outcome: 'waiting' });
    r.apply(nodeOp('b'), { at: 500 });
    expect(r.machine.state.workloads.get('default/w')?.phase).toBe('waiting');
    r.apply({ type: 'sched.node.heartbeat', node: 'a' }, { at: 1011 });
    const record = r.machine.state.workloads.get('default/w')!;
    // rejected, released, and (being retried at once) held again for the next timeout window
    expect(unreserved).toEqual(['default/w']);
    expect(record.wait?.deadline).toBe(2011);
  });

  it('postFilter can make room (preemption) and nominate a node', () => {
    const r = replica();
    tapSchedulingPlugin(r.hooks, {
      name: 'priority-preemption',
      postFilter(cycle) {
        const priority = Number(cycle.workload.labels?.['priority'] ?? 0);
        for (const node of cycle.cluster.nodes) {
          const victim = cycle.cluster.workloadsOn(node.id).find((w) => Number(w.spec.labels?.['priority'] ?? 0) < priority);
          if (victim !== undefined) {
            cycle.evict(victim.key, 'priority-preemption', `preempted by ${cycle.key}`);
            return { status: success('priority-preemption'), nominatedNode: node.id };
          }
        }
        return undefined;
      },
    });
    r.apply(nodeOp('a', { capacity: { cpuMillis: 1000, memoryBytes: 2 ** 30, pids: 100 } }));
    const big = (name: string, priority: string) => spec(name, { resources: { cpuMillis: 800, memoryBytes: 1, pids: 1 }, labels: { priority } });
    boundNode(r.apply(placeOp(big('low', '1'))));
    expect(boundNode(r.apply(placeOp(big('high', '9'))))).toBe('a');
    expect(r.machine.state.workloads.get('default/low')).toMatchObject({ phase: 'pending', unschedulable: true });
  });

  it('binders run in turn: undefined passes on, the default binder (post) binds last', () => {
    const r = replica();
    const calls: string[] = [];
    r.hooks.tap(schedBindHook, () => void calls.push('passes'), { name: 'passes' });
    r.hooks.tap(schedBindHook, (c) => (c.workload.name === 'refused' ? unschedulable('veto-binder', 'no') : undefined), { name: 'veto' });
    r.hooks.tap(schedUnreserveHook, () => void calls.push('unreserve'));
    r.apply(nodeOp('a'));
    boundNode(r.apply(placeOp(spec('ok'))));
    expect(r.apply(placeOp(spec('refused')))).toMatchObject({ ok: false, plugin: 'veto-binder' });
    expect(calls).toEqual(['passes', 'passes', 'unreserve']);
  });

  it('looks for a share of the nodes on large clusters, round robin (percentageOfNodesToScore)', () => {
    expect(feasibleNodesToFind(50, 0)).toBe(50);
    expect(feasibleNodesToFind(1000, 0)).toBe(420);
    expect(feasibleNodesToFind(5000, 0)).toBe(500);
    expect(feasibleNodesToFind(200, 10)).toBe(100);
    expect(feasibleNodesToFind(1000, 100)).toBe(1000);
    const r = replica({ builtins: { disabled: ['least-allocated', 'balanced-allocation'] } });
    let evaluated = 0;
    r.hooks.tap(schedFilterHook, (_c, nodes) => void (evaluated += nodes.nodes.length));
    for (let i = 0; i < 300; i++) r.apply(nodeOp(`n${String(i).padStart(3, '0')}`));
    boundNode(r.apply(placeOp(spec('w1'))));
    // 300 nodes: look for 48% = 144 feasible nodes, then start after them next time
    expect(evaluated).toBe(144);
    expect(r.machine.state.nextStartIndex).toBe(144);
    boundNode(r.apply(placeOp(spec('w2'))));
    expect(evaluated).toBe(288);
    expect(r.machine.state.nextStartIndex).toBe(288);
  });
});
