/** Test and benchmark support: the plugin's DNS server in a process of its own (see serve.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolverStats } from '@hypermesh/runtime';
import type { DnsCtConfigInput } from '../config.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (where tsx is installed). */
export const repositoryRoot = join(here, '..', '..', '..', '..');

/** A DNS server running in a child process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** V8 heap in use after a full GC. */
  heap(): Promise<number>;
  stats(): Promise<ResolverStats>;
  /** CPU time the process used so far (user + system), in seconds, from /proc. */
  cpuSeconds(): number;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  stop(): Promise<void>;
}

/** Reads utime + stime of a process from /proc/<pid>/stat, in seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5)), in clock ticks
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Starts serve.ts with `config` and waits until it listens. */
export function startServerProcess(config: DnsCtConfigInput): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--conditions=hypermesh-source', join(here, 'serve.ts'), JSON.stringify(config)], {
    cwd: repositoryRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const waiters: { prefix: string; resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`DNS server process exited with ${code}: ${stderr}`));
  });
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const i = waiters.findIndex((w) => line.startsWith(w.prefix));
      if (i >= 0) {
        const w = waiters.splice(i, 1)[0]!;
        w.resolve(line.slice(w.prefix.length));
      }
    }
  });
  const next = (prefix: string, command?: string) =>
    new Promise<string>((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`DNS server process exited with ${child.exitCode}: ${stderr}`));
      waiters.push({ prefix, resolve, reject });
      if (command !== undefined) child.stdin!.write(`${command}\n`);
    });
  return next('listening ').then((line) => {
    const port = Number(line.split(' ')[0]);
    return {
      child,
      pid: child.pid!,
      port,
      heap: async () => Number(await next('heap ', 'heap')),
      stats: async () => JSON.parse(await next('stats ', 'stats')) as ResolverStats,
      cpuSeconds: () => processCpuSeconds(child.pid!),
      rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
      stop: async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      },
    };
  });
}
