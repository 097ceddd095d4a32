import { pino, type Logger } from 'pino';

/** The log levels pino understands. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The logger a node uses when the integrator gives none: JSON lines on stderr (so stdout stays free
 * for program output), level from `HYPERMESH_LOG_LEVEL` or `info`.
 */
export function createDefaultLogger(level: LogLevel = (process.env.HYPERMESH_LOG_LEVEL as LogLevel | undefined) ?? 'info'): Logger {
  return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: false }));
}
