// Runs the CLI in this process with captured output, for the many small cases; the suites in
// bin.test.ts run the real binary as a child process.
import { Writable } from 'node:stream';
import { runCli } from '../cli/run-cli.js';

/** Output and exit code of an in-process run. */
export interface CapturedRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stream.text += chunk.toString();
      callback();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

/** `hypermesh ARGS` in this process. */
export async function captureCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CapturedRun> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(args, { stdout, stderr, env: options.env ?? {}, cwd: options.cwd ?? process.cwd() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
