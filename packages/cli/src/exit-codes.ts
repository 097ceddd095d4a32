/**
 * The exit codes of `hypermesh`, stable for scripts:
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success (for `ct verify`: the certificate is valid) |
 * | 1 | the operation failed or the check did not pass (an API error not listed below, `up` failed, `ct verify` found the certificate not valid) |
 * | 2 | usage: unknown command or flag, missing argument |
 * | 3 | invalid input: a bad cluster.yaml, workload file or certificate file, or a request the API refused as invalid (400) |
 * | 4 | no cluster is answering at the API address |
 * | 5 | the credentials were refused (401) or the role may not do this (403) |
 * | 6 | not found: no such workload, key or route (404) |
 * | 7 | the service is unavailable: its plugin is not loaded on the node (503) |
 */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  InvalidInput: 3,
  Unreachable: 4,
  Unauthorized: 5,
  NotFound: 6,
  Unavailable: 7,
} as const;

/** One of the exit codes in {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
