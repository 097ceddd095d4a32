// Placements per second of the scheduling framework: 1,000 nodes × 10,000 workloads through the
// replicated `sched` state machine (operation parsing, every built-in plugin as hook taps, the
// round-robin node window), against a naive first-fit over the same inputs in the same run.
// Run: npm run bench -w @hypermesh/plugin-scheduler   (writes docs/benchmarks.md, section "scheduler")
import { createNode, createRandom, type JsonValue, type NodeTaint, type WorkloadSpec } from '@hypermesh/runtime';
import { loadavg } from 'node:os';
import { pino } from 'pino';
import { machineLine, writeBenchSection } from '../../../scripts/bench-report.mjs';
import { Cycle } from '../src/framework/cycle.js';
import { builtinPlugins, ClusterState, createSchedulerStateMachine, tapBuiltinPlugins, type SchedOperation, type SchedResult } from '../src/index.js';

const NODES = 1000;
const WORKLOADS = 10_000;
const SEED = 'sched-bench';
const GiB = 2 ** 30;
const MiB = 2 ** 20;

interface NodeInput {
  readonly id: string;
  readonly labels: Record<string, string>;
  readonly taints: NodeTaint[];
  readonly capacity: { cpuMillis: number; memoryBytes: number; pids: number };
}

function inputs(): { nodes: NodeInput[]; workloads: WorkloadSpec[] } {
  const random = createRandom(SEED);
  const nodes: NodeInput[] = Array.from({ length: NODES }, (_, i) => ({
    id: `node-${String(i).padStart(4, '0')}`,
    labels: { zone: `zone-${random.int(10)}`, disk: random.chance(0.3) ? 'ssd' : 'hdd' },
    taints: random.chance(0.1) ? [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] : [],
    capacity: { cpuMillis: 1000 * random.pick([8, 16, 32, 64]), memoryBytes: GiB * random.pick([16, 32, 64, 128]), pids: 4096 },
  }));
  const workloads: WorkloadSpec[] = Array.from({ length: WORKLOADS }, (_, i) => {
    const spec: WorkloadSpec = {
      name: `w${i}`,
      command: ['/bin/app'],
      labels: { app: `app-${random.int(200)}` },
      resources: { cpuMillis: 100 * (1 + random.int(20)), memoryBytes: 128 * MiB * (1 + random.int(32)), pids: 10 + random.int(90) },
    };
    const extra: Partial<{ -readonly [K in keyof WorkloadSpec]: WorkloadSpec[K] }> = {};
    if (random.chance(0.2)) extra.nodeSelector = { disk: 'ssd' };
    if (random.chance(0.1)) extra.tolerations = [{ key: 'dedicated', operator: 'Exists' }];
    if (random.chance(0.1)) extra.topologySpread = [{ maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }];
    if (random.chance(0.1)) extra.ports = [{ name: 'http', port: 8000 + random.int(100), protocol: 'tcp' }];
    return { ...spec, ...extra };
  });
  return { nodes, workloads };
}

interface Run {
  readonly placed: number;
  readonly seconds: number;
  readonly cpuShares: number[];
}

/** Our scheduler: operations applied to the state machine, as every replica does. */
function framework(nodes: NodeInput[], workloads: WorkloadSpec[], percentageOfNodesToScore: number): Run {
  const hooks = createNode({ logger: pino({ level: 'silent' }), plugins: [] }).hooks;
  tapBuiltinPlugins(hooks);
  const machine = createSchedulerStateMachine({ hooks, nodeTimeoutMs: 0, framework: { percentageOfNodesToScore } });
  let sequence = 0;
  const apply = (op: SchedOperation) =>
    machine.apply(op as unknown as JsonValue, { sequence: ++sequence, index: 0, view: 0, clientId: 'bench', timestamp: sequence }) as SchedResult;
  for (const n of nodes) apply({ type: 'sched.node.register', node: { ...n, runtimes: ['process'], address: '127.0.0.1' } });
  const ops = workloads.map((spec) => JSON.parse(JSON.stringify({ type: 'sched.place', spec })) as SchedOperation);
  let placed = 0;
  const t0 = process.hrtime.bigint();
  for (const op of ops) if (apply(op).ok) placed++;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuShares = machine.state.sortedNodes.map((n) => n.allocated.cpuMillis / n.capacity.cpuMillis);
  return { placed, seconds, cpuShares };
}

/** The peer: first node (in id order) that fits, same hard constraints, no scoring, no state machine. */
function firstFit(nodes: NodeInput[], workloads: WorkloadSpec[]): Run {
  const used = nodes.map(() => ({ cpuMillis: 0, memoryBytes: 0, pids: 0 }));
  const ports = nodes.map(() => new Set<string>());
  let placed = 0;
  const t0 = process.hrtime.bigint();
  for (const w of workloads) {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const u = used[i]!;
      const r = w.resources;
      if (u.cpuMillis + r.cpuMillis > n.capacity.cpuMillis || u.memoryBytes + r.memoryBytes > n.capacity.memoryBytes || u.pids + r.pids > n.capacity.pids) continue;
      if (w.nodeSelector && Object.entries(w.nodeSelector).some(([k, v]) => n.labels[k] !== v)) continue;
      if (n.taints.length > 0 && !w.tolerations?.some((t) => t.key === 'dedicated')) continue;
      if (w.ports?.some((p) => ports[i]!.has(`${p.port}/${p.protocol}`))) continue;
      u.cpuMillis += r.cpuMillis;
      u.memoryBytes += r.memoryBytes;
      u.pids += r.pids;
      for (const p of w.ports ?? []) ports[i]!.add(`${p.port}/${p.protocol}`);
      placed++;
      break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { placed, seconds, cpuShares: used.map((u, i) => u.cpuMillis / nodes[i]!.capacity.cpuMillis) };
}

/**
 * The second peer: the same built-in plugin functions called directly in plain loops over every
 * node, plugin by plugin as the framework's taps do — no hooks, no filter passes or score sheets, no
 * operation parsing, no state machine beyond allocations. The ratio to it is the cost of the
 * framework machinery.
 */
function directCalls(nodes: NodeInput[], workloads: WorkloadSpec[]): Run {
  const state = new ClusterState();
  for (const n of nodes) state.addNode({ ...n, runtimes: ['process'], address: '127.0.0.1', ready: true, reputation: 1, trust: 'active' });
  const plugins = Object.values(builtinPlugins());
  const effects = { allow: () => undefined, reject: () => undefined, evict: () => undefined };
  let placed = 0;
  const t0 = process.hrtime.bigint();
  const filters = plugins.filter((p) => p.filter !== undefined);
  const scorers = plugins.filter((p) => p.score !== undefined);
  const all = state.sortedNodes;
  const feasible: (typeof all)[number][] = [];
  const mask = new Uint8Array(all.length);
  for (const spec of workloads) {
    const cycle = new Cycle(`default/${spec.name}`, { ...spec, namespace: 'default' }, 0, 0, state.view, effects);
    for (const p of plugins) if (p.preFilter?.(cycle)?.code === 'skip') cycle.skip('filter', p.name);
    const active = filters.filter((p) => !cycle.isSkipped('filter', p.name));
    // plugin by plugin over the still-feasible nodes, as the framework's filter taps do
    mask.fill(1);
    for (const p of active) for (let i = 0; i < all.length; i++) if (mask[i] === 1 && p.filter!(cycle, all[i]!) !== undefined) mask[i] = 0;
    feasible.length = 0;
    for (let i = 0; i < all.length; i++) if (mask[i] === 1) feasible.push(all[i]!);
    if (feasible.length === 0) continue;
    const totals = new Float64Array(feasible.length);
    const column = new Float64Array(feasible.length);
    for (const p of scorers) {
      if (p.preScore?.(cycle, feasible)?.code === 'skip' || cycle.isSkipped('score', p.name)) continue;
      for (let i = 0; i < feasible.length; i++) column[i] = p.score!(cycle, feasible[i]!);
      p.normalizeScore?.(cycle, column, feasible);
      const weight = p.weight ?? 1;
      for (let i = 0; i < feasible.length; i++) totals[i] = totals[i]! + weight * Math.max(0, Math.min(100, Math.floor(column[i]!)));
    }
    let best = 0;
    for (let i = 1; i < feasible.length; i++) if (totals[i]! > totals[best]!) best = i;
    state.resources.allocate(feasible[best]!, cycle.key, spec, false);
    placed++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { placed, seconds, cpuShares: state.sortedNodes.map((n) => n.allocated.cpuMillis / n.capacity.cpuMillis) };
}

const stddev = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
};
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const rate = (r: Run) => Math.round(r.placed / r.seconds);

const { nodes, workloads } = inputs();
// warm-up on a slice, then measure; each variant twice, keep the faster (the machine is shared)
framework(nodes.slice(0, 200), workloads.slice(0, 2000), 0);
firstFit(nodes, workloads.slice(0, 2000));
const best = (f: () => Run) => [f(), f()].sort((a, b) => a.seconds - b.seconds)[0]!;
const adaptive = best(() => framework(nodes, workloads, 0));
const everyNode = best(() => framework(nodes, workloads, 100));
const direct = best(() => directCalls(nodes, workloads));
const peer = best(() => firstFit(nodes, workloads));

const rows = [
  ['framework, adaptive window (42% of 1,000 nodes)', adaptive],
  ['framework, every node filtered and scored', everyNode],
  ['peer: the same plugin functions called in plain loops, every node', direct],
  ['peer: naive first-fit (no scoring, no state machine)', peer],
] as const;
const table = rows
  .map(([label, r]) => `| ${label} | ${r.placed.toLocaleString('en')} | ${r.seconds.toFixed(2)} s | ${rate(r).toLocaleString('en')} | ${pct(Math.max(...r.cpuShares))} | ${pct(stddev(r.cpuShares))} |`)
  .join('\n');

const overhead = 1 - rate(everyNode) / rate(direct);
const machinery =
  overhead < 0.1
    ? 'the machinery around them (hooks, statuses, operation parsing, replicated-state bookkeeping) costs nothing measurable here — the plugins’ own per-node work dominates, and run-to-run variation on this shared machine is larger than the difference.'
    : `the machinery around them (hooks, statuses, operation parsing, replicated-state bookkeeping) costs ${(overhead * 100).toFixed(0)}% of the throughput.`;
const markdown = `## @hypermesh/plugin-scheduler — placements per second

Command: \`npm run bench -w @hypermesh/plugin-scheduler\` · ${machineLine()} · seed \`${SEED}\`, best of 2 runs ·
load average ${loadavg()[0]!.toFixed(1)} at the end (the machine is shared: compare within a run).

${NODES.toLocaleString('en')} nodes (10 zones, 30% ssd, 10% tainted) × ${WORKLOADS.toLocaleString('en')} workloads (20% nodeSelector, 10% tolerations,
10% topology spread, 10% host ports), placed one operation at a time through the \`sched\` state
machine: operation parsing (zod), every built-in plugin tapped on the \`sched.*\` hooks, reserve and bind.

| scheduler | placed | time | placements/s | busiest node (cpu) | cpu share σ |
|---|---:|---:|---:|---:|---:|
${table}

- **Ratios in the same run:** the full framework path (every node) runs at ${(rate(everyNode) / rate(direct)).toFixed(2)}× the rate of the same
  plugin functions called directly in plain loops: ${machinery} The adaptive window brings the framework to ${(rate(adaptive) / rate(direct)).toFixed(2)}×. A naive
  first-fit (no scoring) is ${(rate(peer) / rate(adaptive)).toFixed(0)}× faster than the adaptive framework, and places badly: it packs the
  low-numbered nodes (busiest node ${pct(Math.max(...peer.cpuShares))}, σ of cpu share ${pct(stddev(peer.cpuShares))}) where the framework spreads by score
  (busiest ${pct(Math.max(...adaptive.cpuShares))}, σ ${pct(stddev(adaptive.cpuShares))}) and honours topology spread, which first-fit ignores.
- In a cluster each placement is also one consensus round (\`sched.place\`), which costs far more than
  the scheduling cycle measured here.
`;
console.log(markdown);
console.log(`written to ${writeBenchSection('scheduler', markdown)}`);
