// Runs the `hypermesh` entry as a child process, through tsx on the TypeScript sources (the
// hypermesh-source condition), the way a user runs the built binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const BIN = fileURLToPath(new URL('../bin.ts', import.meta.url));
const TSX = pathToFileURL(require.resolve('tsx')).href;

/** The node arguments that run the CLI from source. */
export const HYPERMESH_ARGS = ['--conditions=hypermesh-source', '--import', TSX, BIN];

/** What a finished run printed and how it exited. */
export interface HypermeshRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment without the caller's HYPERMESH_* settings, so tests see only what they pass. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HYPERMESH_') && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

/** Starts `hypermesh ARGS` in `cwd`. */
export function spawnHypermesh(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, [...HYPERMESH_ARGS, ...args], { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `hypermesh ARGS` to completion (killed after `timeoutMs`). */
export function runHypermesh(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<HypermeshRun> {
  const child = spawnHypermesh(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves with the first JSON line on the child's stdout whose `event` is `name`. */
export function waitForEvent<T>(child: ChildProcess, name: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => reject(new Error(`no '${name}' event within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hypermesh exited (${code}) before '${name}'; stderr:\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string };
        if (event.event === name) {
          clearTimeout(timer);
          resolve(event as T);
        }
      } catch {
        // not an event line
      }
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
