import type { NodeTaint, SchedulableNode, SchedulingCycle, SchedulingStatus, Toleration } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { unschedulable } from '../framework/status.js';
import { normalizeByMax } from './normalize.js';

const NAME = 'taint-toleration';

/** True when `toleration` tolerates `taint` (Kubernetes semantics). */
export function tolerates(toleration: Toleration, taint: NodeTaint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  if ((toleration.operator ?? 'Equal') === 'Exists') return toleration.key === '' || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/** True when one of `tolerations` tolerates `taint`. */
export const isTolerated = (tolerations: readonly Toleration[] | undefined, taint: NodeTaint): boolean =>
  tolerations !== undefined && tolerations.some((t) => tolerates(t, taint));

/** How a taint reads in a message: `key=value:Effect`. */
export const formatTaint = (taint: NodeTaint): string => `${taint.key}${taint.value === undefined ? '' : `=${taint.value}`}:${taint.effect}`;

const refusals = new Map<string, SchedulingStatus>();
function untolerated(taint: NodeTaint): SchedulingStatus {
  const text = formatTaint(taint);
  let status = refusals.get(text);
  if (status === undefined) {
    status = unschedulable(NAME, `untolerated taint ${text}`);
    if (refusals.size < 1024) refusals.set(text, status);
  }
  return status;
}

/**
 * `taint-toleration` (filter + score; Kubernetes TaintToleration): a `NoSchedule` or `NoExecute`
 * taint the workload does not tolerate keeps it off the node; untolerated `PreferNoSchedule`
 * taints lower the node's score (fewer is better).
 */
export const taintTolerationPlugin: SchedulingPlugin = {
  name: NAME,
  weight: 3,
  filter(cycle: SchedulingCycle, node: SchedulableNode) {
    for (const taint of node.taints) {
      if (taint.effect !== 'PreferNoSchedule' && !isTolerated(cycle.workload.tolerations, taint)) return untolerated(taint);
    }
    return undefined;
  },
  score(cycle: SchedulingCycle, node: SchedulableNode) {
    let count = 0;
    for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !isTolerated(cycle.workload.tolerations, taint)) count++;
    return count;
  },
  normalizeScore(_cycle, scores) {
    normalizeByMax(scores, true);
  },
};
