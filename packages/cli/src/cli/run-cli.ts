import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { durationSchema, isHypermeshError } from '@hypermesh/runtime';
import { DEFAULT_API, GatewayClient } from '../client/gateway-client.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { CLI_VERSION } from '../version.js';
import { findCommand, GLOBAL_OPTIONS, parseCommandLine } from './args.js';
import type { Command, CommandContext, Launcher } from './command.js';
import { COMMANDS } from './commands.js';
import { commandHelp, generalHelp } from './help.js';
import { Output, type OutputStreams } from './output.js';

/** Options of {@link runCli}: where it reads and writes (the process's by default). */
export interface RunCliOptions {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** How the CLI was started (for `up --processes`); default from `process`. */
  readonly launcher?: Launcher;
  /** Replaces waiting for SIGINT/SIGTERM in `up` (tests, embedding). */
  readonly waitForStop?: () => Promise<string>;
}

function readToken(values: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, cwd: string): string | undefined {
  if (typeof values.token === 'string') return values.token;
  if (env.HYPERMESH_TOKEN !== undefined && env.HYPERMESH_TOKEN !== '') return env.HYPERMESH_TOKEN;
  const file = (values['token-file'] as string | undefined) ?? env.HYPERMESH_TOKEN_FILE;
  const fallback = join(cwd, 'credentials', 'admin.token');
  const path = file !== undefined ? resolve(cwd, file) : existsSync(fallback) ? fallback : undefined;
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new CliError(CliErrorCode.InvalidInput, `cannot read the token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.InvalidInput, {
      cause: err,
    });
  }
}

function timeoutMs(value: unknown): number {
  if (value === undefined) return 30_000;
  const parsed = durationSchema.safeParse(/^\d+$/.test(String(value)) ? Number(value) : value);
  if (!parsed.success || parsed.data <= 0) throw usageError(`--timeout ${JSON.stringify(value)} is not a duration; write e.g. 10s or 500ms`);
  return parsed.data;
}

/**
 * Resolves on the first SIGINT or SIGTERM (or, supervised, when the supervisor's pipe closes). The
 * handlers stay installed: a second signal while the nodes stop (Ctrl-C twice, or Ctrl-C followed
 * by a supervisor's SIGTERM) is ignored rather than killing the process half-way through removing
 * its containers. A supervised node ignores SIGINT: Ctrl-C reaches the whole process group, and
 * its supervisor stops it with SIGTERM.
 */
function waitForSignals(supervised: boolean): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    const done = (why: string) => {
      if (stopping) return;
      stopping = true;
      resolve(why);
    };
    process.on('SIGINT', () => {
      if (!supervised) done('SIGINT');
    });
    process.on('SIGTERM', () => done('SIGTERM'));
    if (supervised) {
      process.stdin.once('end', () => done('supervisor gone'));
      process.stdin.resume();
    }
  });
}

function findCommandSpec(argv: readonly string[]): { command: Command; words: number; index: number } | { index: number; unknown?: string } {
  const index = findCommand(argv, (name) => (GLOBAL_OPTIONS as Record<string, { type: string }>)[name]?.type === 'string');
  if (index < 0) return { index };
  const first = argv[index]!;
  const second = argv[index + 1];
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two !== undefined) return { command: two, words: 2, index };
  const one = COMMANDS.find((c) => c.name === first);
  if (one !== undefined) return { command: one, words: 1, index };
  return { index, unknown: first === 'ct' ? `ct ${second ?? ''}`.trim() : first };
}

/**
 * Runs `hypermesh` with `argv` (without `node` and the script) and resolves with the exit code.
 * Errors are printed (as JSON on stderr with `--json`), never thrown.
 */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<ExitCode> {
  const streams: OutputStreams = { stdout: options.stdout ?? process.stdout, stderr: options.stderr ?? process.stderr };
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const json = argv.includes('--json');
  const out = new Output(streams, json);
  try {
    if (argv[0] === 'help') {
      const target = COMMANDS.find((c) => c.name === argv.slice(1).join(' '));
      if (argv.length > 1 && target === undefined) throw usageError(`no command '${argv.slice(1).join(' ')}'; run hypermesh --help for the list`);
      streams.stdout.write(target === undefined ? generalHelp(COMMANDS) : commandHelp(target));
      return ExitCode.Ok;
    }
    const found = findCommandSpec(argv);
    if (!('command' in found)) {
      if ('unknown' in found && found.unknown !== undefined) {
        throw usageError(`no command '${found.unknown}'; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (hypermesh --help)`);
      }
      const { values } = parseCommandLine(argv, {}, false);
      if (values.version === true) {
        streams.stdout.write(`${CLI_VERSION}\n`);
        return ExitCode.Ok;
      }
      streams.stdout.write(generalHelp(COMMANDS));
      return values.help === true ? ExitCode.Ok : ExitCode.Usage;
    }
    const { command, words, index } = found;
    const rest = [...argv.slice(0, index), ...argv.slice(index + words)];
    const { values, positionals } = parseCommandLine(rest, command.options, true);
    if (values.help === true) {
      streams.stdout.write(commandHelp(command));
      return ExitCode.Ok;
    }
    if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
      throw usageError(`usage: ${command.usage}`);
    }
    let client: GatewayClient | undefined;
    const context: CommandContext = {
      out,
      values,
      positionals,
      env,
      cwd,
      client: () =>
        (client ??= new GatewayClient({
          api: (values.api as string | undefined) ?? env.HYPERMESH_API ?? DEFAULT_API,
          token: readToken(values, env, cwd),
          timeoutMs: timeoutMs(values.timeout),
        })),
      waitForStop: options.waitForStop ?? (() => waitForSignals(values.supervised === true)),
      launcher: options.launcher ?? { execPath: process.execPath, execArgv: process.execArgv, script: process.argv[1] ?? '' },
    };
    return (await command.run(context)) ?? ExitCode.Ok;
  } catch (err) {
    const exitCode = err instanceof CliError ? err.exitCode : ExitCode.Failed;
    const code = isHypermeshError(err) ? err.code : 'E_CLI_INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    if (json) streams.stderr.write(`${JSON.stringify({ error: { code, message, exitCode } })}\n`);
    else streams.stderr.write(`hypermesh: ${message}\n`);
    if (!isHypermeshError(err) && err instanceof Error && err.stack !== undefined && env.HYPERMESH_DEBUG !== undefined) streams.stderr.write(`${err.stack}\n`);
    return exitCode;
  }
}
