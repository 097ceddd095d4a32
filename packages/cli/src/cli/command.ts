import type { GatewayClient } from '../client/gateway-client.js';
import type { ExitCode } from '../exit-codes.js';
import type { OptionSpecs } from './args.js';
import type { Output } from './output.js';

/** How the running CLI was started, so `up --processes` can start node processes the same way. */
export interface Launcher {
  /** `process.execPath`. */
  readonly execPath: string;
  /** Node flags the CLI was started with (`--import tsx`, `--conditions=…`). */
  readonly execArgv: readonly string[];
  /** The CLI's entry script. */
  readonly script: string;
}

/** What a command gets. */
export interface CommandContext {
  readonly out: Output;
  /** Parsed flags (global and the command's own). */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The gateway client (API address and token resolved from flags, environment and files). */
  client(): GatewayClient;
  /**
   * Resolves with the signal's name at the first SIGINT or SIGTERM (or when a supervising process
   * closes stdin, for `up --supervised`). Only `up` waits; other commands keep Node's default.
   */
  waitForStop(): Promise<string>;
  readonly launcher: Launcher;
}

/** One `hypermesh` command. */
export interface Command {
  /** The command words, e.g. `ct verify`. */
  readonly name: string;
  /** Synopsis, e.g. `hypermesh logs NAME [--tail N]`. */
  readonly usage: string;
  /** One line for `hypermesh --help`. */
  readonly summary: string;
  /** Further help: what it prints, notes. */
  readonly details?: string;
  readonly options: OptionSpecs;
  /** How many positional arguments it takes. */
  readonly positionals: { readonly min: number; readonly max: number };
  run(ctx: CommandContext): Promise<ExitCode | void>;
}
