import { HypermeshError, type HypermeshErrorOptions } from '@hypermesh/runtime';
import { ExitCode } from './exit-codes.js';

/** The CLI's npm name, as errors quote it. */
export const CLI_PACKAGE_NAME = '@hypermesh/cli';

/** The stable codes of the CLI's own errors. */
export const CliErrorCode = {
  /** Bad command line: unknown command or flag, missing or extra argument. */
  Usage: 'E_CLI_USAGE',
  /** A file given on the command line is missing, unreadable or invalid (the message lists every problem). */
  InvalidInput: 'E_CLI_INVALID_INPUT',
  /** Nothing answers at the API address, or it did not answer in time. */
  Unreachable: 'E_CLI_UNREACHABLE',
  /** The API answered with an error (its code and message are kept in `details`). */
  Api: 'E_CLI_API',
  /** The answer was not from a HyperMesh gateway. */
  BadAnswer: 'E_CLI_BAD_ANSWER',
  /** `init` would overwrite files, or could not write them. */
  InitFailed: 'E_CLI_INIT_FAILED',
  /** `up` could not start the cluster. */
  UpFailed: 'E_CLI_UP_FAILED',
  /** A check did not pass (e.g. `ct verify` on a certificate that is not valid). */
  CheckFailed: 'E_CLI_CHECK_FAILED',
} as const;

/** One of the CLI's error codes. */
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** An error the CLI reports and exits with: a message for the user and the exit code. */
export class CliError extends HypermeshError<string> {
  /** The process exit code. */
  readonly exitCode: ExitCode;

  constructor(code: CliErrorCode | string, message: string, exitCode: ExitCode, options: Omit<HypermeshErrorOptions, 'plugin'> = {}) {
    super(code, message, { ...options, plugin: CLI_PACKAGE_NAME });
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A usage error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(CliErrorCode.Usage, message, ExitCode.Usage);
}
