import type { NodeSelectorRequirement, SchedulableNode, SchedulingCycle, WorkloadSpec } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { skip, unschedulable } from '../framework/status.js';
import { normalizeByMax } from './normalize.js';

const NAME = 'node-affinity';
const notSelector = unschedulable(NAME, 'node labels do not match nodeSelector');
const notRequired = unschedulable(NAME, 'node labels match no required affinity term');

const INTEGER = /^-?\d+$/;

/** True when `labels` satisfy one requirement (Kubernetes NodeSelectorRequirement semantics). */
export function matchesRequirement(labels: Readonly<Record<string, string>>, req: NodeSelectorRequirement): boolean {
  const value = Object.hasOwn(labels, req.key) ? labels[req.key] : undefined;
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !INTEGER.test(value) || values.length !== 1 || !INTEGER.test(values[0]!)) return false;
      const a = Number(value);
      const b = Number(values[0]);
      return req.operator === 'Gt' ? a > b : a < b;
    }
  }
}

/** True when every requirement holds. */
export const matchesAll = (labels: Readonly<Record<string, string>>, reqs: readonly NodeSelectorRequirement[]): boolean =>
  reqs.every((r) => matchesRequirement(labels, r));

/** True when a node satisfies the workload's nodeSelector and required affinity (used by topology spread too). */
export function nodeMatchesWorkload(spec: WorkloadSpec, labels: Readonly<Record<string, string>>): boolean {
  const selector = spec.nodeSelector;
  if (selector !== undefined) for (const key in selector) if (labels[key] !== selector[key]) return false;
  const required = spec.affinity?.required;
  return required === undefined || required.length === 0 || required.some((term) => matchesAll(labels, term));
}

/**
 * `node-affinity` (filter + score; Kubernetes NodeAffinity): the node must carry every
 * `nodeSelector` label and match one `affinity.required` term; each `affinity.preferred` term it
 * matches adds its weight, normalised to [0, 100].
 */
export const nodeAffinityPlugin: SchedulingPlugin = {
  name: NAME,
  weight: 2,
  preFilter(cycle: SchedulingCycle) {
    const w = cycle.workload;
    const hasSelector = w.nodeSelector !== undefined && Object.keys(w.nodeSelector).length > 0;
    return hasSelector || (w.affinity?.required?.length ?? 0) > 0 ? undefined : skip(NAME);
  },
  filter(cycle: SchedulingCycle, node: SchedulableNode) {
    const selector = cycle.workload.nodeSelector;
    if (selector !== undefined) for (const key in selector) if (node.labels[key] !== selector[key]) return notSelector;
    const required = cycle.workload.affinity?.required;
    if (required !== undefined && required.length > 0 && !required.some((term) => matchesAll(node.labels, term))) return notRequired;
    return undefined;
  },
  preScore(cycle: SchedulingCycle) {
    return (cycle.workload.affinity?.preferred?.length ?? 0) > 0 ? undefined : skip(NAME);
  },
  score(cycle: SchedulingCycle, node: SchedulableNode) {
    let score = 0;
    for (const pref of cycle.workload.affinity?.preferred ?? []) if (matchesAll(node.labels, pref.match)) score += pref.weight;
    return score;
  },
  normalizeScore(_cycle, scores) {
    normalizeByMax(scores, false);
  },
};
