import { CLI_VERSION } from '../version.js';
import type { Command } from './command.js';

const GLOBAL_HELP = `global options:
  --api URL             the cluster's API (default $HYPERMESH_API, else http://127.0.0.1:8080)
  --token TOKEN         API key or JWT (default $HYPERMESH_TOKEN, else the file of --token-file or
                        $HYPERMESH_TOKEN_FILE, else ./credentials/admin.token when it exists)
  --token-file FILE     read the token from FILE
  --json                machine-readable output on stdout, no progress lines
  --timeout DURATION    how long to wait for the API (e.g. 10s; default 30s)
  -h, --help            help (also: hypermesh help COMMAND)
  -v, --version         the CLI's version

exit codes:
  0 ok   1 failed (or check not passed)   2 usage   3 invalid input (cluster.yaml, spec, 400)
  4 no cluster answering   5 credentials refused / role too low   6 not found   7 service unavailable`;

/** `hypermesh --help`. */
export function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `hypermesh ${CLI_VERSION} — start and operate HyperMesh clusters

usage: hypermesh COMMAND [options]

commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

${GLOBAL_HELP}

Run "hypermesh help COMMAND" for a command's options. Manual: docs/cli.md.
`;
}

/** `hypermesh help COMMAND`. */
export function commandHelp(command: Command): string {
  const options = Object.entries(command.options).filter(([name]) => name !== 'supervised');
  return `usage: ${command.usage}

${command.summary}.
${command.details === undefined ? '' : `\n${command.details}\n`}${options.length === 0 ? '' : `\noptions: ${options.map(([name, o]) => `--${name}${o.type === 'string' ? ' VALUE' : ''}`).join(', ')}\n`}
${GLOBAL_HELP}
`;
}
