import { spawn } from 'node:child_process';
import type { ClockService } from '@hypermesh/runtime';

/** What a finished command produced. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a short command to completion (runc state/kill/delete, busybox --list), collecting output.
 * Never rejects for a non-zero exit; rejects only when the program cannot be spawned.
 */
export function runCommand(
  clock: ClockService,
  file: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    // a helper that exits before reading its input must not take the node down with EPIPE
    child.stdin?.on('error', () => undefined);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = options.timeoutMs === undefined ? undefined : clock.setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      if (timer) clock.clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clock.clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin?.end(options.input);
  });
}
