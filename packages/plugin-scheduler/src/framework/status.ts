import type { SchedulingStatus } from '@hypermesh/runtime';

/** A `success` status of `plugin`. */
export const success = (plugin: string): SchedulingStatus => ({ code: 'success', plugin });

/** An `unschedulable` status: `plugin` refuses, for `reason`. */
export const unschedulable = (plugin: string, reason: string): SchedulingStatus => ({ code: 'unschedulable', plugin, reason });

/** An `error` status: `plugin` failed; the cycle stops. */
export const schedulingError = (plugin: string, reason: string): SchedulingStatus => ({ code: 'error', plugin, reason });

/** A `wait` status (permit): hold the workload for at most `timeoutMs` of agreed time. */
export const waitFor = (plugin: string, reason: string, timeoutMs: number): SchedulingStatus => ({
  code: 'wait',
  plugin,
  reason,
  timeoutMs,
});

/** A `skip` status: `plugin` has nothing to do in this cycle. */
export const skip = (plugin: string): SchedulingStatus => ({ code: 'skip', plugin });

/** True for `undefined` (a tap's "go on") and `success`. */
export const isSuccess = (status: SchedulingStatus | undefined): boolean => status === undefined || status.code === 'success';

/** `plugin: reason` — how a status reads in a message. */
export const formatStatus = (status: SchedulingStatus): string =>
  status.reason === undefined ? `${status.plugin}: ${status.code}` : `${status.plugin}: ${status.reason}`;
