/**
 * Every error `@hypermesh/ebpf` throws, one registry: a stable code, the package name, and a
 * sentence that says what failed, with which ids, and what to do.
 */
import { HypermeshError } from '@hypermesh/runtime';
import { errnoName } from './native/errno.js';

/** The package name errors carry as their `plugin`. */
export const EBPF_PACKAGE = '@hypermesh/ebpf';

/** The stable codes of errors thrown by `@hypermesh/ebpf`. */
export const EbpfErrorCode = {
  /** libbpf.so.1 or koffi cannot be loaded here (not Linux, library missing, native binary missing). */
  Unavailable: 'E_EBPF_UNAVAILABLE',
  /** The kernel refused an operation for lack of privilege (EPERM/EACCES outside the verifier). */
  Permission: 'E_EBPF_PERMISSION',
  /** The verifier rejected a program; `verifierLog` holds its log. */
  Verifier: 'E_EBPF_VERIFIER',
  /** An object file could not be opened or parsed. */
  Open: 'E_EBPF_OPEN',
  /** An object failed to load for a reason other than the verifier (map creation, BTF, relocation). */
  Load: 'E_EBPF_LOAD',
  /** A program or map name is not in the object. */
  NotFound: 'E_EBPF_NOT_FOUND',
  /** A map operation failed (other than a missing key, which is not an error). */
  Map: 'E_EBPF_MAP',
  /** Attaching or detaching a program failed. */
  Attach: 'E_EBPF_ATTACH',
  /** A TypeScript layout does not match a map's sizes or the object's BTF. */
  Layout: 'E_EBPF_LAYOUT',
  /** A handle was used after its object, map, link or reader was closed. */
  Closed: 'E_EBPF_CLOSED',
  /** bpffs could not be found, mounted, or written (pinning). */
  Bpffs: 'E_EBPF_BPFFS',
  /** BPF_PROG_TEST_RUN failed. */
  TestRun: 'E_EBPF_TEST_RUN',
  /** A network interface does not exist. */
  Interface: 'E_EBPF_INTERFACE',
  /** BTF could not be read or lacks a type. */
  Btf: 'E_EBPF_BTF',
  /** A malformed argument to the datapath service (address, prefix, rate, DNS entry). */
  DatapathArgument: 'E_DATAPATH_ARGUMENT',
} as const;

/** One of this package's stable error codes. */
export type EbpfErrorCode = (typeof EbpfErrorCode)[keyof typeof EbpfErrorCode];

/** Options of {@link EbpfError}. */
export interface EbpfErrorOptions {
  /** The errno of the failed call, when there is one. */
  readonly errno?: number;
  /** The verifier's log, for a rejected program. */
  readonly verifierLog?: string;
  /** libbpf's messages printed during the failed call. */
  readonly libbpfLog?: readonly string[];
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * An error from the eBPF bindings or the datapath. `errno` and `errnoName` say what the kernel
 * answered; a verifier rejection carries the verifier's whole log in `verifierLog`.
 *
 * ```ts
 * import { BpfObject, EbpfError } from '@hypermesh/ebpf';
 *
 * try {
 *   BpfObject.open('prog.bpf.o').load();
 * } catch (err) {
 *   if (err instanceof EbpfError && err.code === 'E_EBPF_VERIFIER') console.error(err.verifierLog);
 * }
 * ```
 */
export class EbpfError extends HypermeshError<EbpfErrorCode> {
  /** The errno of the failed call, when there is one. */
  readonly errno: number | undefined;
  /** The symbolic errno (`EPERM`, `ENOENT`, …), when there is one. */
  readonly errnoName: string | undefined;
  /** The verifier's log, for a rejected program. */
  readonly verifierLog: string | undefined;
  /** libbpf's messages printed during the failed call (empty when it printed nothing). */
  readonly libbpfLog: readonly string[];

  constructor(code: EbpfErrorCode, message: string, options: EbpfErrorOptions = {}) {
    super(code, message, {
      plugin: EBPF_PACKAGE,
      cause: options.cause,
      details: options.errno === undefined ? undefined : { errno: options.errno, errnoName: errnoName(options.errno) },
    });
    this.name = 'EbpfError';
    this.errno = options.errno;
    this.errnoName = options.errno === undefined ? undefined : errnoName(options.errno);
    this.verifierLog = options.verifierLog;
    this.libbpfLog = options.libbpfLog ?? [];
  }
}

/** The code for a failed call: EPERM/EACCES become {@link EbpfErrorCode.Permission}, others `fallback`. */
export function codeForErrno(errno: number, fallback: EbpfErrorCode): EbpfErrorCode {
  return errno === 1 || errno === 13 ? EbpfErrorCode.Permission : fallback;
}

/** " (EPERM: Operation not permitted)" for an errno, for messages. */
export function describeErrno(errno: number): string {
  return ` (${errnoName(errno)}: ${errnoMessage(errno)})`;
}

function errnoMessage(errno: number): string {
  const messages: Record<number, string> = {
    1: 'operation not permitted — run as root or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON',
    2: 'no such file or directory',
    7: 'argument list too long — the map is full',
    9: 'bad file descriptor',
    12: 'out of memory',
    13: 'permission denied',
    16: 'device or resource busy — something else is attached there',
    17: 'already exists',
    19: 'no such device',
    22: 'invalid argument',
    28: 'no space left',
    95: 'operation not supported',
    524: 'operation not supported by the kernel',
  };
  return messages[errno] ?? 'see errno(3)';
}
