import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClockService } from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import { processStartTime } from './ownership.js';
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
 *
 * Each running container has a pid file, `<workDir>/<id>.pid` (`{ pid, startTime }`, the start
 * time from `/proc/<pid>/stat`), removed with the container. A node killed with SIGKILL leaves its
 * children running and their pid files behind; `cleanup` (the restarted agent's sweep) kills each
 * recorded process group whose leader is still the same process (same pid AND start time), so a
 * pid the kernel gave to an unrelated process is never signalled.
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
      const pidFile = join(options.workDir, `${spec.id}.pid`);
      // listen before any await: a short-lived child may exit (and close) meanwhile
      const container = processContainer(child, spec, cwd, pidFile, options.clock);
      const startTime = await processStartTime(child.pid!);
      if (startTime !== undefined) await writePidFile(pidFile, { pid: child.pid!, startTime });
      return container;
    },
    async cleanup(prefix, onRemoved) {
      if (!existsSync(options.workDir)) return;
      const entries = await readdir(options.workDir);
      for (const entry of entries) {
        if (!entry.startsWith(prefix) || !entry.endsWith('.pid')) continue;
        const file = join(options.workDir, entry);
        if (await killRecorded(file)) onRemoved?.({ kind: 'process', id: entry.slice(0, -'.pid'.length) });
        await rm(file, { force: true });
      }
      for (const entry of entries) {
        if (!entry.startsWith(prefix) || entry.endsWith('.pid')) continue;
        await rm(join(options.workDir, entry), { recursive: true, force: true });
        if (!entry.endsWith('.pid.tmp')) onRemoved?.({ kind: 'workdir', id: entry });
      }
    },
  };
}

/** What a pid file records: the process group leader and its start time. */
interface PidRecord {
  readonly pid: number;
  readonly startTime: string;
}

async function writePidFile(file: string, record: PidRecord): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(record));
  await rename(`${file}.tmp`, file); // a crash mid-write leaves no half-written record
}

/**
 * Kills (SIGKILL) the process group a pid file records when its leader is still the process that
 * was started (same start time); true when it did. A malformed file or a reused pid kills nothing.
 */
async function killRecorded(file: string): Promise<boolean> {
  let record: Partial<PidRecord>;
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as Partial<PidRecord>;
  } catch {
    return false;
  }
  if (!Number.isInteger(record.pid) || record.pid! <= 1 || typeof record.startTime !== 'string') return false;
  if ((await processStartTime(record.pid!)) !== record.startTime) return false;
  try {
    process.kill(-record.pid!, 'SIGKILL');
    return true;
  } catch {
    return false; // gone meanwhile, or not a group leader any more
  }
}

function processContainer(child: ChildProcess, spec: ContainerSpec, cwd: string, pidFile: string, clock: ClockService): Container {
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
      await rm(pidFile, { force: true });
    },
  };
}
