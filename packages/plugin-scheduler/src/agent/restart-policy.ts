import type { WorkloadSpec } from '@hypermesh/runtime';
import type { ContainerExit } from '../containers/container-runtime.js';

/** Restart back-off settings. */
export interface BackoffSettings {
  /** The first delay. */
  readonly initialMs: number;
  /** The largest delay. */
  readonly maxMs: number;
  /** A run at least this long resets the back-off. */
  readonly resetAfterMs: number;
}

/** Whether an exit counts as a failure: a non-zero (or unknown) code, an OOM kill, or a failed health check. */
export const isFailure = (exit: ContainerExit, killedForHealth: boolean): boolean => killedForHealth || exit.oomKilled || exit.code !== 0;

/** Whether the restart policy restarts after this exit (Kubernetes semantics; default `always`). */
export function shouldRestart(policy: WorkloadSpec['restartPolicy'], failed: boolean): boolean {
  switch (policy ?? 'always') {
    case 'always':
      return true;
    case 'on-failure':
      return failed;
    case 'never':
      return false;
  }
}

/** The delay before restart number `consecutive` (1-based): initial × 2^(n−1), at most max. */
export function restartDelay(consecutive: number, settings: BackoffSettings): number {
  let delay = settings.initialMs;
  for (let i = 1; i < consecutive && delay < settings.maxMs; i++) delay *= 2;
  return Math.min(delay, settings.maxMs);
}
