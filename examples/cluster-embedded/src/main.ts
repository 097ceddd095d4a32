// The reference cluster embedded in one process — what `npm start` runs. Starts the 4 nodes of
// cluster.yaml on the in-memory network with `startCluster` from @hypermesh/cli, picks the
// container runtime (runc when root and runc are present, else plain processes) and says why,
// deploys the echo service and the worker, prints what runs and how to query it, and runs until
// Ctrl-C / SIGTERM, then stops every node (their containers removed, their ports freed).
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clusterFiles, loadCluster, startCluster } from '@hypermesh/cli';
import { createDefaultLogger, schedulerRef, type LogLevel } from '@hypermesh/runtime';
import { askEcho, chooseRuntime, describeWorkloads, exampleWorkloads, freePort, prepareClusterDir, prepareEchoRootfs, waitFor } from './setup.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXAMPLE_DIR = resolve(HERE, '..');

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: process.env.CLUSTER_API ?? '127.0.0.1:8080' },
    grpc: { type: 'string', default: process.env.CLUSTER_GRPC ?? '127.0.0.1:9090' },
    dns: { type: 'string', default: process.env.CLUSTER_DNS ?? '127.0.0.1:5353' },
    'echo-port': { type: 'string', default: process.env.CLUSTER_ECHO_PORT ?? '8088' },
    runtime: { type: 'string', default: process.env.CLUSTER_RUNTIME ?? 'auto' },
    'state-dir': { type: 'string', default: process.env.CLUSTER_STATE_DIR ?? join(EXAMPLE_DIR, '.state') },
    json: { type: 'boolean', default: process.env.CLUSTER_JSON === '1' },
  },
});

/** Human lines go to stdout, unless --json: then one JSON event a line (for tests and scripts). */
const say = (line = '') => {
  if (!values.json) console.log(line);
};
const event = (e: Record<string, unknown>) => {
  if (values.json) console.log(JSON.stringify(e));
};

async function main(): Promise<void> {
  const stateDir = resolve(values['state-dir']);
  await mkdir(stateDir, { recursive: true });
  const choice = await chooseRuntime(values.runtime, stateDir);
  say(`runtime: ${choice.runtime} — ${choice.reason}`);
  const config = await prepareClusterDir({ template: join(EXAMPLE_DIR, 'cluster.yaml'), stateDir, transport: 'memory', runtime: choice.runtime });
  const cluster = await loadCluster(config, process.env);
  const echoPort = Number(values['echo-port']) || (await freePort());
  const rootfs = choice.runtime === 'runc' ? await prepareEchoRootfs(stateDir) : undefined;

  say(`starting cluster '${cluster.metadata.name}': 4 nodes in this process on the in-memory network…`);
  const running = await startCluster(cluster, {
    files: clusterFiles(stateDir),
    api: { listen: values.api, grpcListen: values.grpc === 'off' ? false : values.grpc },
    dnsListen: values.dns,
    // Node logs (JSON lines on stderr): warnings and errors unless HYPERMESH_LOG_LEVEL says otherwise.
    logger: createDefaultLogger((process.env.HYPERMESH_LOG_LEVEL as LogLevel | undefined) ?? 'warn'),
  });
  for (const m of running.missing) say(`! ${m.plugin} ${m.reason}: the nodes run without ${m.role}`);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${why}: stopping the nodes (their workloads are removed)…`);
    await running.stop();
    say('stopped; ports freed.');
    event({ event: 'stopped' });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    const scheduler = running.nodes[0]!.node.get(schedulerRef);
    const workloads = exampleWorkloads({ runtime: choice.runtime, echoPort, ...(rootfs === undefined ? {} : { rootfs }) });
    for (const spec of workloads) {
      const placed = await scheduler.deploy(spec);
      say(`deployed ${spec.name} → ${placed.node}`);
    }
    const ours = () => scheduler.list().filter((w) => workloads.some((s) => s.name === w.name));
    const status = await waitFor('the workloads running', 90_000, () => (ours().length === 2 && ours().every((w) => w.phase === 'running') ? ours() : undefined), () => describeWorkloads(ours()));
    const echo = status.find((w) => w.name === 'echo')!;
    await waitFor(`the echo service answering at ${echo.address}:${echoPort}`, 60_000, () => askEcho(echo.address!, echoPort, 'ready'), () => describeWorkloads(ours()));
    const domain = cluster.spec.dns_ct.domain;
    const dns = running.dns!;
    const [dnsHost, dnsPort] = [dns.slice(0, dns.lastIndexOf(':')), dns.slice(dns.lastIndexOf(':') + 1)];
    say('');
    say(`cluster '${running.name}' is running: ${running.nodes.map((n) => n.id).join(', ')} (PBFT, n=4 f=1)`);
    for (const w of status) say(`  ${w.name.padEnd(7)} ${w.phase} on ${w.node} (${w.runtime ?? choice.runtime})${w.name === 'echo' ? ` at ${w.address}:${echoPort}` : ''}`);
    say(`  DNS  ${dns}   API ${running.api}   gRPC API ${running.grpcApi ?? '-'}`);
    say('');
    say('try:');
    say(`  kdig @${dnsHost} -p ${dnsPort} echo.svc.${domain}`);
    say(`  kdig @${dnsHost} -p ${dnsPort} echo.svc.${domain} SRV`);
    say(`  curl http://${echo.address}:${echoPort}/cgi-bin/echo?hello`);
    say(`  hypermesh status --api ${running.api} --token-file ${join(stateDir, 'credentials', 'viewer.token')}`);
    say(`  hypermesh logs worker --api ${running.api} --token-file ${join(stateDir, 'credentials', 'viewer.token')}`);
    say('Ctrl-C stops the cluster.');
    event({
      event: 'ready',
      runtime: choice.runtime,
      reason: choice.reason,
      api: running.api,
      dns,
      domain,
      echoPort,
      stateDir,
      workloads: status.map((w) => ({ name: w.name, node: w.node, address: w.address, runtime: w.runtime })),
    });
  } catch (err) {
    console.error(`cluster-embedded: ${(err as Error).message}`);
    await running.stop().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(`cluster-embedded: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
