import { describe, expect, it } from 'vitest';
import { boundNode, nodeOp, placeOp, replica, spec } from '../testing/fixtures.js';

const MiB = 2 ** 20;
const messageOf = (r: { ok: boolean }) => (r as { message?: string }).message ?? '';

describe('sched state machine: quotas', () => {
  it('refuses a workload that would take its namespace past a quota, naming the resource', () => {
    const r = replica({ quotas: { team: { cpuMillis: 1000, workloads: 3 } } });
    r.apply(nodeOp('a'));
    const w = (name: string, cpuMillis: number) => spec(name, { namespace: 'team', resources: { cpuMillis, memoryBytes: MiB, pids: 1 } });
    boundNode(r.apply(placeOp(w('one', 600))));
    const over = r.apply(placeOp(w('two', 500)));
    expect(over).toMatchObject({ ok: false, code: 'E_SCHED_QUOTA' });
    expect(messageOf(over)).toBe("workload 'team/two' is refused: namespace 'team' would use 1100m cpu of its quota of 1");
    boundNode(r.apply(placeOp(w('two', 400))));
    // an update replaces the old spec's usage rather than adding to it
    boundNode(r.apply(placeOp(w('one', 500))));
    boundNode(r.apply(placeOp(w('three', 100))));
    expect(messageOf(r.apply(placeOp(w('four', 0))))).toBe("workload 'team/four' is refused: namespace 'team' may run 3 workloads and runs 3");
    // other namespaces are not limited
    boundNode(r.apply(placeOp(spec('free', { resources: { cpuMillis: 2000, memoryBytes: MiB, pids: 1 } }))));
  });

  it('counts pending workloads too, reports usage, and can be changed through an operation', () => {
    const r = replica();
    r.apply({ type: 'sched.quota.set', namespace: 'ns', limits: { memoryBytes: 100 * MiB } });
    // no node yet: admitted but pending
    expect(r.apply(placeOp(spec('p', { namespace: 'ns', resources: { cpuMillis: 1, memoryBytes: 80 * MiB, pids: 1 } })))).toMatchObject({ code: 'E_SCHED_UNSCHEDULABLE' });
    expect(r.apply(placeOp(spec('q', { namespace: 'ns', resources: { cpuMillis: 1, memoryBytes: 30 * MiB, pids: 1 } })))).toMatchObject({ code: 'E_SCHED_QUOTA' });
    expect(r.machine.state.resources.quotas()).toEqual([
      { namespace: 'ns', limits: { memoryBytes: 100 * MiB }, used: { cpuMillis: 1, memoryBytes: 80 * MiB, pids: 1, workloads: 1 } },
    ]);
    r.apply({ type: 'sched.remove', name: 'p', namespace: 'ns' });
    expect(r.machine.state.resources.quotas()[0]!.used.workloads).toBe(0);
  });
});

describe('sched state machine: placements and the queue', () => {
  it('an unschedulable workload stays pending with its reason and is placed when a node fits', () => {
    const r = replica();
    const result = r.apply(placeOp(spec('w')));
    expect(result).toMatchObject({ ok: false, code: 'E_SCHED_UNSCHEDULABLE', plugin: 'framework', message: "workload 'default/w' is unschedulable: framework: no nodes are registered" });
    expect(r.machine.state.statusOf(r.machine.state.workloads.get('default/w')!)).toMatchObject({ phase: 'unschedulable', reason: 'framework: no nodes are registered' });
    r.apply(nodeOp('a'));
    expect(r.machine.state.statusOf(r.machine.state.workloads.get('default/w')!)).toMatchObject({ phase: 'scheduled', node: 'a' });
  });

  it('the same deploy twice is idempotent; a changed spec replaces the workload (new generation)', () => {
    const r = replica();
    r.apply(nodeOp('a'));
    const first = r.apply(placeOp(spec('w')));
    expect(r.apply(placeOp(spec('w')))).toEqual(first);
    expect(r.machine.state.workloads.get('default/w')!.generation).toBe(1);
    r.apply(placeOp(spec('w', { env: { V: '2' } })));
    expect(r.machine.state.workloads.get('default/w')).toMatchObject({ generation: 2, phase: 'bound' });
    expect(r.machine.state.nodes.get('a')!.workloads).toBe(1);
  });

  it('remove and reschedule of an unknown workload say so', () => {
    const r = replica();
    expect(r.apply({ type: 'sched.remove', name: 'x', namespace: 'default' })).toMatchObject({ ok: false, code: 'E_SCHED_NOT_FOUND' });
    expect(r.apply({ type: 'sched.reschedule', name: 'x', namespace: 'default' })).toMatchObject({ ok: false, code: 'E_SCHED_NOT_FOUND' });
  });

  it('an invalid operation is refused with the field path, never thrown', () => {
    const r = replica();
    const result = r.machine.apply({ type: 'sched.place', spec: { name: 'Bad_Name', command: [], resources: {} } }, { sequence: 1, index: 0, view: 0, clientId: 'c', timestamp: 0 });
    expect(result).toMatchObject({ ok: false, code: 'E_SCHED_INVALID', message: expect.stringContaining('spec.name: must be a DNS label') });
    expect(r.machine.validate!({ type: 'sched.nope' })).toMatchObject({ valid: false });
  });

  it('refuses an empty toleration key unless its operator is Exists (the contract: empty key tolerates every taint with Exists)', () => {
    const r = replica();
    r.apply(nodeOp('a'));
    const refused = r.apply(placeOp(spec('w', { tolerations: [{ key: '', operator: 'Equal', value: 'x' }] })));
    expect(refused).toMatchObject({ ok: false, code: 'E_SCHED_INVALID' });
    expect(messageOf(refused)).toContain('spec.tolerations[0].key: an empty key (every taint) needs operator Exists');
    boundNode(r.apply(placeOp(spec('w', { tolerations: [{ key: '', operator: 'Exists' }] }))));
  });
});

describe('sched state machine: rescheduling', () => {
  it('moves the workloads of a node whose heartbeats stop, in agreed time', () => {
    const r = replica({ nodeTimeoutMs: 5000 });
    const events: string[] = [];
    r.machine.subscribe((e) => events.push(e.type === 'unbound' || e.type === 'bound' ? `${e.type} ${e.key} ${e.node}` : e.type));
    r.apply(nodeOp('a', { labels: { pin: 'a' } }), { at: 0 });
    boundNode(r.apply(placeOp(spec('w', { nodeSelector: {} })), { at: 10 }));
    const first = r.machine.state.workloads.get('default/w')!.node!;
    const other = first === 'a' ? 'b' : 'a';
    r.apply(nodeOp('b'), { at: 20 });
    r.apply({ type: 'sched.node.heartbeat', node: other }, { at: 4000 });
    expect(r.machine.state.workloads.get('default/w')!.node).toBe(first);
    r.apply({ type: 'sched.node.heartbeat', node: other }, { at: 8000 });
    const record = r.machine.state.workloads.get('default/w')!;
    expect(record).toMatchObject({ phase: 'bound', node: other, generation: 2 });
    expect(events).toContain(`unbound default/w ${first}`);
    expect(events).toContain(`bound default/w ${other}`);
    // the silent node comes back: ready again, nothing moves back
    r.apply({ type: 'sched.node.heartbeat', node: first }, { at: 9000 });
    expect(r.machine.state.nodes.get(first)!.ready).toBe(true);
    expect(r.machine.state.workloads.get('default/w')!.node).toBe(other);
    // and it can fall silent again
    r.apply({ type: 'sched.node.heartbeat', node: other }, { at: 12_000 });
    r.apply({ type: 'sched.node.heartbeat', node: other }, { at: 14_500 });
    expect(r.machine.state.nodes.get(first)!.ready).toBe(false);
  });

  it('a node that comes back after every node went silent can time out again', () => {
    const r = replica({ nodeTimeoutMs: 5000 });
    r.apply(nodeOp('a'), { at: 0 });
    r.apply({ type: 'sched.quota.set', namespace: 'x', limits: {} }, { at: 6000 });
    expect(r.machine.state.nodes.get('a')!.ready).toBe(false);
    r.apply({ type: 'sched.node.heartbeat', node: 'a' }, { at: 7000 });
    expect(r.machine.state.nodes.get('a')!.ready).toBe(true);
    r.apply({ type: 'sched.quota.set', namespace: 'x', limits: {} }, { at: 13_000 });
    expect(r.machine.state.nodes.get('a')!.ready).toBe(false);
  });

  it('moves the workloads of a node the fault detectors isolate', () => {
    const r = replica();
    for (const id of ['n1', 'n2', 'n3', 'n4']) r.apply(nodeOp(id));
    const placed = Array.from({ length: 8 }, (_, i) => boundNode(r.apply(placeOp(spec(`w${i}`)))));
    expect(placed).toContain('n4');
    r.apply({ type: 'sched.node.report', node: 'n4', reputation: 0, trust: 'isolated' }, { clientId: 'n1' });
    r.apply({ type: 'sched.node.report', node: 'n4', reputation: 0, trust: 'isolated' }, { clientId: 'n3' });
    for (let i = 0; i < 8; i++) expect(r.machine.state.workloads.get(`default/w${i}`)).toMatchObject({ phase: 'bound', node: expect.not.stringMatching('n4') });
  });

  it('reschedule runs the whole framework again', () => {
    const r = replica();
    r.apply(nodeOp('a'));
    boundNode(r.apply(placeOp(spec('w'))));
    r.apply(nodeOp('b'));
    r.apply(nodeOp('a', { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }));
    expect(r.machine.state.workloads.get('default/w')!.node).toBe('a'); // NoSchedule does not evict
    expect(boundNode(r.apply({ type: 'sched.reschedule', name: 'w', namespace: 'default' }))).toBe('b');
  });
});

describe('sched state machine: agent reports', () => {
  it('takes reports only from the bound node for the current generation; a final failure frees the node', () => {
    const r = replica();
    r.apply(nodeOp('a'));
    boundNode(r.apply(placeOp(spec('w', { restartPolicy: 'never' }))));
    const report = { type: 'sched.status', key: 'default/w', node: 'a', generation: 1, phase: 'running', restarts: 0, address: '10.0.0.1', runtime: 'process' } as const;
    expect(r.apply({ ...report, node: 'b' })).toMatchObject({ ok: false, code: 'E_SCHED_NOT_FOUND' });
    // nobody reports for another node: a spoofed address would redirect the service's DNS name
    expect(r.apply({ ...report, address: '203.0.113.66' }, { clientId: 'b/0' })).toMatchObject({ ok: false, code: 'E_SCHED_INVALID' });
    expect(r.apply({ type: 'sched.node.heartbeat', node: 'a' }, { clientId: 'b/1' })).toMatchObject({ ok: false, code: 'E_SCHED_INVALID' });
    expect(r.apply({ ...report, generation: 7 })).toMatchObject({ ok: false });
    r.apply(report);
    expect(r.machine.state.statusOf(r.machine.state.workloads.get('default/w')!)).toEqual({
      name: 'w',
      namespace: 'default',
      node: 'a',
      phase: 'running',
      restarts: 0,
      address: '10.0.0.1',
      runtime: 'process',
    });
    expect(r.machine.state.nodes.get('a')!.allocated.cpuMillis).toBe(100);
    r.apply({ ...report, phase: 'failed', reason: 'exited with code 3' });
    expect(r.machine.state.nodes.get('a')!.allocated.cpuMillis).toBe(0);
    expect(r.machine.state.statusOf(r.machine.state.workloads.get('default/w')!)).toMatchObject({ phase: 'failed', reason: 'exited with code 3' });
  });
});

describe('sched state machine: snapshots', () => {
  it('restores to a state whose snapshot and future decisions are identical', () => {
    const a = replica({ nodeTimeoutMs: 3000, quotas: { q: { workloads: 10 } } });
    for (const id of ['x', 'y', 'z']) a.apply(nodeOp(id, { labels: { zone: id } }), { at: 1 });
    for (let i = 0; i < 9; i++) a.apply(placeOp(spec(`w${i}`, { namespace: i % 2 ? 'q' : 'default', labels: { app: 'w' }, topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] })), { at: 2 });
    const b = replica({ nodeTimeoutMs: 3000, quotas: { q: { workloads: 10 } }, startSequence: 12 });
    b.machine.restore(a.machine.snapshot());
    expect(Buffer.from(b.machine.snapshot()).toString()).toBe(Buffer.from(a.machine.snapshot()).toString());
    for (const r of [a, b]) {
      r.apply({ type: 'sched.node.heartbeat', node: 'x' }, { at: 3500 });
      r.apply(placeOp(spec('after', { labels: { app: 'w' } })), { at: 3600 });
    }
    expect(Buffer.from(b.machine.snapshot()).toString()).toBe(Buffer.from(a.machine.snapshot()).toString());
    expect(a.machine.state.nodes.get('y')!.ready).toBe(false);
  });

  it('refuses a snapshot that is not one', () => {
    const r = replica();
    expect(() => r.machine.restore(new TextEncoder().encode('{"version":9}'))).toThrowError(/snapshot version 9 is not 1/);
  });
});
