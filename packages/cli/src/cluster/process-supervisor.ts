import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ClusterConfig } from '@hypermesh/runtime';
import type { CommandContext } from '../cli/command.js';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

interface NodeProcess {
  readonly id: string;
  readonly child: ChildProcess;
  ready?: { api: string | null; grpc: string | null; dns: string | null; plugins: unknown };
  readonly stderrTail: string[];
  exited?: { code: number | null; signal: NodeJS.Signals | null };
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** Arguments of one node process: `up --node ID` with the parent's config, log level and addresses. */
function nodeArgs(ctx: CommandContext, file: string, id: string, first: boolean, api: { listen?: string; grpcListen?: string | false }): string[] {
  const args = [...ctx.launcher.execArgv, ctx.launcher.script, 'up', '--config', file, '--node', id, '--json', '--supervised'];
  const level = ctx.values['log-level'];
  if (typeof level === 'string') args.push('--log-level', level);
  // A fixed address goes to the first node only (the others offset theirs); port 0 to every node.
  const pass = (address: string) => first || address.endsWith(':0');
  if (api.listen !== undefined && pass(api.listen)) args.push('--listen', api.listen);
  const dns = ctx.values['dns-listen'];
  if (typeof dns === 'string' && pass(dns)) args.push('--dns-listen', dns);
  if (api.grpcListen === false) args.push('--grpc-listen', 'off');
  else if (api.grpcListen !== undefined && pass(api.grpcListen)) args.push('--grpc-listen', api.grpcListen);
  return args;
}

function exited(p: NodeProcess): Promise<void> {
  if (p.exited !== undefined) return Promise.resolve();
  return new Promise((resolve) => p.child.once('exit', () => resolve()));
}

/**
 * `up --processes`: one `hypermesh up --node ID` process per node, over gRPC + mTLS. Waits until
 * every node reports ready, prints where the API is, relays node output prefixed with the node
 * id, and on SIGINT/SIGTERM stops every node process (SIGTERM, then SIGKILL after 15 s). A node
 * that dies while the cluster runs is reported; the rest keep running (that is what BFT is for).
 */
export async function superviseNodeProcesses(
  ctx: CommandContext,
  cluster: ClusterConfig,
  file: string,
  ids: readonly string[],
  api: { listen?: string; grpcListen?: string | false },
): Promise<void> {
  const processes: NodeProcess[] = ids.map((id, i) => {
    const child = spawn(ctx.launcher.execPath, nodeArgs(ctx, file, id, i === 0, api), {
      cwd: ctx.cwd,
      env: ctx.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const p: NodeProcess = { id, child, stderrTail: [] };
    child.once('exit', (code, signal) => {
      p.exited = { code, signal };
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      p.stderrTail.push(line);
      if (p.stderrTail.length > 20) p.stderrTail.shift();
      ctx.out.streams.stderr.write(`[${id}] ${line}\n`);
    });
    return p;
  });
  const stopAll = async () => {
    for (const p of processes) if (p.exited === undefined) p.child.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const p of processes) if (p.exited === undefined) p.child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await Promise.all(processes.map(exited));
    clearTimeout(killer);
  };

  ctx.out.progress(`starting ${ids.length} node processes: ${ids.join(', ')}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not every node was ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      const check = () => {
        if (processes.every((p) => p.ready !== undefined)) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const p of processes) {
        createInterface({ input: p.child.stdout! }).on('line', (line) => {
          let event: { event?: string; api?: string | null; grpc?: string | null; dns?: string | null; nodes?: { plugins: unknown }[] };
          try {
            event = JSON.parse(line) as typeof event;
          } catch {
            return;
          }
          if (event.event === 'ready') {
            p.ready = { api: event.api ?? null, grpc: event.grpc ?? null, dns: event.dns ?? null, plugins: event.nodes?.[0]?.plugins };
            ctx.out.done(`${p.id} ready${event.api ? ` (API ${event.api})` : ''}`);
            check();
          }
        });
        p.child.once('exit', (code, signal) => {
          if (p.ready !== undefined) {
            ctx.out.warn(`node ${p.id} exited (${signal ?? `code ${code}`})`);
            if (ctx.out.json) ctx.out.event({ event: 'node-exited', node: p.id, code, signal });
            return;
          }
          clearTimeout(timer);
          reject(new Error(`node ${p.id} exited before it was ready (${signal ?? `code ${code}`}):\n${p.stderrTail.map((l) => `    ${l}`).join('\n')}`));
        });
      }
    });
  } catch (err) {
    await stopAll();
    throw new CliError(CliErrorCode.UpFailed, `cluster '${cluster.metadata.name}' did not start: ${(err as Error).message}`, ExitCode.Failed, { cause: err });
  }

  const first = processes[0]!.ready!;
  if (ctx.out.json) {
    ctx.out.event({
      event: 'ready',
      cluster: cluster.metadata.name,
      mode: 'processes',
      transport: 'grpc',
      api: first.api,
      grpc: first.grpc,
      dns: first.dns,
      nodes: processes.map((p) => ({ id: p.id, pid: p.child.pid, plugins: p.ready!.plugins, api: p.ready!.api, grpc: p.ready!.grpc, dns: p.ready!.dns })),
    });
  } else {
    ctx.out.line(`cluster ${cluster.metadata.name}: ${ids.length} node processes over gRPC + mTLS`);
    for (const p of processes) ctx.out.line(`  ${p.id}  pid ${p.child.pid}  API ${p.ready!.api ?? '-'}  DNS ${p.ready!.dns ?? '-'}`);
    ctx.out.line('', );
    ctx.out.line(`try: hypermesh status --api ${first.api}`);
    ctx.out.line('Ctrl-C stops the cluster.');
  }
  const signal = await Promise.race([ctx.waitForStop(), Promise.all(processes.map(exited)).then(() => 'every node exited')]);
  ctx.out.progress(`${signal}: stopping the node processes`);
  await stopAll();
  ctx.out.done('stopped; ports freed');
  if (ctx.out.json) ctx.out.event({ event: 'stopped', cluster: cluster.metadata.name });
}
