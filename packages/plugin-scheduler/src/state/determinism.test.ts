import { createRandom, type Random, type WorkloadSpec } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { tapSchedulingPlugin } from '../framework/scheduling-plugin.js';
import { waitFor } from '../framework/status.js';
import { nodeOp, placeOp, replica, spec, type Replica } from '../testing/fixtures.js';
import type { SchedOperation } from './operations.js';

const MiB = 2 ** 20;

/** A random but seeded mix of every operation the scheduler replicates, with agreed timestamps. */
function operations(random: Random, count: number): { op: SchedOperation; at: number; clientId: string }[] {
  const nodes = Array.from({ length: 3 + random.int(8) }, (_, i) => `node-${i}`);
  const out: { op: SchedOperation; at: number; clientId: string }[] = [];
  let at = 0;
  const names: string[] = [];
  // a node's own operations come from it; others from any node's client slot
  const push = (op: SchedOperation) => {
    const own = op.type === 'sched.node.register' ? op.node.id : op.type === 'sched.node.heartbeat' || op.type === 'sched.status' ? op.node : undefined;
    out.push({ op, at, clientId: own ?? `${random.pick(nodes)}/${random.int(3)}` });
  };
  for (const id of nodes) {
    push(
      nodeOp(id, {
        labels: { zone: random.pick(['a', 'b', 'c']), ...(random.chance(0.5) ? { disk: 'ssd' } : {}) },
        taints: random.chance(0.2) ? [{ key: 'dedicated', value: 'db', effect: random.pick(['NoSchedule', 'PreferNoSchedule'] as const) }] : [],
        capacity: { cpuMillis: 1000 * (1 + random.int(8)), memoryBytes: 1024 * MiB * (1 + random.int(8)), pids: 500 },
      }),
    );
  }
  push({ type: 'sched.quota.set', namespace: 'team', limits: { cpuMillis: 6000, workloads: 20 } });
  while (out.length < count) {
    at += random.int(400);
    const roll = random.next();
    if (roll < 0.45) {
      const name = `w${random.int(60)}`;
      const extra: Partial<WorkloadSpec> = {
        namespace: random.chance(0.3) ? 'team' : 'default',
        resources: { cpuMillis: 50 * (1 + random.int(20)), memoryBytes: 32 * MiB * (1 + random.int(16)), pids: 1 + random.int(50) },
        labels: { app: random.pick(['web', 'db', 'cache']) },
      };
      if (random.chance(0.2)) Object.assign(extra, { nodeSelector: { disk: 'ssd' } });
      if (random.chance(0.2)) Object.assign(extra, { tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
      if (random.chance(0.3)) Object.assign(extra, { topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: random.pick(['DoNotSchedule', 'ScheduleAnyway']) }] });
      if (random.chance(0.2)) Object.assign(extra, { ports: [{ name: 'http', port: 8000 + random.int(4), protocol: 'tcp' }] });
      if (random.chance(0.1)) Object.assign(extra, { labels: { gang: 'g', app: 'batch' } });
      names.push(name);
      push(placeOp(spec(name, extra)));
    } else if (roll < 0.55 && names.length > 0) {
      push({ type: 'sched.remove', name: random.pick(names), namespace: random.pick(['default', 'team']) });
    } else if (roll < 0.6 && names.length > 0) {
      push({ type: 'sched.reschedule', name: random.pick(names), namespace: 'default' });
    } else if (roll < 0.9) {
      // most nodes keep sending heartbeats; a few fall silent for a while
      const node = random.pick(nodes);
      if (node !== 'node-0' || at < 20_000) push({ type: 'sched.node.heartbeat', node });
    } else if (roll < 0.95) {
      push({ type: 'sched.node.report', node: random.pick(nodes), reputation: random.next(), trust: random.pick(['active', 'active', 'suspected', 'isolated']) });
    } else {
      const node = random.pick(nodes);
      push({ type: 'sched.status', key: `default/${random.pick(names.length ? names : ['w0'])}`, node, generation: 1 + random.int(2), phase: random.pick(['running', 'failed']), restarts: 0 });
    }
  }
  return out;
}

/** A gang permit plugin: deterministic, reads only the cycle. */
function tapGang(r: Replica): void {
  tapSchedulingPlugin(r.hooks, {
    name: 'gang',
    permit(cycle) {
      if (cycle.workload.labels?.['gang'] === undefined) return undefined;
      const members: string[] = [];
      cycle.cluster.forEachPlaced((w) => void (w.spec.labels?.['gang'] === 'g' && members.push(w.key)));
      if (members.length < 2) return waitFor('gang', 'waiting for a second member', 3000);
      for (const key of members) cycle.allow(key, 'gang');
      return undefined;
    },
  });
}

const placements = (r: Replica) =>
  [...r.machine.state.workloads.values()].map((w) => `${w.key}:${w.phase}:${w.node ?? '-'}:${w.generation}`).sort();

describe('sched state machine: determinism', () => {
  for (const seed of ['sched-1', 'sched-2', 'sched-3', 'sched-4']) {
    it(`the same operations in the same order give the same placements on every replica (seed ${seed})`, () => {
      console.log(`determinism seed: ${seed}`);
      const ops = operations(createRandom(seed), 600);
      const replicas = Array.from({ length: 4 }, () => replica({ nodeTimeoutMs: 5000 }));
      replicas.forEach(tapGang);
      let restored: Replica | undefined;
      let bound = 0;
      ops.forEach(({ op, at, clientId }, i) => {
        const results = replicas.map((r) => JSON.stringify(r.apply(op, { at, clientId })));
        expect(new Set(results).size, `operation ${i} (${op.type}) gave different results`).toBe(1);
        if (i % 50 === 0) expect(new Set(replicas.map(placements).map((p) => p.join())).size, `placements differ after operation ${i}`).toBe(1);
        if (results[0]!.includes('"bound"')) bound++;
        if (i === 300) {
          // a replica that joins by state transfer decides exactly like the others from here on
          restored = replica({ nodeTimeoutMs: 5000, startSequence: 301 });
          tapGang(restored);
          restored.machine.restore(replicas[0]!.machine.snapshot());
          replicas.push(restored);
        }
      });
      const snapshots = new Set(replicas.map((r) => Buffer.from(r.machine.snapshot()).toString('base64')));
      expect(snapshots.size).toBe(1);
      expect(restored).toBeDefined();
      expect(bound).toBeGreaterThan(10);
    });
  }

  it('catches a plugin that reads something local (the test can fail)', () => {
    const ops = operations(createRandom('sched-local'), 300);
    const replicas = Array.from({ length: 2 }, (_, i) => {
      const r = replica();
      const local = createRandom(`replica-${i}`);
      tapSchedulingPlugin(r.hooks, { name: 'local-dice', weight: 50, score: () => local.int(100) });
      return r;
    });
    for (const { op, at, clientId } of ops) for (const r of replicas) r.apply(op, { at, clientId });
    expect(placements(replicas[0]!)).not.toEqual(placements(replicas[1]!));
  });
});
