import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../errors.js';

/** Options of one command, in `node:util` parseArgs form. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies OptionSpecs;

/** The command line split into command words, options and positionals. */
export interface ParsedCommandLine {
  /** `['ct', 'verify']`, `['status']`, or `[]` when none was given. */
  readonly command: readonly string[];
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: readonly string[];
}

/** Finds the command (the first word that is not an option or an option's value). */
export function findCommand(argv: readonly string[], takesValue: (name: string) => boolean): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return -1;
    if (!arg.startsWith('-')) return i;
    if (arg.startsWith('--') && !arg.includes('=') && takesValue(arg.slice(2))) i++;
  }
  return -1;
}

/**
 * Parses the arguments after the command word(s) against the global options and the command's
 * own, strictly: an unknown flag or a missing value is a usage error naming it.
 */
export function parseCommandLine(args: readonly string[], options: OptionSpecs, allowPositionals: boolean): Omit<ParsedCommandLine, 'command'> {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw usageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}; see hypermesh --help`);
  }
}
