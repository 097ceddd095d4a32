import { describe, expect, it } from 'vitest';
import { boundNode, nodeOp, placeOp, replica, spec } from '../testing/fixtures.js';
import { matchesRequirement } from './node-affinity.js';
import { tolerates } from './taint-toleration.js';

const MiB = 2 ** 20;
const cap = (cpuMillis: number, memoryBytes: number, pids = 1000) => ({ capacity: { cpuMillis, memoryBytes, pids } });
const messageOf = (r: { ok: boolean }) => (r as { message?: string }).message ?? '';

describe('resource-fit', () => {
  it('keeps a workload off nodes without enough cpu, memory or pids, naming the resource', () => {
    const r = replica();
    r.apply(nodeOp('small-cpu', cap(100, 1024 * MiB)));
    r.apply(nodeOp('small-mem', cap(4000, 32 * MiB)));
    r.apply(nodeOp('small-pids', cap(4000, 1024 * MiB, 5)));
    const result = r.apply(placeOp(spec('w', { resources: { cpuMillis: 500, memoryBytes: 64 * MiB, pids: 10 } })));
    expect(result).toMatchObject({ ok: false, code: 'E_SCHED_UNSCHEDULABLE', plugin: 'resource-fit' });
    expect(messageOf(result)).toContain('0/3 nodes are available:');
    for (const kind of ['cpu', 'memory', 'pids']) expect(messageOf(result)).toContain(`1 × resource-fit: insufficient ${kind}`);
  });

  it('counts what is already allocated, and frees it on remove', () => {
    const r = replica();
    r.apply(nodeOp('a', cap(1000, 1024 * MiB)));
    const half = spec('x', { resources: { cpuMillis: 600, memoryBytes: MiB, pids: 1 } });
    boundNode(r.apply(placeOp(half)));
    expect(r.apply(placeOp({ ...half, name: 'y' }))).toMatchObject({ ok: false, plugin: 'resource-fit' });
    expect(r.machine.state.nodes.get('a')!.allocated).toEqual({ cpuMillis: 600, memoryBytes: MiB, pids: 1 });
    r.apply({ type: 'sched.remove', name: 'x', namespace: 'default' });
    // y was pending; the freed room places it
    expect(r.machine.state.workloads.get('default/y')).toMatchObject({ phase: 'bound', node: 'a' });
  });
});

describe('node-affinity', () => {
  it('matches requirements with Kubernetes operators', () => {
    const labels = { zone: 'a', gpus: '4' };
    expect(matchesRequirement(labels, { key: 'zone', operator: 'In', values: ['a', 'b'] })).toBe(true);
    expect(matchesRequirement(labels, { key: 'zone', operator: 'NotIn', values: ['a'] })).toBe(false);
    expect(matchesRequirement(labels, { key: 'disk', operator: 'NotIn', values: ['ssd'] })).toBe(true);
    expect(matchesRequirement(labels, { key: 'zone', operator: 'Exists' })).toBe(true);
    expect(matchesRequirement(labels, { key: 'disk', operator: 'DoesNotExist' })).toBe(true);
    expect(matchesRequirement(labels, { key: 'gpus', operator: 'Gt', values: ['2'] })).toBe(true);
    expect(matchesRequirement(labels, { key: 'gpus', operator: 'Lt', values: ['2'] })).toBe(false);
    expect(matchesRequirement(labels, { key: 'zone', operator: 'Gt', values: ['2'] })).toBe(false);
  });

  it('filters by nodeSelector and required terms, scores preferred terms', () => {
    const r = replica();
    r.apply(nodeOp('a', { labels: { zone: 'east', disk: 'hdd' } }));
    r.apply(nodeOp('b', { labels: { zone: 'west', disk: 'ssd' } }));
    r.apply(nodeOp('c', { labels: { zone: 'west', disk: 'hdd' } }));
    expect(boundNode(r.apply(placeOp(spec('sel', { nodeSelector: { zone: 'east' } }))))).toBe('a');
    const required = { required: [[{ key: 'zone', operator: 'In' as const, values: ['west'] }, { key: 'disk', operator: 'In' as const, values: ['ssd'] }]] };
    expect(boundNode(r.apply(placeOp(spec('req', { affinity: required }))))).toBe('b');
    const miss = r.apply(placeOp(spec('none', { nodeSelector: { zone: 'north' } })));
    expect(messageOf(miss)).toBe("workload 'default/none' is unschedulable: 0/3 nodes are available: 3 × node-affinity: node labels do not match nodeSelector");
    for (let i = 0; i < 5; i++) {
      const preferred = { preferred: [{ weight: 80, match: [{ key: 'disk', operator: 'In' as const, values: ['hdd'] }] }, { weight: 20, match: [{ key: 'zone', operator: 'In' as const, values: ['east'] }] }] };
      expect(boundNode(r.apply(placeOp(spec(`pref${i}`, { affinity: preferred, resources: { cpuMillis: 1, memoryBytes: 1, pids: 1 } }))))).toBe('a');
    }
  });
});

describe('taint-toleration', () => {
  it('tolerations match taints with Kubernetes semantics', () => {
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
    expect(tolerates({ key: 'dedicated', value: 'gpu' }, taint)).toBe(true);
    expect(tolerates({ key: 'dedicated', value: 'cpu' }, taint)).toBe(false);
    expect(tolerates({ key: 'dedicated', operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ key: '', operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
  });

  it('NoSchedule repels, PreferNoSchedule only lowers the score, tolerations let through', () => {
    const r = replica();
    r.apply(nodeOp('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    r.apply(nodeOp('soft', { taints: [{ key: 'maintenance', effect: 'PreferNoSchedule' }] }));
    for (let i = 0; i < 4; i++) expect(boundNode(r.apply(placeOp(spec(`plain${i}`))))).toBe('soft');
    expect(boundNode(r.apply(placeOp(spec('tolerant', { tolerations: [{ key: 'dedicated', value: 'gpu' }], nodeSelector: {} }))))).not.toBe(undefined);
    r.apply(nodeOp('free'));
    for (let i = 0; i < 4; i++) expect(boundNode(r.apply(placeOp(spec(`later${i}`))))).toBe('free');
    const onlyGpu = replica();
    onlyGpu.apply(nodeOp('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    expect(messageOf(onlyGpu.apply(placeOp(spec('w'))))).toContain('1 × taint-toleration: untolerated taint dedicated=gpu:NoSchedule');
    expect(boundNode(onlyGpu.apply(placeOp(spec('t', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }))))).toBe('gpu');
  });

  it('a NoExecute taint added to a node evicts the workloads that do not tolerate it', () => {
    const r = replica();
    r.apply(nodeOp('a'));
    boundNode(r.apply(placeOp(spec('plain'))));
    boundNode(r.apply(placeOp(spec('tolerant', { tolerations: [{ key: 'drain', operator: 'Exists' }] }))));
    r.apply(nodeOp('b'));
    r.apply(nodeOp('a', { taints: [{ key: 'drain', effect: 'NoExecute' }] }));
    expect(r.machine.state.workloads.get('default/plain')).toMatchObject({ phase: 'bound', node: 'b' });
    expect(r.machine.state.workloads.get('default/tolerant')).toMatchObject({ phase: 'bound', node: 'a' });
  });
});

describe('topology-spread', () => {
  const zones = (r: ReturnType<typeof replica>) => {
    r.apply(nodeOp('a1', { labels: { zone: 'a' } }));
    r.apply(nodeOp('a2', { labels: { zone: 'a' } }));
    r.apply(nodeOp('b1', { labels: { zone: 'b' } }));
    r.apply(nodeOp('c1', { labels: { zone: 'c' } }));
  };
  const replicaOf = (i: number, when: 'DoNotSchedule' | 'ScheduleAnyway') =>
    spec(`web${i}`, { labels: { app: 'web' }, topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: when }] });

  it('DoNotSchedule keeps the skew between zones within maxSkew', () => {
    const r = replica();
    zones(r);
    const zoneOf = (node: string) => node[0];
    const placed = Array.from({ length: 6 }, (_, i) => zoneOf(boundNode(r.apply(placeOp(replicaOf(i, 'DoNotSchedule'))))));
    const counts = ['a', 'b', 'c'].map((z) => placed.filter((p) => p === z).length);
    expect(counts).toEqual([2, 2, 2]);
  });

  it('refuses when the only domains with room would break the skew, and nodes without the label', () => {
    const r = replica();
    r.apply(nodeOp('a1', { labels: { zone: 'a' } }));
    r.apply(nodeOp('b1', { labels: { zone: 'b' }, ...cap(50, 1024 * MiB) }));
    r.apply(nodeOp('nolabel'));
    boundNode(r.apply(placeOp(replicaOf(0, 'DoNotSchedule'))));
    const result = r.apply(placeOp(replicaOf(1, 'DoNotSchedule')));
    expect(messageOf(result)).toContain("topology-spread: would exceed maxSkew 1 over 'zone'");
    expect(messageOf(result)).toContain("topology-spread: node has no label 'zone'");
    expect(messageOf(result)).toContain('resource-fit: insufficient cpu');
  });

  it('ScheduleAnyway prefers the least loaded zone but never refuses', () => {
    const r = replica();
    zones(r);
    const placed = Array.from({ length: 3 }, (_, i) => boundNode(r.apply(placeOp(replicaOf(i, 'ScheduleAnyway'))))[0]);
    expect(new Set(placed)).toEqual(new Set(['a', 'b', 'c']));
    const full = replica();
    full.apply(nodeOp('a1', { labels: { zone: 'a' } }));
    full.apply(nodeOp('b1', { labels: { zone: 'b' }, ...cap(10, MiB) }));
    for (let i = 0; i < 3; i++) expect(boundNode(full.apply(placeOp(replicaOf(i, 'ScheduleAnyway'))))).toBe('a1');
  });
});

describe('least-allocated and balanced-allocation', () => {
  it('least-allocated spreads onto the emptiest node', () => {
    const r = replica({ builtins: { disabled: ['balanced-allocation'] } });
    r.apply(nodeOp('big', cap(8000, 8192 * MiB)));
    r.apply(nodeOp('small', cap(2000, 2048 * MiB)));
    const w = (i: number) => spec(`w${i}`, { resources: { cpuMillis: 500, memoryBytes: 512 * MiB, pids: 1 } });
    const placed = Array.from({ length: 5 }, (_, i) => boundNode(r.apply(placeOp(w(i)))));
    // big has 4× the room: it takes the first four (free share 93% … 62% vs 75% for small)
    expect(placed).toEqual(['big', 'big', 'big', 'small', 'big']);
  });

  it('balanced-allocation prefers the node where cpu and memory stay in proportion', () => {
    const r = replica({ builtins: { disabled: ['least-allocated'] } });
    r.apply(nodeOp('cpu-heavy', cap(4000, 4096 * MiB)));
    r.apply(nodeOp('even', cap(4000, 4096 * MiB)));
    r.apply(placeOp(spec('hog', { resources: { cpuMillis: 3000, memoryBytes: 0, pids: 1 } })));
    const hogNode = r.machine.state.workloads.get('default/hog')!.node!;
    const other = hogNode === 'cpu-heavy' ? 'even' : 'cpu-heavy';
    // a memory-heavy workload balances the node whose cpu is already used
    expect(boundNode(r.apply(placeOp(spec('mem', { resources: { cpuMillis: 0, memoryBytes: 3072 * MiB, pids: 1 } }))))).toBe(hogNode);
    expect(boundNode(r.apply(placeOp(spec('cpu', { resources: { cpuMillis: 500, memoryBytes: 0, pids: 1 } }))))).toBe(other);
  });
});

describe('node-ports, node-ready, node-runtime', () => {
  it('two workloads on one node never share a port', () => {
    const r = replica();
    r.apply(nodeOp('a'));
    const web = (name: string) => spec(name, { ports: [{ name: 'http', port: 8080, protocol: 'tcp' }] });
    boundNode(r.apply(placeOp(web('one'))));
    expect(messageOf(r.apply(placeOp(web('two'))))).toContain('1 × node-ports: port 8080/tcp is in use');
    boundNode(r.apply(placeOp(spec('udp', { ports: [{ name: 'dns', port: 8080, protocol: 'udp' }] }))));
  });

  it('node-runtime sends runc workloads only to nodes that offer runc', () => {
    const r = replica();
    r.apply(nodeOp('plain', { runtimes: ['process'] }));
    expect(messageOf(r.apply(placeOp(spec('c', { runtime: 'runc' }))))).toContain('node-runtime: node cannot run runc containers');
    r.apply(nodeOp('rooted', { runtimes: ['runc', 'process'] }));
    expect(r.machine.state.workloads.get('default/c')).toMatchObject({ phase: 'bound', node: 'rooted' });
  });

  it('node-ready keeps workloads off nodes whose heartbeats stopped', () => {
    const r = replica({ nodeTimeoutMs: 1000 });
    r.apply(nodeOp('a'), { at: 0 });
    r.apply(nodeOp('b'), { at: 900 });
    r.apply({ type: 'sched.node.heartbeat', node: 'b' }, { at: 1500 });
    expect(r.machine.state.nodes.get('a')!.ready).toBe(false);
    for (let i = 0; i < 3; i++) expect(boundNode(r.apply(placeOp(spec(`w${i}`)), { at: 1600 }))).toBe('b');
    // b falls silent too: its workloads have nowhere to go
    expect(messageOf(r.apply(placeOp(spec('late')), { at: 3000 }))).toBe(
      "workload 'default/late' is unschedulable: 0/2 nodes are available: 2 × node-ready: node is not ready (no recent heartbeat)",
    );
    expect(r.machine.state.workloads.get('default/w0')).toMatchObject({ phase: 'pending', unschedulable: true });
  });
});

describe('reputation', () => {
  it('avoids nodes the fault detectors agree to distrust, needing f+1 reporters', () => {
    const r = replica({ builtins: { disabled: ['least-allocated', 'balanced-allocation'] } });
    for (const id of ['n1', 'n2', 'n3', 'n4']) r.apply(nodeOp(id));
    // one reporter (possibly Byzantine) is not enough with n = 4, f = 1
    r.apply({ type: 'sched.node.report', node: 'n4', reputation: 0.1, trust: 'isolated' }, { clientId: 'n1' });
    expect(r.machine.state.nodes.get('n4')).toMatchObject({ trust: 'active', reputation: 1 });
    // nor another client slot of the same node, nor a client that is not a registered node
    r.apply({ type: 'sched.node.report', node: 'n4', reputation: 0.1, trust: 'isolated' }, { clientId: 'n1/7' });
    r.apply({ type: 'sched.node.report', node: 'n4', reputation: 0.1, trust: 'isolated' }, { clientId: 'stranger/0' });
    expect(r.machine.state.nodes.get('n4')).toMatchObject({ trust: 'active', reputation: 1 });
    r.apply({ type: 'sched.node.report', node: 'n4', reputation: 0.2, trust: 'isolated' }, { clientId: 'n2/0' });
    expect(r.machine.state.nodes.get('n4')).toMatchObject({ trust: 'isolated', reputation: 0.2 });
    const placed = Array.from({ length: 12 }, (_, i) => boundNode(r.apply(placeOp(spec(`w${i}`)))));
    expect(placed).not.toContain('n4');
    const only = replica();
    only.apply(nodeOp('n1'));
    only.apply(nodeOp('n2'));
    only.apply({ type: 'sched.node.report', node: 'n2', reputation: 0.3, trust: 'suspected' }, { clientId: 'n1' });
    only.apply({ type: 'sched.node.report', node: 'n1', reputation: 0.3, trust: 'suspected' }, { clientId: 'n2' });
    expect(messageOf(only.apply(placeOp(spec('w'))))).toBe("workload 'default/w' is unschedulable: 0/2 nodes are available: 2 × reputation: reputation below 0.5");
  });

  it('prefers higher reputation among trusted nodes', () => {
    const r = replica({ builtins: { disabled: ['least-allocated', 'balanced-allocation'] } });
    r.apply(nodeOp('n1'));
    r.apply(nodeOp('n2'));
    r.apply({ type: 'sched.node.report', node: 'n1', reputation: 0.6, trust: 'suspected' }, { clientId: 'n2' });
    for (let i = 0; i < 6; i++) expect(boundNode(r.apply(placeOp(spec(`w${i}`))))).toBe('n2');
  });
});
