import type { PlacedWorkload, SchedulableNode, SchedulingCycle, TopologySpreadConstraint } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { skip, unschedulable } from '../framework/status.js';
import { nodeMatchesWorkload } from './node-affinity.js';
import { normalizeByMax } from './normalize.js';

const NAME = 'topology-spread';

interface ConstraintState {
  readonly constraint: TopologySpreadConstraint;
  /** Matching workloads per domain (label value), for every domain of an eligible node. */
  readonly counts: Map<string, number>;
  /** The smallest count over the domains. */
  readonly min: number;
}

/** True when `workload` is counted by a constraint of `cycle`'s workload. */
function counted(cycle: SchedulingCycle, selector: Readonly<Record<string, string>>, workload: PlacedWorkload): boolean {
  if ((workload.spec.namespace ?? 'default') !== cycle.workload.namespace) return false;
  const labels = workload.spec.labels ?? {};
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

function computeState(cycle: SchedulingCycle, constraints: readonly TopologySpreadConstraint[]): ConstraintState[] {
  const eligible = cycle.cluster.nodes.filter((n) => nodeMatchesWorkload(cycle.workload, n.labels));
  return constraints.map((constraint) => {
    const key = constraint.topologyKey;
    const counts = new Map<string, number>();
    for (const node of eligible) {
      const domain = node.labels[key];
      if (domain !== undefined && !counts.has(domain)) counts.set(domain, 0);
    }
    const selector = constraint.labelSelector ?? cycle.workload.labels ?? {};
    cycle.cluster.forEachPlaced((w) => {
      if (w.key === cycle.key || !counted(cycle, selector, w)) return;
      const domain = cycle.cluster.node(w.node)?.labels[key];
      if (domain !== undefined && counts.has(domain)) counts.set(domain, counts.get(domain)! + 1);
    });
    let min = Infinity;
    for (const c of counts.values()) if (c < min) min = c;
    return { constraint, counts, min: min === Infinity ? 0 : min };
  });
}

const stateOf = (cycle: SchedulingCycle) => cycle.state.get(NAME) as ConstraintState[] | undefined;

/**
 * `topology-spread` (filter + score; Kubernetes PodTopologySpread): for each constraint, counts
 * the workloads of the same namespace matching its selector in each domain (value of
 * `topologyKey` among the nodes the workload may use). `DoNotSchedule` keeps the workload off
 * nodes where count + 1 − min count would exceed `maxSkew` (and off nodes without the label);
 * `ScheduleAnyway` prefers the least loaded domains. An empty selector counts every workload of
 * the namespace.
 */
export const topologySpreadPlugin: SchedulingPlugin = {
  name: NAME,
  weight: 2,
  preFilter(cycle: SchedulingCycle) {
    const constraints = cycle.workload.topologySpread ?? [];
    if (constraints.length === 0) {
      cycle.skip('score', NAME);
      return skip(NAME);
    }
    cycle.state.set(NAME, computeState(cycle, constraints));
    if (!constraints.some((c) => c.whenUnsatisfiable === 'DoNotSchedule')) return skip(NAME);
    return undefined;
  },
  filter(cycle: SchedulingCycle, node: SchedulableNode) {
    for (const s of stateOf(cycle) ?? []) {
      if (s.constraint.whenUnsatisfiable !== 'DoNotSchedule') continue;
      const domain = node.labels[s.constraint.topologyKey];
      if (domain === undefined) return unschedulable(NAME, `node has no label '${s.constraint.topologyKey}'`);
      const count = s.counts.get(domain) ?? 0;
      if (count + 1 - s.min > s.constraint.maxSkew) {
        return unschedulable(NAME, `would exceed maxSkew ${s.constraint.maxSkew} over '${s.constraint.topologyKey}'`);
      }
    }
    return undefined;
  },
  preScore(cycle: SchedulingCycle) {
    return stateOf(cycle)?.some((s) => s.constraint.whenUnsatisfiable === 'ScheduleAnyway') ? undefined : skip(NAME);
  },
  score(cycle: SchedulingCycle, node: SchedulableNode) {
    let total = 0;
    for (const s of stateOf(cycle) ?? []) {
      if (s.constraint.whenUnsatisfiable !== 'ScheduleAnyway') continue;
      const domain = node.labels[s.constraint.topologyKey];
      // a node outside every domain is the worst place to spread to
      total += domain === undefined ? s.min + s.constraint.maxSkew + 1 : (s.counts.get(domain) ?? 0);
    }
    return total;
  },
  normalizeScore(_cycle, scores) {
    normalizeByMax(scores, true);
  },
};
