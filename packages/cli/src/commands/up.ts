import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ClusterConfig } from '@hypermesh/runtime';
import { createDefaultLogger, type LogLevel } from '@hypermesh/runtime';
import type { Command, CommandContext } from '../cli/command.js';
import { clusterFiles, type ClusterFiles } from '../cluster/cluster-files.js';
import { loadCluster } from '../cluster/load-cluster.js';
import { clusterNodeIds } from '../cluster/node-ids.js';
import { defaultPluginSource, loadPlugin } from '../cluster/plugin-catalog.js';
import type { RunningCluster } from '../cluster/start-cluster.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The addresses `--listen` / `--grpc-listen` ask for. */
function apiAddresses(ctx: CommandContext): { listen?: string; grpcListen?: string | false } {
  const grpc = ctx.values['grpc-listen'] as string | undefined;
  return {
    ...(ctx.values.listen === undefined ? {} : { listen: ctx.values.listen as string }),
    ...(grpc === undefined ? {} : { grpcListen: grpc === 'off' ? false : grpc }),
  };
}

async function requireGrpc(why: string): Promise<void> {
  const loaded = await loadPlugin('@hypermesh/plugin-grpc', 'transport', undefined, defaultPluginSource);
  if ('missing' in loaded) {
    throw new CliError(
      CliErrorCode.UpFailed,
      `${why} needs @hypermesh/plugin-grpc (node-to-node transport over gRPC + mutual TLS), which is ${loaded.missing.reason}; install it, or run the nodes embedded on the memory transport (spec.networking.transport: memory, without --processes)`,
      ExitCode.Failed,
    );
  }
}

function summary(cluster: ClusterConfig, running: RunningCluster, mode: string): string[] {
  const plugins = [...new Map(running.nodes.flatMap((n) => n.plugins).map((p) => [p.name, p])).values()];
  const lines = [
    `cluster ${cluster.metadata.name}: ${running.nodes.length} node${running.nodes.length === 1 ? '' : 's'} ${mode} (transport ${running.transport})`,
    `  nodes    ${running.nodes.map((n) => n.id).join(' ')}`,
    `  plugins  ${plugins.map((p) => `${p.name}@${p.version}`).join(', ') || '(none)'}`,
  ];
  if (running.api !== undefined) lines.push(`  API      ${running.api}${running.grpcApi === undefined ? '' : `  (gRPC ${running.grpcApi})`}`);
  if (running.dns !== undefined) lines.push(`  DNS      ${running.dns} (UDP and TCP)`);
  for (const m of running.missing) lines.push(`  missing  ${m.plugin} (${m.reason}) — no ${m.role}`);
  if (running.api !== undefined) lines.push('', `try: hypermesh status --api ${running.api}`);
  return lines;
}

/**
 * Node processes share nothing but the cluster directory: each needs the cluster's CA and its own
 * certificate (pki/) and every node's public key (keys/). Keys made up per process would not agree.
 */
async function requireClusterDirectory(files: ClusterFiles, ids: readonly string[], why: string): Promise<void> {
  const needed = [files.caCert, files.publicKeys, ...ids.flatMap((id) => [files.nodeCert(id), files.nodeKey(id), files.signingKey(id)])];
  for (const file of needed) {
    try {
      await access(file);
    } catch {
      throw new CliError(
        CliErrorCode.UpFailed,
        `${why} needs the cluster's keys and certificates beside its cluster.yaml, and ${file} is missing; create them with \`hypermesh init\` (or copy them from the machine that did)`,
        ExitCode.Failed,
      );
    }
  }
}

/** Runs nodes in this process until SIGINT/SIGTERM. */
async function runHere(ctx: CommandContext, cluster: ClusterConfig, file: string, nodes: readonly string[] | undefined): Promise<void> {
  const level = (ctx.values['log-level'] as string | undefined) ?? ctx.env.HYPERMESH_LOG_LEVEL ?? 'warn';
  if (!LOG_LEVELS.includes(level)) throw usageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const single = nodes !== undefined && nodes.length === 1;
  const transport = single ? 'grpc' : cluster.spec.networking.transport;
  if (transport === 'grpc') await requireGrpc(single ? 'running one node of a multi-process cluster' : "spec.networking.transport: grpc");
  if (single) await requireClusterDirectory(clusterFiles(dirname(file)), nodes, `running node '${nodes[0]}' in its own process`);
  // Loaded here, not at the top: the other commands never need the plugins behind the assembly.
  const { startCluster } = await import('../cluster/start-cluster.js');
  const running = await startCluster(cluster, {
    files: clusterFiles(dirname(file)),
    transport,
    ...(nodes === undefined ? {} : { nodes }),
    gateway: single ? 'all' : 'first',
    api: apiAddresses(ctx),
    dnsServers: single ? 'all' : 'first',
    ...(ctx.values['dns-listen'] === undefined ? {} : { dnsListen: ctx.values['dns-listen'] as string }),
    logger: createDefaultLogger(level as LogLevel),
    onProgress: (e) => {
      if (e.kind === 'assembling') ctx.out.progress(`assembling ${e.node}`);
      else if (e.kind === 'starting') ctx.out.progress(`starting ${e.nodes.join(', ')}`);
      else if (e.kind === 'started') ctx.out.done(`${e.node} started (${e.ms} ms)`);
      else ctx.out.warn(`${e.missing.plugin} is ${e.missing.reason}: the nodes run without ${e.missing.role}`);
    },
  });
  const mode = single ? 'in this process' : 'embedded in one process';
  if (ctx.out.json) {
    ctx.out.event({
      event: 'ready',
      cluster: cluster.metadata.name,
      mode: single ? 'node' : 'embedded',
      transport: running.transport,
      api: running.api ?? null,
      grpc: running.grpcApi ?? null,
      dns: running.dns ?? null,
      nodes: running.nodes.map((n) => ({ id: n.id, plugins: n.plugins, api: n.gatewayUrl() ?? null, grpc: n.gatewayGrpcAddress() ?? null, dns: n.dnsAddress() ?? null })),
      missing: running.missing,
    });
  } else {
    ctx.out.line(summary(cluster, running, mode).join('\n'));
    ctx.out.line('Ctrl-C stops the cluster.');
  }
  const signal = await ctx.waitForStop();
  ctx.out.progress(`${signal}: stopping ${running.nodes.map((n) => n.id).join(', ')}`);
  await running.stop();
  ctx.out.done('stopped; ports freed');
  if (ctx.out.json) ctx.out.event({ event: 'stopped', cluster: cluster.metadata.name });
}

/** `hypermesh up`. */
export const upCommand: Command = {
  name: 'up',
  usage: 'hypermesh up [--config FILE] [--processes | --node ID] [--listen HOST:PORT] [--grpc-listen HOST:PORT|off] [--dns-listen HOST:PORT] [--log-level LEVEL]',
  summary: 'Start the nodes a cluster.yaml describes (embedded in one process, or one process per node)',
  details: [
    'Default: every node in this process — on the in-memory network when spec.networking.transport is memory,',
    'over gRPC + mutual TLS on loopback when it is grpc. The first node serves the API (--listen, default the',
    "gateway's listen, 127.0.0.1:8080) and DNS (--dns-listen, default spec.dns_ct.listen, 127.0.0.1:5353).",
    '--processes starts one process per node over gRPC + mTLS; node i serves the API and DNS on the default',
    'ports + i. --node ID runs one node of such a cluster here (what --processes runs).',
    'Runs until Ctrl-C (SIGINT) or SIGTERM, then stops every node and frees the ports. With --json, prints one',
    'JSON line {"event":"ready",…} once serving and {"event":"stopped"} at the end.',
  ].join('\n'),
  options: {
    config: { type: 'string', short: 'c' },
    processes: { type: 'boolean' },
    node: { type: 'string' },
    listen: { type: 'string' },
    'grpc-listen': { type: 'string' },
    'dns-listen': { type: 'string' },
    'log-level': { type: 'string' },
    // Internal: set by --processes on its node processes, which then stop when stdin closes.
    supervised: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const file = resolve(ctx.cwd, (ctx.values.config as string | undefined) ?? 'cluster.yaml');
    if (ctx.values.processes === true && ctx.values.node !== undefined) throw usageError('--processes and --node exclude each other');
    ctx.out.progress(`reading ${file}`);
    const cluster = await loadCluster(file, ctx.env);
    if (ctx.values.processes === true) {
      await requireGrpc('--processes');
      await requireClusterDirectory(clusterFiles(dirname(file)), clusterNodeIds(cluster), '--processes');
      const { superviseNodeProcesses } = await import('../cluster/process-supervisor.js');
      await superviseNodeProcesses(ctx, cluster, file, clusterNodeIds(cluster), apiAddresses(ctx));
      return;
    }
    await runHere(ctx, cluster, file, ctx.values.node === undefined ? undefined : [ctx.values.node as string]);
  },
};
