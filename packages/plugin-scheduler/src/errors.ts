/**
 * Every error the scheduler throws, one registry: a stable `code`, the plugin name, and a sentence
 * that quotes the ids and says what to do.
 */
import { HypermeshError, type HypermeshErrorOptions } from '@hypermesh/runtime';

/** The npm name of this plugin, carried by every error it throws. */
export const PLUGIN_NAME = '@hypermesh/plugin-scheduler';

/** The stable codes of errors thrown by `@hypermesh/plugin-scheduler`. */
export const SchedulerErrorCode = {
  /** No node can run the workload; the message names each scheduling plugin that refused and why. */
  Unschedulable: 'E_SCHED_UNSCHEDULABLE',
  /** A scheduling plugin failed (threw, or answered `error`); the message names it. */
  PluginError: 'E_SCHED_PLUGIN_ERROR',
  /** Applying an operation threw: a bug in the scheduler; every replica answers alike and keeps going. */
  Internal: 'E_SCHED_INTERNAL',
  /** A workload spec or operation is malformed; the message gives the field path. */
  Invalid: 'E_SCHED_INVALID',
  /** The workload would take its namespace past its quota. */
  Quota: 'E_SCHED_QUOTA',
  /** No workload of that name exists. */
  NotFound: 'E_SCHED_NOT_FOUND',
  /** The logs of a workload cannot be read: the node running it is not reachable. */
  LogsUnavailable: 'E_SCHED_LOGS_UNAVAILABLE',
  /** A container runtime failed (runc exited with an error, a process could not be spawned). */
  Runtime: 'E_SCHED_RUNTIME',
  /** The requested container runtime cannot work on this machine (no root, no runc). */
  RuntimeUnavailable: 'E_SCHED_RUNTIME_UNAVAILABLE',
} as const;

/** One of the scheduler's stable error codes. */
export type SchedulerErrorCode = (typeof SchedulerErrorCode)[keyof typeof SchedulerErrorCode];

/** An error of the scheduler: a {@link HypermeshError} whose `plugin` is this package. */
export class SchedulerError extends HypermeshError<SchedulerErrorCode> {
  constructor(code: SchedulerErrorCode, message: string, options: Omit<HypermeshErrorOptions, 'plugin'> = {}) {
    super(code, message, { ...options, plugin: PLUGIN_NAME });
    this.name = 'SchedulerError';
  }
}
