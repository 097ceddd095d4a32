// Requests per second through the gateway's pipeline (route → authenticate → authorise →
// validate → run → audit → metrics) against a bare node:http server answering the same JSON, in
// the same run and with the same client, so the ratio shows what the pipeline costs.
//   npm run bench -w @hypermesh/plugin-gateway
import { Agent, createServer, request, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signJwt } from '../src/auth/jwt.js';
import { startTestGateway, TEST_JWT_SECRET, TEST_KEYS } from '../src/testing/gateway-node.js';
import { machineLine, writeBenchSection } from '../../../scripts/bench-report.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = 5;
const CONCURRENCY = 16;

interface Case {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: () => string;
  readonly expect: number;
}

function once(c: Case, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = c.body?.();
    const req = request(c.url, { method: c.method, headers: body === undefined ? c.headers : { ...c.headers, 'content-length': Buffer.byteLength(body) }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function measure(c: Case, seconds = SECONDS): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const status = await once(c, agent);
      if (status !== c.expect) throw new Error(`${c.name}: HTTP ${status}, expected ${c.expect}`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return done / seconds;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hm-gw-bench-'));
  const config = { rateLimit: { enabled: false }, audit: { file: join(dir, 'audit.jsonl') }, grpc: { enabled: false } };
  const gateway = await startTestGateway({ config });
  // Deploys go to a gateway of their own, so the workloads they add do not grow the status answers.
  const writes = await startTestGateway({ config: { ...config, audit: { file: join(dir, 'audit-writes.jsonl') } } });
  const statusBody = JSON.stringify(await (await fetch(`${gateway.url}/v1/status`, { headers: { authorization: `Bearer ${TEST_KEYS.viewer}` } })).json());
  const bare: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(statusBody) });
    res.end(statusBody);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const barePort = (bare.address() as { port: number }).port;
  const jwt = signJwt({ sub: 'bench', role: 'operator', exp: Math.floor(Date.now() / 1000) + 3600 }, TEST_JWT_SECRET);
  let n = 0;
  const cases: Case[] = [
    { name: 'bare node:http, same status JSON (peer)', method: 'GET', url: `http://127.0.0.1:${barePort}/`, headers: {}, expect: 200 },
    { name: 'GET /healthz (public: routing, metrics)', method: 'GET', url: `${gateway.url}/healthz`, headers: {}, expect: 200 },
    { name: 'GET /v1/status, API key', method: 'GET', url: `${gateway.url}/v1/status`, headers: { authorization: `Bearer ${TEST_KEYS.viewer}` }, expect: 200 },
    { name: 'GET /v1/status, HS256 JWT', method: 'GET', url: `${gateway.url}/v1/status`, headers: { authorization: `Bearer ${jwt}` }, expect: 200 },
    { name: 'GET /v1/status, no credentials (401)', method: 'GET', url: `${gateway.url}/v1/status`, headers: {}, expect: 401 },
    {
      name: 'POST /v1/workloads, validated + audited to a file',
      method: 'POST',
      url: `${writes.url}/v1/workloads`,
      headers: { authorization: `Bearer ${TEST_KEYS.operator}`, 'content-type': 'application/json' },
      body: () => JSON.stringify({ name: `w${n++}`, command: ['/bin/true'], resources: { cpuMillis: '100m', memoryBytes: '16Mi', pids: 4 } }),
      expect: 201,
    },
  ];
  // Warm every path up, then measure round-robin so a burst of load on the shared machine hits
  // every case alike; report each case's median round.
  for (const c of cases) await measure(c, 1);
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) samples[i]!.push(await measure(c));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const medians = samples.map(median);
  const rows = cases.map((c, i) => {
    console.log(`${c.name}: ${Math.round(medians[i]!)} req/s (rounds: ${samples[i]!.map(Math.round).join(', ')})`);
    return `| ${c.name} | ${Math.round(medians[i]!).toLocaleString('en-US')} | ${(medians[i]! / medians[0]!).toFixed(2)} |`;
  });
  await gateway.stop();
  await writes.stop();
  await new Promise<void>((resolve) => bare.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
  writeBenchSection(
    'plugin-gateway',
    `## @hypermesh/plugin-gateway — API requests through the gateway pipeline

\`npm run bench -w @hypermesh/plugin-gateway\` — ${machineLine()}. One client process (node:http,
${CONCURRENCY} keep-alive connections; every case warmed up, then ${ROUNDS} rounds of ${SECONDS} s taken in turn, median shown) against the gateway with the contract test
doubles behind it, rate limiting off, the audit log appending to a file; the peer is a bare
\`node:http\` server answering the same status JSON, measured in the same run.

| request | requests/s | vs bare node:http |
|---|---:|---:|
${rows.join('\n')}

Client and server share the machine's cores, so absolute figures understate a dedicated server; the
ratio is the pipeline's cost (authentication, zod validation, the status handler, metrics, audit).`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
