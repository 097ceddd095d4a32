import { readFile } from 'node:fs/promises';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/** Reads a file named on the command line; a missing or unreadable one is an input error (exit 3). */
export async function readInputFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(CliErrorCode.InvalidInput, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.InvalidInput, {
      cause: err,
    });
  }
}
