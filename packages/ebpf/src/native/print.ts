/**
 * libbpf's messages. libbpf prints through a callback taking a va_list; ours formats it with libc's
 * vsnprintf and keeps the lines of the call in progress, so an error can carry what libbpf said
 * (the verifier log included) instead of it going to stderr.
 */
import type { Koffi } from './koffi.js';
import { sharedState } from './shared-state.js';

/** libbpf's print levels. */
export type LibbpfLogLevel = 'warn' | 'info' | 'debug';

const LEVELS: readonly LibbpfLogLevel[] = ['warn', 'info', 'debug'];

/** Receives libbpf's messages that are not captured by a call in progress. */
export type LibbpfLogSink = (level: LibbpfLogLevel, message: string) => void;

const state = sharedState('print', () => ({ sink: undefined as LibbpfLogSink | undefined, captures: [] as string[][], registered: undefined as unknown }));

/** Sends libbpf's messages (outside calls that capture them) to `fn`; `undefined` silences them. */
export function setLibbpfLogSink(fn: LibbpfLogSink | undefined): void {
  state.sink = fn;
}

/** Runs a synchronous libbpf call and returns what libbpf printed during it (warnings and info). */
export function captureLibbpfLog<T>(fn: () => T): { readonly result: T; readonly log: string[] } {
  const log: string[] = [];
  state.captures.push(log);
  try {
    return { result: fn(), log };
  } finally {
    state.captures.pop();
  }
}

/**
 * Extracts the verifier log libbpf prints between its BEGIN/END markers when a program fails to
 * load, or `undefined` when there is none.
 */
export function verifierLogOf(log: readonly string[]): string | undefined {
  const text = log.join('');
  const begin = text.indexOf('-- BEGIN PROG LOAD LOG --');
  if (begin < 0) return undefined;
  const start = text.indexOf('\n', begin) + 1;
  const end = text.indexOf('-- END PROG LOAD LOG --', start);
  return text.slice(start, end < 0 ? undefined : end).trimEnd();
}

/** Registers the print callback with libbpf (once). */
export function installPrintCallback(koffi: Koffi, lib: ReturnType<Koffi['load']>, libc: ReturnType<Koffi['load']>): void {
  if (state.registered) return;
  const proto = koffi.proto('int libbpf_print_fn_t(int level, void *format, void *args)');
  const setPrint = lib.func('void *libbpf_set_print(libbpf_print_fn_t *fn)') as (fn: unknown) => unknown;
  const vsnprintf = libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, void *format, void *args)') as (
    buf: Buffer,
    size: number,
    format: unknown,
    args: unknown,
  ) => number;
  const buffer = Buffer.alloc(64 * 1024);
  state.registered = koffi.register((level: number, format: unknown, args: unknown) => {
    const n = vsnprintf(buffer, buffer.length, format, args);
    const message = buffer.toString('utf8', 0, Math.max(0, Math.min(n, buffer.length - 1)));
    const capture = state.captures[state.captures.length - 1];
    const name = LEVELS[level] ?? 'debug';
    if (capture && name !== 'debug') capture.push(message);
    else state.sink?.(name, message);
    return 0;
  }, koffi.pointer(proto));
  setPrint(state.registered);
}
