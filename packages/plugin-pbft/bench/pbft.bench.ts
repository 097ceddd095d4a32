// PBFT throughput, latency and view-change time. Run: npm run bench -w @hypermesh/plugin-pbft
// (writes docs/benchmarks.md, section "pbft"). The machine is shared: every figure comes with a
// peer measured in the same run.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { machineLine, writeBenchSection } from '../../../scripts/bench-report.mjs';
import { createKeyValueStateMachine } from '../src/index.js';
import { closedLoop, inProcessCluster, mean, percentile, submitVia, type LoadResult } from './in-process.js';
import { grpcBench, type GrpcRow } from './over-grpc.js';

const DURATION = Number(process.env.PBFT_BENCH_MS ?? 3000);
const WARMUP = 500;
const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const rate = (r: LoadResult) => r.ops / r.seconds;

interface Row {
  readonly n: number;
  readonly batch: number;
  readonly payload: number;
  readonly result: LoadResult;
}

const ROUNDS = Number(process.env.PBFT_BENCH_ROUNDS ?? 2);

/** The best of ROUNDS runs: other work on the shared machine only ever slows a run down. */
async function bestOf(run: () => Promise<LoadResult>): Promise<LoadResult> {
  let top: LoadResult | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    const result = await run();
    if (top === undefined || rate(result) > rate(top)) top = result;
  }
  return top!;
}

async function inProcess(n: number, batch: number, payload: number, extra: Record<string, unknown> = {}, outstanding?: number): Promise<LoadResult> {
  // A generous request timeout: with every replica on one event loop, a busy moment is not a faulty primary.
  const cluster = await inProcessCluster(n, { batch_size: batch, batch_timeout: 1, checkpoint_interval: 128, watermark_window: 256, timeout: 1000, ...extra });
  try {
    const concurrency = outstanding ?? Math.max(8, 4 * batch);
    return await closedLoop(submitVia(cluster), cluster.ids.map((_, i) => i), { concurrency, payloadBytes: payload, durationMs: DURATION, warmupMs: WARMUP });
  } finally {
    await cluster.stop();
  }
}

/** The same operations through one key-value state machine, no replication: the ceiling. */
function unreplicated(payload: number): number {
  const kv = createKeyValueStateMachine();
  const value = 'x'.repeat(payload);
  const ctx = { sequence: 0, index: 0, view: 0, clientId: 'c/0', timestamp: 0, requestTimestamp: 0 };
  const t0 = performance.now();
  let ops = 0;
  while (performance.now() - t0 < 500) {
    for (let i = 0; i < 1000; i++, ops++) kv.apply(JSON.parse(JSON.stringify({ op: 'set', key: `k${ops % 1000}`, value })), ctx);
  }
  return ops / ((performance.now() - t0) / 1000);
}

/** Disconnects the primary under light load; times the view change as the replicas see it. */
async function viewChange(trial: number): Promise<{ newViewMs: number; protocolMs: number; nextCommitMs: number }> {
  const started: number[] = [];
  const installed: number[] = [];
  const cluster = await inProcessCluster(4, { timeout: 100, view_change_timeout: 200 }, (i) => ({
    viewChangeStarted: () => void started.push(performance.now()),
    viewInstalled: () => void (i !== 0 && installed.push(performance.now())),
  }));
  try {
    const submit = submitVia(cluster);
    for (let i = 0; i < 20; i++) await submit(1 + (i % 3), 'warm', `w${trial}-${i}`);
    const t0 = performance.now();
    cluster.disconnect(0);
    await submit(1, 'after', `after-${trial}`);
    const nextCommitMs = performance.now() - t0;
    while (installed.length < 3) await new Promise((r) => setTimeout(r, 5));
    return { newViewMs: Math.max(...installed) - t0, protocolMs: Math.max(...installed) - Math.min(...started), nextCommitMs };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  for (const n of [4, 7]) {
    for (const batch of [1, 10, 100]) {
      for (const payload of [0, 1024]) {
        const result = await bestOf(() => inProcess(n, batch, payload));
        rows.push({ n, batch, payload, result });
        console.log(`n=${n} B=${batch} payload=${payload}: ${fmt(rate(result), 0)} ops/s, p50 ${fmt(percentile(result.latencies, 50))} ms, p99 ${fmt(percentile(result.latencies, 99))} ms`);
      }
    }
  }
  // One operation at a time: the latency of consensus itself, without queueing behind other requests.
  const alone = await bestOf(() => inProcess(4, 10, 0, {}, 1));
  console.log(`n=4 one at a time: mean ${fmt(mean(alone.latencies))} ms`);
  const single = await bestOf(() => inProcess(1, 10, 0));
  console.log(`n=1 (no replication) B=10: ${fmt(rate(single), 0)} ops/s`);
  const disk = await bestOf(() => inProcess(4, 10, 0, { data_dir: `/tmp/hypermesh-pbft-bench-${process.pid}-${Math.random().toString(36).slice(2)}` }));
  console.log(`n=4 B=10 with data_dir (fsync): ${fmt(rate(disk), 0)} ops/s`);
  const ceiling = unreplicated(0);
  const trials: Awaited<ReturnType<typeof viewChange>>[] = [];
  for (let t = 0; t < 5; t++) trials.push(await viewChange(t));
  const med = (f: (x: (typeof trials)[number]) => number) => trials.map(f).sort((a, b) => a - b)[trials.length >> 1]!;
  const grpc: GrpcRow[] = await grpcBench(DURATION, WARMUP, ROUNDS).catch((err: unknown) => {
    console.error('gRPC benchmark failed:', err);
    return [];
  });

  const best = rows.reduce((a, b) => (rate(b.result) > rate(a.result) ? b : a));
  const bestGrpc = grpc.filter((g) => g.batch > 0).reduce<GrpcRow | undefined>((a, b) => (a === undefined || b.opsPerSecond > a.opsPerSecond ? b : a), undefined);
  const grpcAlone = grpc.find((g) => g.batch === 0);
  const n4b1 = rows.find((r) => r.n === 4 && r.batch === 1 && r.payload === 0)!;
  const table = rows
    .map((r) => `| ${r.n} | ${r.batch} | ${r.payload === 0 ? '0 B' : '1 KiB'} | ${fmt(rate(r.result), 0)} | ${fmt(mean(r.result.latencies))} | ${fmt(percentile(r.result.latencies, 50))} | ${fmt(percentile(r.result.latencies, 99))} |`)
    .join('\n');
  const grpcTable = grpc.length === 0
    ? '_not measured: the gRPC run failed (see the console output)._'
    : ['| n | B | payload | ops/s | mean ms | p50 ms | p99 ms |', '|---:|---:|---|---:|---:|---:|---:|', ...grpc.filter((g) => g.batch > 0).map((g) => `| 4 | ${g.batch} | ${g.payload === 0 ? '0 B' : '1 KiB'} | ${fmt(g.opsPerSecond, 0)} | ${fmt(g.mean)} | ${fmt(g.p50)} | ${fmt(g.p99)} |`)].join('\n');
  const markdown = `## @hypermesh/plugin-pbft — consensus throughput, latency, view change

Command: \`npm run bench -w @hypermesh/plugin-pbft\` · ${machineLine()} · best of ${ROUNDS} runs of ${DURATION / 1000} s per point after ${WARMUP} ms warm-up ·
load average (1 min) ${fmt(loadBefore)} at the start and ${fmt(loadavg()[0]!)} at the end, on 2 cores shared with other builds — read the ratios.

Closed-loop load of key-value \`set\` operations (payload = size of the value), 4×B submissions
outstanding (at least 8), spread over every node's client; latency is submit → f+1 matching replies.
Every message is Ed25519-signed and verified (node:crypto); each replica verifies each message
itself. In-process: all replicas in one Node process (so on one core's worth of event loop) on the
runtime's in-memory network with zero added delay; request timeout 1 s (a busy shared core is not a
faulty primary); no data_dir unless stated.

### In-process, n replicas

| n | B | payload | ops/s | mean ms | p50 ms | p99 ms |
|---:|---:|---|---:|---:|---:|---:|
${table}

Peers in the same run: the same load on **n=1** (same code, no replication): ${fmt(rate(single), 0)} ops/s
at B=10 — so n=4 at B=10 runs at ${fmt((rate(rows.find((r) => r.n === 4 && r.batch === 10 && r.payload === 0)!.result) / rate(single)) * 100, 0)} % of it;
the bare key-value state machine (JSON decode + apply, no consensus): ${fmt(ceiling, 0)} ops/s.
n=4, B=10 with \`data_dir\` (append-only log, fsync per prepared batch): ${fmt(rate(disk), 0)} ops/s
(${fmt((rate(disk) / rate(rows.find((r) => r.n === 4 && r.batch === 10 && r.payload === 0)!.result)) * 100, 0)} % of the same run in memory).

### n=4 over gRPC with mutual TLS, 4 replica processes + 1 client process (loopback, request timeout 1 s)

${grpcTable}

### View change after the primary stops (n=4 in-process, timeout 100 ms, median of ${trials.length})

| primary disconnected → new view installed on all 3 | first VIEW-CHANGE → NEW-VIEW installed (protocol) | primary disconnected → next operation committed |
|---:|---:|---:|
| ${fmt(med((t) => t.newViewMs))} ms | ${fmt(med((t) => t.protocolMs))} ms | ${fmt(med((t) => t.nextCommitMs))} ms |

### Against the seed architecture's claims

- **Consensus ≤ 8.5 ms average**: one operation at a time, n=4 averages ${fmt(mean(alone.latencies))} ms in process (p50 ${fmt(percentile(alone.latencies, 50))}, p99 ${fmt(percentile(alone.latencies, 99))})${grpcAlone !== undefined ? ` and ${fmt(grpcAlone.mean)} ms over gRPC (p50 ${fmt(grpcAlone.p50)}, p99 ${fmt(grpcAlone.p99)})` : ''}; under the closed-loop load above latency is mostly queueing (n=4, B=1: ${fmt(mean(n4b1.result.latencies))} ms).
- **100,000 ops/s**: best here ${fmt(Math.max(rate(best.result), bestGrpc?.opsPerSecond ?? 0), 0)} ops/s (${bestGrpc !== undefined && bestGrpc.opsPerSecond > rate(best.result) ? `over gRPC, B=${bestGrpc.batch}` : `in process, n=${best.n}, B=${best.batch}`}) — ${fmt(Math.max(rate(best.result), bestGrpc?.opsPerSecond ?? 0) / 1000, 1)} % of the claim.
  Every message is signed once and verified by each receiver (Ed25519 in node:crypto, tens of µs each
  on an idle core of this machine, several times more when it is loaded); in one process all replicas
  share the cores. The MAC authenticators of the TOCS paper (and its MAC-based view change) are not
  implemented — with signatures this dominant they would likely pay off.
- **View change ≤ 150 ms**: the protocol part (VIEW-CHANGE → NEW-VIEW) takes ${fmt(med((t) => t.protocolMs))} ms; detection adds the
  request timeout (100 ms), so a client waits ${fmt(med((t) => t.nextCommitMs))} ms in total.
- **BFT-SMaRt**: its DSN 2014 evaluation (Java, MACs, 4 replicas on separate 8-core machines, gigabit LAN,
  0/0…4096/4096 microbenchmarks) is only available here as a qualitative summary; no figures to compare.
`;
  const file = writeBenchSection('pbft', markdown);
  console.log(`wrote ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
