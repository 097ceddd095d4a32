// The reference cluster with one process per node: runs `hypermesh up --processes` (4 node
// processes on loopback over gRPC + mutual TLS), deploys the echo service and the worker through
// the API, prints what runs and how to query it, and runs until Ctrl-C / SIGTERM, then stops every
// node process. With --json it prints one JSON event a line instead (ready, node-exited, stopped).
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GatewayClient, runCli } from '@hypermesh/cli';
import { askEcho, chooseRuntime, describeWorkloads, exampleWorkloads, freePort, prepareClusterDir, prepareEchoRootfs, waitFor } from '@hypermesh/example-cluster-embedded/setup';
import type { WorkloadSpec, WorkloadStatus } from '@hypermesh/runtime';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXAMPLE_DIR = resolve(HERE, '..');
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: process.env.CLUSTER_API ?? '127.0.0.1:8080' },
    grpc: { type: 'string', default: process.env.CLUSTER_GRPC ?? 'off' },
    dns: { type: 'string', default: process.env.CLUSTER_DNS ?? '127.0.0.1:5353' },
    'echo-port': { type: 'string', default: process.env.CLUSTER_ECHO_PORT ?? '8088' },
    'free-node-ports': { type: 'boolean', default: process.env.CLUSTER_FREE_NODE_PORTS === '1' },
    runtime: { type: 'string', default: process.env.CLUSTER_RUNTIME ?? 'auto' },
    'state-dir': { type: 'string', default: process.env.CLUSTER_STATE_DIR ?? join(EXAMPLE_DIR, '.state') },
    json: { type: 'boolean', default: process.env.CLUSTER_JSON === '1' },
  },
});

/** One node process, as `up --processes` reports it. */
interface NodeProcessInfo {
  readonly id: string;
  readonly pid: number;
  readonly api: string | null;
  readonly dns: string | null;
}

const say = (line = '') => {
  if (!values.json) console.log(line);
};
const event = (e: Record<string, unknown>) => {
  if (values.json) console.log(JSON.stringify(e));
};

/**
 * How the node processes are started: from the TypeScript sources through tsx when this script
 * runs from source (tests), else the built `hypermesh` binary of @hypermesh/cli.
 */
function launcher(): { execPath: string; execArgv: string[]; script: string } {
  const cliDir = dirname(require.resolve('@hypermesh/cli/package.json'));
  if (import.meta.url.endsWith('.ts')) {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    return { execPath: process.execPath, execArgv: ['--conditions=hypermesh-source', '--import', tsx], script: join(cliDir, 'src', 'bin.ts') };
  }
  return { execPath: process.execPath, execArgv: [], script: join(cliDir, 'dist', 'bin.js') };
}

async function main(): Promise<void> {
  const stateDir = resolve(values['state-dir']);
  await mkdir(stateDir, { recursive: true });
  const choice = await chooseRuntime(values.runtime, stateDir);
  say(`runtime: ${choice.runtime} — ${choice.reason}`);
  const config = await prepareClusterDir({
    template: join(EXAMPLE_DIR, 'cluster.yaml'),
    stateDir,
    transport: 'grpc',
    runtime: choice.runtime,
    freeNodePorts: values['free-node-ports'],
  });
  const echoPort = Number(values['echo-port']) || (await freePort());
  const rootfs = choice.runtime === 'runc' ? await prepareEchoRootfs(stateDir) : undefined;

  // `hypermesh up --processes`, run here; its JSON events are read from a pipe.
  const upOut = new PassThrough();
  let stopRequested: (why: string) => void = () => undefined;
  const stopSignal = new Promise<string>((done) => (stopRequested = done));
  const ready = new Promise<{ nodes: NodeProcessInfo[]; api: string; dns: string }>((done) => {
    createInterface({ input: upOut }).on('line', (line) => {
      let e: { event?: string; nodes?: NodeProcessInfo[]; api?: string; dns?: string; node?: string; signal?: string | null; code?: number | null };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        return;
      }
      if (e.event === 'ready') done({ nodes: e.nodes!.map((n) => ({ id: n.id, pid: n.pid, api: n.api, dns: n.dns })), api: e.api!, dns: e.dns! });
      if (e.event === 'node-exited') {
        say(`! node ${e.node} exited (${e.signal ?? `code ${e.code}`}); the others keep serving`);
        event({ event: 'node-exited', node: e.node, signal: e.signal, code: e.code });
      }
    });
  });
  say('starting 4 node processes over gRPC + mTLS (hypermesh up --processes)…');
  const up = runCli(['up', '--processes', '--config', config, '--json', '--listen', values.api, '--grpc-listen', values.grpc, '--dns-listen', values.dns], {
    stdout: upOut,
    launcher: launcher(),
    waitForStop: () => stopSignal,
  });
  process.on('SIGINT', () => stopRequested('SIGINT'));
  process.on('SIGTERM', () => stopRequested('SIGTERM'));
  const started = await Promise.race([ready, up.then((code) => ({ exited: code }))]);
  if ('exited' in started) throw new Error(`hypermesh up --processes exited (${started.exited}) before the cluster was ready`);

  try {
    const admin = (await readFile(join(stateDir, 'credentials', 'admin.token'), 'utf8')).trim();
    const client = new GatewayClient({ api: started.api, token: admin, timeoutMs: 60_000 });
    const workloads: WorkloadSpec[] = exampleWorkloads({ runtime: choice.runtime, echoPort, ...(rootfs === undefined ? {} : { rootfs }) });
    for (const spec of workloads) {
      const { placement } = await client.request<{ placement: { node: string } }>('POST', '/v1/workloads', spec);
      say(`deployed ${spec.name} → ${placement.node}`);
    }
    let ours: WorkloadStatus[] = [];
    const status = await waitFor('the workloads running', 90_000, async () => {
      ours = (await client.get<{ workloads: WorkloadStatus[] }>('/v1/workloads')).workloads.filter((w) => workloads.some((s) => s.name === w.name));
      return ours.length === 2 && ours.every((w) => w.phase === 'running') ? ours : undefined;
    }, () => describeWorkloads(ours));
    const running = status.find((w) => w.name === 'echo')!;
    await waitFor(`the echo service answering at ${running.address}:${echoPort}`, 60_000, () => askEcho(running.address!, echoPort, 'ready'));
    const viewer = join(stateDir, 'credentials', 'viewer.token');
    const dnsPort = started.dns.slice(started.dns.lastIndexOf(':') + 1);
    const echo = status.find((w) => w.name === 'echo')!;
    say('');
    say(`cluster 'multiprocess' is running: 4 node processes over gRPC + mTLS (PBFT, n=4 f=1)`);
    for (const n of started.nodes) say(`  ${n.id}  pid ${n.pid}  API ${n.api ?? '-'}  DNS ${n.dns ?? '-'}`);
    for (const w of status) say(`  ${w.name.padEnd(7)} ${w.phase} on ${w.node} (${w.runtime ?? choice.runtime})${w.name === 'echo' ? ` at ${w.address}:${echoPort}` : ''}`);
    say('');
    say('try:');
    say(`  kdig @127.0.0.1 -p ${dnsPort} echo.svc.hypermesh.local`);
    say(`  curl http://${echo.address}:${echoPort}/cgi-bin/echo?hello`);
    say(`  hypermesh status --api ${started.api} --token-file ${viewer}`);
    say(`  kill -9 <pid of ${echo.node}>   # its workloads move to another node within seconds`);
    say('Ctrl-C stops the cluster.');
    event({ event: 'ready', runtime: choice.runtime, reason: choice.reason, api: started.api, dns: started.dns, domain: 'hypermesh.local', echoPort, stateDir, config, nodes: started.nodes, workloads: status });
  } catch (err) {
    console.error(`cluster-multiprocess: ${(err as Error).message}`);
    stopRequested('error');
    await up;
    process.exit(1);
  }
  const code = await up;
  say(code === 0 ? 'stopped; ports freed.' : `hypermesh up exited ${code}`);
  event({ event: 'stopped', code });
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(`cluster-multiprocess: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
