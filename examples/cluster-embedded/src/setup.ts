// What both reference clusters share: the cluster directory (keys, certificates, API keys made at
// first start into a git-ignored state dir), the choice of container runtime, and the two example
// workloads. examples/cluster-multiprocess imports it as `@hypermesh/example-cluster-embedded/setup`.
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '@hypermesh/cli';
import { ensureBusyboxRootfs, probeRunc } from '@hypermesh/plugin-scheduler';
import { systemClock, type WorkloadSpec, type WorkloadStatus } from '@hypermesh/runtime';
import { parseDocument } from 'yaml';

/** npm name of the gateway plugin, whose slice holds the API keys. */
const GATEWAY = '@hypermesh/plugin-gateway';
/** npm name of the scheduler plugin, whose slice gets the chosen runtime. */
const SCHEDULER = '@hypermesh/plugin-scheduler';

/** The container runtime the example runs its workloads with, and why. */
export interface RuntimeChoice {
  readonly runtime: 'runc' | 'process';
  readonly reason: string;
}

/**
 * Chooses the runtime: `wanted` `process` or `runc` is taken as asked (runc still has to work:
 * the probe's reason is given when it does not); `auto` takes runc when a probe container really
 * runs (root, runc, /bin/busybox from busybox-static, cgroups), else the process runtime.
 */
export async function chooseRuntime(wanted: string, stateDir: string): Promise<RuntimeChoice> {
  if (wanted === 'process') return { runtime: 'process', reason: 'the process runtime was asked for (CLUSTER_RUNTIME=process)' };
  if (wanted !== 'auto' && wanted !== 'runc') throw new Error(`runtime '${wanted}' is not one of auto, runc, process`);
  const probe = await probeRunc({
    preference: 'runc',
    stateDir: join(stateDir, 'scheduler'),
    runcRoot: join(stateDir, 'runc'),
    busybox: '/bin/busybox',
    clock: systemClock,
    idPrefix: 'hm-example-',
  });
  if (probe.ok) return { runtime: 'runc', reason: `runc works here: ${probe.reason}` };
  if (wanted === 'runc') throw new Error(`runc was asked for (CLUSTER_RUNTIME=runc) but cannot run here: ${probe.reason}`);
  return { runtime: 'process', reason: `runc cannot run here (${probe.reason}), so workloads run as plain processes` };
}

/** Options of {@link prepareClusterDir}. */
export interface ClusterDirOptions {
  /** The committed cluster.yaml (no secrets in it). */
  readonly template: string;
  /** The git-ignored directory for keys, certificates, API keys and the effective cluster.yaml. */
  readonly stateDir: string;
  /** `init --transport`: `memory` or `grpc` (certificates for mTLS). */
  readonly transport: 'memory' | 'grpc';
  /** The runtime every node's agent uses. */
  readonly runtime: 'runc' | 'process';
  /** Move every `spec.nodes[].address` to a free port on its host (tests, busy machines). */
  readonly freeNodePorts?: boolean;
}

/**
 * Makes the cluster directory at first start with `hypermesh init` (node keys, the cluster CA and
 * node certificates, API keys), then writes `stateDir/cluster.yaml`: the committed template with
 * the API keys' hashes and the chosen runtime filled in. Returns that file's path.
 */
export async function prepareClusterDir(options: ClusterDirOptions): Promise<string> {
  const config = join(options.stateDir, 'cluster.yaml');
  const made = await access(join(options.stateDir, 'credentials', 'admin.token')).then(() => true, () => false);
  if (!made) {
    let output = '';
    const sink = new PassThrough().on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await runCli(['init', options.stateDir, '--transport', options.transport, '--force', '--json'], { stdout: sink, stderr: sink });
    if (code !== 0) throw new Error(`hypermesh init ${options.stateDir} failed (exit ${code}):\n${output}`);
  }
  const written = parseDocument(await readFile(config, 'utf8'));
  const template = parseDocument(await readFile(options.template, 'utf8'));
  template.setIn(['spec', 'plugins', GATEWAY, 'auth', 'apiKeys'], written.getIn(['spec', 'plugins', GATEWAY, 'auth', 'apiKeys']));
  template.setIn(['spec', 'plugins', SCHEDULER, 'agent', 'runtime'], options.runtime);
  template.setIn(['spec', 'plugins', SCHEDULER, 'agent', 'stateDir'], join(options.stateDir, 'scheduler'));
  // This cluster's own runc state: its containers are listed (and cleaned up) apart from others'.
  template.setIn(['spec', 'plugins', SCHEDULER, 'agent', 'runcRoot'], join(options.stateDir, 'runc'));
  if (options.freeNodePorts === true) {
    const nodes = template.getIn(['spec', 'nodes']) as { items: unknown[] } | undefined;
    for (let i = 0; i < (nodes?.items.length ?? 0); i++) {
      const address = template.getIn(['spec', 'nodes', i, 'address']);
      if (typeof address !== 'string') continue;
      const host = address.slice(0, address.lastIndexOf(':'));
      template.setIn(['spec', 'nodes', i, 'address'], `${host}:${await freePort(host)}`);
    }
  }
  const header = `# Written at start from ${options.template} with this directory's API keys and the chosen runtime.\n`;
  await writeFile(config, header + template.toString());
  return config;
}

/** A free TCP port on `host` (bound, then released), for `0` in the options. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The echo service as a node program (process runtime): answers every request with what it got. */
const NODE_ECHO = `
const http = require('node:http');
const port = Number(process.env.ECHO_PORT);
http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    res.setHeader('content-type', 'text/plain');
    res.end('echo ' + req.method + ' ' + req.url + (body ? ' ' + body : '') + '\\n');
  });
}).listen(port, '0.0.0.0', () => console.log('echo listening on port ' + port));
`;

/** The echo CGI for busybox httpd (runc): answers with the method and the request URI. */
const CGI_ECHO = '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\necho %s %s\\n" "$REQUEST_METHOD" "$REQUEST_URI"\n';

/**
 * The rootfs of the runc workloads: built once from /bin/busybox (busybox-static) under
 * `stateDir/rootfs`, with busybox httpd's web root: `/www/index.html` and the `/cgi-bin/echo` CGI.
 */
export async function prepareEchoRootfs(stateDir: string): Promise<string> {
  const rootfs = await ensureBusyboxRootfs(join(stateDir, 'rootfs'), '/bin/busybox', systemClock);
  await mkdir(join(rootfs, 'www', 'cgi-bin'), { recursive: true });
  await writeFile(join(rootfs, 'www', 'index.html'), 'echo service: try /cgi-bin/echo?hello\n');
  await writeFile(join(rootfs, 'www', 'cgi-bin', 'echo'), CGI_ECHO);
  await chmod(join(rootfs, 'www', 'cgi-bin', 'echo'), 0o755);
  return rootfs;
}

/** Options of {@link exampleWorkloads}. */
export interface WorkloadOptions {
  readonly runtime: 'runc' | 'process';
  /** The echo service's port (on the address of the node that runs it). */
  readonly echoPort: number;
  /** runc: the busybox rootfs with the web root ({@link prepareEchoRootfs}). */
  readonly rootfs?: string;
}

/**
 * The two example workloads: `echo`, an HTTP echo service with a port (so it gets
 * `echo.svc.<domain>` A and SRV records) and an HTTP health check; and `worker`, a shell loop that
 * writes a line every 2 s. With runc both run in the busybox rootfs (httpd with an echo CGI, and
 * sh); with the process runtime, node and /bin/sh.
 */
export function exampleWorkloads(options: WorkloadOptions): WorkloadSpec[] {
  const port = options.echoPort;
  const common = { runtime: options.runtime, restartPolicy: 'always' as const };
  const echo: Omit<WorkloadSpec, 'resources'> =
    options.runtime === 'runc'
      ? { name: 'echo', ...common, ...(options.rootfs === undefined ? {} : { rootfs: options.rootfs }), command: ['/bin/busybox', 'httpd', '-f', '-v', '-p', String(port), '-h', '/www'] }
      : { name: 'echo', ...common, command: [process.execPath, '-e', NODE_ECHO], env: { ECHO_PORT: String(port) } };
  // As PID 1 of a container, sh ignores SIGTERM unless it traps it: the trap makes the stop prompt.
  const workerLoop = 'trap "echo worker: stopping; exit 0" TERM; i=0; while true; do i=$((i+1)); echo "worker: tick $i"; sleep 2; done';
  return [
    {
      ...echo,
      ports: [{ name: 'http', port, protocol: 'tcp' }],
      // The process runtime limits memory as address space (RLIMIT_AS): node reserves ~1 GiB of it.
      resources: { cpuMillis: 200, memoryBytes: (options.runtime === 'runc' ? 64 : 1536) * 2 ** 20, pids: 32 },
      healthCheck: { kind: 'http', port, path: '/', intervalMs: 2_000, failureThreshold: 3, initialDelayMs: 1_000 },
    },
    {
      name: 'worker',
      ...common,
      ...(options.runtime === 'runc' && options.rootfs !== undefined ? { rootfs: options.rootfs } : {}),
      command: ['/bin/sh', '-c', workerLoop],
      resources: { cpuMillis: 100, memoryBytes: 16 * 2 ** 20, pids: 16 },
    },
  ];
}

/**
 * Polls `probe` every 250 ms until it gives a value (not `undefined`), and resolves with it; after
 * `ms` rejects with `what` and the last thing `probe` said (its error or `last()`).
 */
export async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, last: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  let error = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      error = last();
    } catch (err) {
      error = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms / 1000} s${error ? `: ${error}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The echo service's answer at `address:port` for `/cgi-bin/echo?<query>`, or `undefined` when it does not answer 200. */
export async function askEcho(address: string, port: number, query: string): Promise<string | undefined> {
  const res = await fetch(`http://${address}:${port}/cgi-bin/echo?${query}`, { signal: AbortSignal.timeout(2_000) });
  const text = await res.text();
  return res.status === 200 ? text : undefined;
}

/** A one-line summary of workloads (name, phase, why), for messages. */
export const describeWorkloads = (ws: readonly WorkloadStatus[]): string => ws.map((w) => `${w.name} ${w.phase}${w.reason ? ` (${w.reason})` : ''}`).join(', ');
