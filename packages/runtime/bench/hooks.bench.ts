// Cost of hook calls and service lookups — hooks sit on the per-packet path (dns.query).
// Run: npm run bench -w @hypermesh/runtime   (writes docs/benchmarks.md, section "runtime")
import { pino } from 'pino';
import { machineLine, writeBenchSection } from '../../../scripts/bench-report.mjs';
import { createNode, createServiceRef, defineHook, definePlugin, type HookApi, type PluginContext } from '../src/index.js';

const ROUNDS = 7;

/** Median nanoseconds per operation over ROUNDS rounds of `n` operations. */
function measureSync(n: number, op: () => void): number {
  for (let i = 0; i < n; i++) op(); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) op();
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return samples.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

async function measureAsync(n: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < n; i++) await op();
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op();
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return samples.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

interface Packet {
  name: string;
  size: number;
}
let sink = 0;
const syncTap = (p: Packet): undefined => {
  sink += p.size;
  return undefined;
};
const asyncTap = async (p: Packet): Promise<undefined> => {
  sink += p.size;
  return undefined;
};

async function main() {
  const hooks = [0, 1, 5].map((taps) => ({
    taps,
    first: defineHook<[p: Packet], string | undefined>({ id: `bench.first-${taps}`, kind: 'first' }),
    series: defineHook<[p: Packet]>({ id: `bench.series-${taps}`, kind: 'series' }),
    asyncSeries: defineHook<[p: Packet]>({ id: `bench.async-series-${taps}`, kind: 'series' }),
  }));
  const ref = createServiceRef<{ n: number }>({ id: 'bench-service', version: '1.0.0' });
  let ctx: PluginContext<undefined> | undefined;
  const provider = definePlugin({
    name: 'bench-provider',
    version: '1.0.0',
    provides: [ref],
    setup: (c) => c.provide(ref, { n: 1 }),
  });
  const plugin = definePlugin({
    name: 'bench',
    version: '1.0.0',
    requires: { services: [ref] },
    setup(c) {
      ctx = c;
      for (const h of hooks) {
        for (let i = 0; i < h.taps; i++) {
          c.hooks.tap(h.first, syncTap);
          c.hooks.tap(h.series, syncTap);
          c.hooks.tap(h.asyncSeries, asyncTap);
        }
      }
    },
  });
  const node = createNode({ logger: pino({ level: 'silent' }), plugins: [provider, plugin] });
  await node.start();
  const api: HookApi = node.hooks;
  const packet: Packet = { name: 'www.example.com', size: 40 };

  const N = 500_000;
  const direct = [1, 5].map((k) => measureSync(N, () => {
    for (let i = 0; i < k; i++) syncTap(packet);
  }));
  const rows: string[] = [];
  const results: Record<string, number> = {};
  for (const h of hooks) {
    results[`callSync first ${h.taps}`] = measureSync(N, () => void api.callSync(h.first, packet));
    results[`callSync series ${h.taps}`] = measureSync(N, () => void api.callSync(h.series, packet));
    results[`call series ${h.taps} sync`] = await measureAsync(N / 5, () => api.call(h.series, packet));
    results[`call series ${h.taps} async`] = await measureAsync(N / 5, () => api.call(h.asyncSeries, packet));
  }
  const useNs = measureSync(N, () => void (sink += ctx!.use(ref).n));
  const getNs = measureSync(N, () => void (sink += node.get(ref).n));
  await node.stop();

  const f = (ns: number) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
  for (const taps of [0, 1, 5]) {
    rows.push(
      `| ${taps} | ${f(results[`callSync first ${taps}`]!)} | ${f(results[`callSync series ${taps}`]!)} | ${f(results[`call series ${taps} sync`]!)} | ${taps === 0 ? '—' : f(results[`call series ${taps} async`]!)} |`,
    );
  }
  const perTapSync = (results['callSync series 5']! - results['callSync series 0']!) / 5;
  const perTapFirst = (results['callSync first 5']! - results['callSync first 0']!) / 5;
  const md = `## @hypermesh/runtime — hook calls and service lookups

Command: \`npm run bench -w @hypermesh/runtime\` · ${machineLine()} · median of ${ROUNDS} rounds.

| taps | callSync (first) | callSync (series) | call (series, sync taps) | call (series, async taps) |
|---:|---:|---:|---:|---:|
${rows.join('\n')}

- **Per sync tap** (callSync, 5 taps minus 0 taps, ÷ 5): series ${f(perTapSync)}, first ${f(perTapFirst)} — goal < 1 µs.
- Peer in the same run: calling the same tap functions directly costs ${f(direct[0]!)} for 1 and ${f(direct[1]!)} for 5,
  so the hook machinery (metrics, span, error wrapping) adds ${f(results['callSync series 1']! - direct[0]!)} per call with one tap.
- A hook with no taps: ${f(results['callSync series 0']!)} (callSync), ${f(results['call series 0 sync']!)} (call, which allocates a Promise).
- \`ctx.use(ref)\`: ${f(useNs)} · \`node.get(ref)\`: ${f(getNs)}.
`;
  console.log(md);
  console.log(`wrote ${writeBenchSection('runtime', md)} (sink ${sink > 0})`);
}

void main();
