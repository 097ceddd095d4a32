import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { ClockService } from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import { oomKills, removeCgroups } from './cgroups.js';
import { describeExit, lineSplitter, type Container, type ContainerExit, type ContainerRuntime, type ContainerSpec } from './container-runtime.js';
import { cgroupName, ociConfig } from './oci-bundle.js';
import { OWNER_ANNOTATION } from './ownership.js';
import { runCommand } from './run-command.js';

/** Options of {@link createRuncRuntime}. */
export interface RuncRuntimeOptions {
  /** The runc binary. Default `runc` on PATH. */
  readonly runc?: string;
  /** runc's state directory (`--root`), kept apart from other users of runc. */
  readonly root: string;
  /** Where bundles (config.json, runc.log) are written, one directory per container. */
  readonly bundleDir: string;
  /** The rootfs for workloads that name none (the busybox rootfs). */
  readonly defaultRootfs: string;
  /** Timers (stop grace, exec timeouts, state polling). */
  readonly clock: ClockService;
  /** How often a container whose output stays open is checked with `runc state`. Default 2000 ms. */
  readonly pollMs?: number;
}

const COMMAND_TIMEOUT_MS = 30_000;
/** How long a stopped container's pipes may take to close before its exit is reported without them. */
const PIPE_DRAIN_MS = 1000;

const signalName = (n: number): string | null => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? null;

/**
 * The `runc` runtime: an OCI bundle per container (see `ociConfig`), started with
 * `runc run --detach`, watched through its output pipes and `runc state`, stopped with
 * `runc kill --all` (TERM, then KILL) and removed with `runc delete --force`, its bundle and
 * cgroups. Needs root, runc and a cgroup memory controller.
 */
export function createRuncRuntime(options: RuncRuntimeOptions): ContainerRuntime {
  const runc = options.runc ?? 'runc';
  const clock = options.clock;
  const base = ['--root', options.root];
  const command = (args: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS) => runCommand(clock, runc, [...base, ...args], { timeoutMs });

  const runtime: ContainerRuntime = {
    name: 'runc',
    enforces: 'cgroup limits on memory, cpu and pids; pid/ipc/uts/mount namespaces; capabilities dropped; read-only rootfs',
    async start(spec) {
      const bundle = join(options.bundleDir, spec.id);
      const rootfs = spec.rootfs ?? options.defaultRootfs;
      const withReporter = await lstat(join(rootfs, 'bin/sh')).then(
        () => true,
        () => false,
      );
      await mkdir(bundle, { recursive: true });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(ociConfig(spec, rootfs, withReporter), null, 2));
      const log = join(bundle, 'runc.log');
      const args = [...base, '--log', log, '--log-format', 'json', 'run', '--detach', '--bundle', bundle, ...(withReporter ? ['--preserve-fds', '1'] : []), spec.id];
      const child = spawn(runc, args, { stdio: ['ignore', 'pipe', 'pipe', withReporter ? 'pipe' : 'ignore'] });
      // Listen at once: Node drains the pipes of an exited child that nobody reads, and runc exits
      // as soon as the container runs — while the container keeps writing to the same pipes.
      const container = watch(spec, child, bundle);
      const started = await new Promise<number | null>((resolve, reject) => {
        child.once('error', (err) => reject(new SchedulerError(SchedulerErrorCode.RuntimeUnavailable, `cannot run ${runc}: ${err.message}`, { cause: err })));
        child.once('exit', (code) => resolve(code));
      }).catch(async (err: unknown) => {
        await container.remove();
        throw err;
      });
      if (started !== 0) {
        const reason = await lastError(log);
        await container.remove();
        throw new SchedulerError(SchedulerErrorCode.Runtime, `runc could not start container '${spec.id}': ${reason}`);
      }
      const state = await command(['state', spec.id]);
      container.pid = state.code === 0 ? (JSON.parse(state.stdout) as { pid?: number }).pid || undefined : undefined;
      return container;
    },
    async cleanup(prefix, onRemoved) {
      const listed = await command(['list', '--format', 'json']).catch(() => undefined);
      type Listed = { id: string; annotations?: Record<string, string> | null };
      const containers = listed?.code === 0 ? ((JSON.parse(listed.stdout || 'null') as Listed[] | null) ?? []) : [];
      const foreign = new Set<string>();
      for (const { id, annotations } of containers) {
        // the id prefix says whose; a container annotated with another owner is never touched
        const owner = annotations?.[OWNER_ANNOTATION];
        if (!id.startsWith(prefix)) continue;
        if (owner !== undefined && owner !== prefix) {
          foreign.add(id);
          continue;
        }
        await command(['kill', '--all', id, 'KILL']).catch(() => undefined);
        const deleted = await command(['delete', '--force', id]).catch(() => undefined);
        if (deleted?.code === 0) onRemoved?.({ kind: 'container', id });
      }
      for (const entry of await readdir(options.bundleDir).catch(() => [] as string[])) {
        if (!entry.startsWith(prefix) || foreign.has(entry)) continue;
        await rm(join(options.bundleDir, entry), { recursive: true, force: true });
        onRemoved?.({ kind: 'bundle', id: entry });
      }
      await removeCgroups(cgroupName(prefix), (name) => onRemoved?.({ kind: 'cgroup', id: name }));
    },
  };

  function watch(spec: ContainerSpec, child: ReturnType<typeof spawn>, bundle: string): Container & { pid: number | undefined } {
    let stoppedByUs = false;
    let exitText = '';
    let open = 0;
    let exit: ContainerExit | undefined;
    let resolveExit!: (exit: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((resolve) => (resolveExit = resolve));

    const finish = async () => {
      if (exit !== undefined) return;
      const oom = (await oomKills(cgroupName(spec.id))) > 0;
      const parsed = /^(\d+)\s*$/.exec(exitText);
      const code = parsed === null ? null : Number(parsed[1]);
      const signal = code !== null && code > 128 ? signalName(code - 128) : null;
      if (exit !== undefined) return;
      clock.clearTimeout(poll);
      if (drainTimer !== undefined) clock.clearTimeout(drainTimer);
      exit = { code, signal, oomKilled: oom, reason: describeExit(code, signal, oom, stoppedByUs) };
      resolveExit(exit);
    };
    // The container is gone when runc says it stopped (or no longer knows it). Its pipes close a
    // moment later; the exit status arrives on one of them, so wait for them (briefly).
    let drainTimer: ReturnType<ClockService['setTimeout']> | undefined;
    const check = async () => {
      if (exit !== undefined) return;
      const state = await command(['state', spec.id]).catch(() => undefined);
      const status = state?.code === 0 ? (JSON.parse(state.stdout) as { status: string }).status : 'stopped';
      if (status !== 'stopped') return;
      if (open === 0) await finish();
      else drainTimer ??= clock.setTimeout(() => void finish(), PIPE_DRAIN_MS);
    };
    const poll = clock.setInterval(() => void check(), options.pollMs ?? 2000);

    for (const stream of ['stdout', 'stderr'] as const) {
      const split = lineSplitter((line) => spec.onOutput(stream, line));
      open++;
      child[stream]!.on('data', (d: Buffer) => split.write(d));
      child[stream]!.on('error', () => undefined); // a destroyed pipe; 'close' follows
      child[stream]!.once('close', () => {
        split.end();
        if (--open === 0) void (drainTimer === undefined ? check() : finish());
      });
    }
    const reporter = child.stdio[3];
    if (reporter) {
      open++;
      reporter.on('data', (d: Buffer) => (exitText += d.toString('utf8')));
      reporter.on('error', () => undefined);
      reporter.once('close', () => {
        if (--open === 0) void (drainTimer === undefined ? check() : finish());
      });
    }

    const kill = (signal: 'TERM' | 'KILL') => command(['kill', '--all', spec.id, signal]).catch(() => undefined);
    return {
      id: spec.id,
      runtime: 'runc',
      pid: undefined as number | undefined,
      exited,
      async exec(cmd, timeoutMs) {
        const result = await command(['exec', spec.id, ...cmd], timeoutMs).catch((err: Error) => ({ code: null, stdout: '', stderr: err.message }));
        return { code: result.code, output: (result.stdout + result.stderr).slice(-4096) };
      },
      async stop(graceMs) {
        if (exit !== undefined) return exit;
        stoppedByUs = true;
        await kill('TERM');
        const timer = clock.setTimeout(() => void kill('KILL'), graceMs);
        const result = await exited;
        clock.clearTimeout(timer);
        return result;
      },
      async remove() {
        clock.clearTimeout(poll);
        await command(['delete', '--force', spec.id]).catch(() => undefined);
        for (const s of [child.stdout, child.stderr, child.stdio[3]]) s?.destroy();
        await rm(bundle, { recursive: true, force: true });
        await removeCgroups(cgroupName(spec.id));
        if (exit === undefined) {
          exit = { code: null, signal: 'SIGKILL', oomKilled: false, reason: 'removed' };
          resolveExit(exit);
        }
      },
    };
  }

  return runtime;
}

/** The last error runc logged (JSON lines: `{"level":"error","msg":…}`), or a note that there is none. */
async function lastError(log: string): Promise<string> {
  const text = await readFile(log, 'utf8').catch(() => '');
  const messages = text
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l) as { level?: string; msg?: string };
      } catch {
        return undefined;
      }
    })
    .filter((e): e is { level: string; msg: string } => e?.level === 'error' && typeof e.msg === 'string');
  return messages.at(-1)?.msg ?? `runc failed without a logged error (see ${log})`;
}
