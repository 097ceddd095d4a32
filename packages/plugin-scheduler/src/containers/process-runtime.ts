import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClockService } from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import { describeExit, lineSplitter, type Container, type ContainerExit, type ContainerRuntime, type ContainerSpec } from './container-runtime.js';

/** Options of {@link createProcessRuntime}. */
export interface ProcessRuntimeOptions {
  /** Where each container gets its working directory (`<workDir>/<id>`). */
  readonly workDir: string;
  /** Timers (stop grace, exec timeouts). */
  readonly clock: ClockService;
  /** The `prlimit` binary (util-linux); limits are skipped, and said so, when it is missing. */
  readonly prlimit?: string;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The `process` runtime: each workload is a plain child process in its own process group, for
 * machines without root or runc. It applies what rlimits can: address space (`RLIMIT_AS`) from the
 * memory request, 1024 open files, no core dumps — through `prlimit`. It cannot limit cpu or pids
 * (cgroups are needed: `RLIMIT_NPROC` counts every process of the user, `RLIMIT_CPU` is total cpu
 * seconds), and gives no isolation: the program runs on the host, as this node's user.
 */
export function createProcessRuntime(options: ProcessRuntimeOptions): ContainerRuntime {
  const prlimit = options.prlimit ?? '/usr/bin/prlimit';
  const hasPrlimit = existsSync(prlimit);
  return {
    name: 'process',
    enforces: hasPrlimit
      ? 'memory as address space (RLIMIT_AS), 1024 open files; no cpu or pids limits and no isolation (plain processes)'
      : `no limits (${prlimit} is missing) and no isolation (plain processes)`,
    async start(spec) {
      const cwd = join(options.workDir, spec.id);
      await mkdir(cwd, { recursive: true });
      const limits = hasPrlimit ? [prlimit, `--as=${Math.max(spec.resources.memoryBytes, 16 * 2 ** 20)}`, '--nofile=1024', '--core=0', '--'] : [];
      const argv = [...limits, ...spec.command];
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd,
        env: { PATH: DEFAULT_PATH, ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so stop() reaches its children too
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (err) =>
          reject(new SchedulerError(SchedulerErrorCode.Runtime, `cannot start '${spec.command[0]}' for container '${spec.id}': ${err.message}`, { cause: err })),
        );
      });
      return processContainer(child, spec, cwd, options.clock);
    },
    async cleanup(prefix) {
      if (!existsSync(options.workDir)) return;
      for (const entry of await readdir(options.workDir)) {
        if (entry.startsWith(prefix)) await rm(join(options.workDir, entry), { recursive: true, force: true });
      }
    },
  };
}

function processContainer(child: ChildProcess, spec: ContainerSpec, cwd: string, clock: ClockService): Container {
  let stoppedByUs = false;
  let exit: ContainerExit | undefined;
  for (const stream of ['stdout', 'stderr'] as const) {
    const split = lineSplitter((line) => spec.onOutput(stream, line));
    child[stream]!.on('data', (d: Buffer) => split.write(d));
    child[stream]!.on('error', () => undefined); // a destroyed pipe; 'close' follows
    child[stream]!.on('end', () => split.end());
  }
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once('close', (code, signal) => {
      exit = { code, signal, oomKilled: false, reason: describeExit(code, signal, false, stoppedByUs) };
      resolve(exit);
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return {
    id: spec.id,
    runtime: 'process',
    pid: child.pid,
    exited,
    exec(command, timeoutMs) {
      return new Promise((resolve) => {
        const probe = spawn(command[0]!, command.slice(1), { cwd, env: { PATH: DEFAULT_PATH, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        const collect = (d: Buffer) => (output = (output + d.toString('utf8')).slice(-4096));
        probe.stdout.on('data', collect);
        probe.stderr.on('data', collect);
        const timer = clock.setTimeout(() => probe.kill('SIGKILL'), timeoutMs);
        probe.once('error', (err) => {
          clock.clearTimeout(timer);
          resolve({ code: null, output: err.message });
        });
        probe.once('close', (code) => {
          clock.clearTimeout(timer);
          resolve({ code, output });
        });
      });
    },
    async stop(graceMs) {
      if (exit !== undefined) return exit;
      stoppedByUs = true;
      signalGroup('SIGTERM');
      const timer = clock.setTimeout(() => signalGroup('SIGKILL'), graceMs);
      const result = await exited;
      clock.clearTimeout(timer);
      signalGroup('SIGKILL'); // children that ignored SIGTERM after their parent left
      return result;
    },
    async remove() {
      if (exit === undefined) signalGroup('SIGKILL');
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
