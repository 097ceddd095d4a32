// The DNS server against unbound, measured in one run with dnsperf: cache hits (throughput, CPU
// per query, latency), the miss path through a loopback upstream (knot), and the cache hit rate on
// a Zipf-distributed workload. Both servers forward to the same knot serving the same records.
// Run: npm run bench -w @hypermesh/plugin-dns-ct   (writes docs/benchmarks.md, section "dns")
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRandom } from '@hypermesh/runtime';
import { machineLine, writeBenchSection } from '../../../scripts/bench-report.mjs';
import { startKnot, startUnbound, tempDir, type Peer } from '../src/testing/peers.js';
import { processCpuSeconds, repositoryRoot, startServerProcess, type ServerProcess } from '../src/testing/server-process.js';
import { codecRows } from './codec.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.HM_BENCH_SECONDS ?? 10);
const HOT_NAMES = 1_000;
const MISS_QUERIES = 20_000;
const ZIPF_NAMES = 10_000;
const ZIPF_QUERIES = 200_000;
const ZIPF_S = 1.0;
/** Fixed query rates for the latency runs: light load, and a load near a shared core's share. */
const LATENCY_QPS = [2_000, 10_000];

interface PerfResult {
  readonly qps: number;
  readonly avgMs: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly lost: number;
  readonly completed: number;
  readonly cpuUsPerQuery: number;
}

/** Runs dnsperf against `port` and reads the server's CPU time (pid) around it. */
async function dnsperf(port: number, pid: number, file: string, args: readonly string[], verbose = false): Promise<PerfResult> {
  const cpu0 = processCpuSeconds(pid);
  const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-t', '2', ...(verbose ? ['-v'] : []), ...args], {
    maxBuffer: 512 * 2 ** 20,
  });
  const cpu = processCpuSeconds(pid) - cpu0;
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  const completed = num(/Queries completed:\s+(\d+)/);
  let p50Ms: number | undefined;
  let p99Ms: number | undefined;
  if (verbose) {
    const latencies = [...stdout.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
    p50Ms = at(0.5);
    p99Ms = at(0.99);
  }
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    p50Ms,
    p99Ms,
    lost: num(/Queries lost:\s+(\d+)/),
    completed,
    cpuUsPerQuery: (cpu / completed) * 1e6,
  };
}

/** Starts the naive node:dgram responder (the floor of what any Node DNS server can cost). */
function startNaive(): Promise<{ child: ChildProcess; port: number }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'naive-responder.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(/listening (\d+)/.exec(d.toString())![1]) }));
    child.once('exit', (code) => reject(new Error(`naive responder exited with ${code}`)));
  });
}

/** Zipf(s) sampler over ranks 0..n-1 (rank 0 most popular). */
function zipf(n: number, s: number, seed: string): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1) ** s;
  const r = createRandom(seed);
  return () => {
    const x = r.next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(2));
const k = (n: number) => `${(n / 1000).toFixed(1)} k`;

async function main(): Promise<void> {
  const dir = tempDir('dns-bench');
  let knot: Peer | undefined;
  let unbound: Peer | undefined;
  let ours: ServerProcess | undefined;
  let naive: { child: ChildProcess; port: number } | undefined;
  try {
    knot = await startKnot('bench.example', ['$ORIGIN bench.example.', '$TTL 3600', '@ SOA ns hostmaster 1 3600 600 86400 60', '@ NS ns', 'ns A 127.0.0.1', '* A 192.0.2.1', ''].join('\n'));
    unbound = await startUnbound({
      forwardTo: [`127.0.0.1@${knot.port}`],
      stubZone: 'bench.example',
      extra: ['msg-cache-size: 64m', 'rrset-cache-size: 128m', 'so-rcvbuf: 4m', 'so-sndbuf: 4m'],
    });
    ours = await startServerProcess({ forwarders: [`127.0.0.1:${knot.port}`], cache_size: 200_000 });
    naive = await startNaive();
    const unboundPid = unbound.process.pid!;
    const file = (name: string, lines: string[]) => {
      const p = join(dir.path, name);
      writeFileSync(p, `${lines.join('\n')}\n`);
      return p;
    };
    const hot = file('hot.txt', Array.from({ length: HOT_NAMES }, (_, i) => `h${i}.bench.example A`));
    const servers = [
      { name: 'hypermesh', port: ours.port, pid: ours.pid },
      { name: 'unbound', port: unbound.port, pid: unboundPid },
    ];
    const withNaive = [...servers, { name: 'naive', port: naive.port, pid: naive.child.pid! }];

    // 1. cache hits: warm both caches, then saturate, then a fixed rate for latency
    const hits: Record<string, PerfResult> = {};
    const latency: Record<string, PerfResult>[] = LATENCY_QPS.map(() => ({}));
    // warm-up: fill both caches and let the JIT compile the hit path (20 passes over the names)
    for (const s of withNaive) await dnsperf(s.port, s.pid, hot, ['-n', '20', '-q', '100']);
    // two rounds in turn; the better round of each server counts (the machine is shared)
    for (let round = 0; round < 2; round++) {
      for (const s of withNaive) {
        const r = await dnsperf(s.port, s.pid, hot, ['-l', String(SECONDS), '-q', '100']);
        if (hits[s.name] === undefined || r.qps > hits[s.name]!.qps) hits[s.name] = r;
      }
    }
    for (const [i, qps] of LATENCY_QPS.entries()) {
      for (const s of withNaive) latency[i]![s.name] = await dnsperf(s.port, s.pid, hot, ['-l', '5', '-Q', String(qps)], true);
    }

    // 2. misses: every name new to both servers, answered by knot through each server (after a
    //    warm-up on other new names, so the JIT has compiled the forwarding path)
    const misses: Record<string, PerfResult> = {};
    for (const s of servers) {
      const warm = file(`warm-${s.name}.txt`, Array.from({ length: 5_000 }, (_, i) => `w${i}-${s.name}.bench.example A`));
      await dnsperf(s.port, s.pid, warm, ['-n', '1', '-q', '100']);
      const names = file(`miss-${s.name}.txt`, Array.from({ length: MISS_QUERIES }, (_, i) => `m${i}-${s.name}.bench.example A`));
      misses[s.name] = await dnsperf(s.port, s.pid, names, ['-n', '1', '-q', '100']);
    }

    // 3. hit rate on a Zipf workload (fresh names, cold cache)
    const next = zipf(ZIPF_NAMES, ZIPF_S, 'dns-bench-zipf');
    const zipfFile = file('zipf.txt', Array.from({ length: ZIPF_QUERIES }, () => `z${next()}.bench.example A`));
    const before = await ours.stats();
    const zipfRun = await dnsperf(ours.port, ours.pid, zipfFile, ['-n', '1', '-q', '100']);
    const after = await ours.stats();
    const zHits = after.cacheHits - before.cacheHits;
    const zMisses = after.cacheMisses - before.cacheMisses;
    const distinct = new Set((await import('node:fs')).readFileSync(zipfFile, 'utf8').split('\n').filter(Boolean)).size;
    const hitRate = zHits / (zHits + zMisses);
    const bestPossible = 1 - distinct / ZIPF_QUERIES;

    const h = hits.hypermesh!;
    const u = hits.unbound!;
    const n = hits.naive!;
    const codec = codecRows();
    const md = `## @hypermesh/plugin-dns-ct — DNS server against unbound

Command: \`npm run bench -w @hypermesh/plugin-dns-ct\` · ${machineLine()} · dnsperf 2.10 over UDP on loopback,
both servers single-threaded and forwarding to the same knot (wildcard zone \`*.bench.example\`); CPU time from
\`/proc/<pid>/stat\` of each server. dnsperf itself takes about one of the two cores.

**Cache hits** — ${HOT_NAMES} names, caches warmed (20 passes), ${SECONDS} s at up to 100 queries outstanding, the
better of two rounds taken in turn:

| server | qps | avg latency | CPU per query | lost |
|---|---:|---:|---:|---:|
| hypermesh | ${k(h.qps)} | ${f2(h.avgMs)} ms | ${f1(h.cpuUsPerQuery)} µs | ${h.lost} |
| unbound 1.17 (1 thread) | ${k(u.qps)} | ${f2(u.avgMs)} ms | ${f1(u.cpuUsPerQuery)} µs | ${u.lost} |
| naive node:dgram responder | ${k(n.qps)} | ${f2(n.avgMs)} ms | ${f1(n.cpuUsPerQuery)} µs | ${n.lost} |
| **hypermesh / unbound** | **${f2(h.qps / u.qps)}×** | | **${f2(h.cpuUsPerQuery / u.cpuUsPerQuery)}×** | |
| **hypermesh / naive** | **${f2(h.qps / n.qps)}×** | | **${f2(h.cpuUsPerQuery / n.cpuUsPerQuery)}×** | |

The naive responder answers every query with a prebuilt answer (no parsing, cache or hooks): it is
the floor of what a server on \`node:dgram\` costs per query, one \`message\` event and one
\`send\` each.

**Latency at fixed rates** (cache hits, 5 s each, per-query latencies from \`dnsperf -v\`):

| server | ${LATENCY_QPS.map((q) => `avg / p50 / p99 @ ${k(q)} qps`).join(' | ')} |
|---|${LATENCY_QPS.map(() => '---:').join('|')}|
${['hypermesh', 'unbound', 'naive'].map((name) => `| ${name === 'naive' ? 'naive node:dgram responder' : name} | ${latency.map((l) => `${f2(l[name]!.avgMs)} / ${f2(l[name]!.p50Ms)} / ${f2(l[name]!.p99Ms)} ms`).join(' | ')} |`).join('\n')}

The machine's two cores are shared with other work while this runs (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} at the end), so tails mostly measure waiting for a core; the median is the steadier figure.

Targets (seed architecture): 0.3 ms average, 0.8 ms p99.

**Miss path** — ${k(MISS_QUERIES)} names never asked before, each forwarded to knot on loopback (after a warm-up of 5 k other new names):

| server | qps | avg latency | CPU per query |
|---|---:|---:|---:|
| hypermesh | ${k(misses.hypermesh!.qps)} | ${f2(misses.hypermesh!.avgMs)} ms | ${f1(misses.hypermesh!.cpuUsPerQuery)} µs |
| unbound | ${k(misses.unbound!.qps)} | ${f2(misses.unbound!.avgMs)} ms | ${f1(misses.unbound!.cpuUsPerQuery)} µs |

**Hit rate on a Zipf workload** — ${k(ZIPF_QUERIES)} queries over ${k(ZIPF_NAMES)} names, Zipf s = ${ZIPF_S}, cold cache:
**${(hitRate * 100).toFixed(1)} %** (${zHits} hits, ${zMisses} misses; ${distinct} distinct names were asked, so no cache can
exceed ${(bestPossible * 100).toFixed(1)} % here). Target: 95 %. Throughput of that run: ${k(zipfRun.qps)} qps.

**Codec, in process** — parsing a query and writing its answer (one A record), median of 7 rounds:

| codec | per query |
|---|---:|
${codec.map(([name, ns]) => `| ${name} | ${ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(2)} µs`} |`).join('\n')}
`;
    console.log(md);
    console.log(`written to ${writeBenchSection('dns', md)}`);
  } finally {
    await ours?.stop();
    naive?.child.kill('SIGTERM');
    await unbound?.stop();
    await knot?.stop();
    dir.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
