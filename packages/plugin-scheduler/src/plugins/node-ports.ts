import type { SchedulableNode, SchedulingCycle } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { skip, unschedulable } from '../framework/status.js';

const NAME = 'node-ports';

/**
 * `node-ports` (filter; Kubernetes NodePorts): workloads share their node's network, so two
 * workloads on one node cannot listen on the same port and protocol.
 */
export const nodePortsPlugin: SchedulingPlugin = {
  name: NAME,
  preFilter(cycle: SchedulingCycle) {
    return (cycle.workload.ports?.length ?? 0) > 0 && cycle.workload.network !== 'none' ? undefined : skip(NAME);
  },
  filter(cycle: SchedulingCycle, node: SchedulableNode) {
    const wanted = cycle.workload.ports ?? [];
    for (const other of cycle.cluster.workloadsOn(node.id)) {
      if (other.key === cycle.key || other.spec.network === 'none') continue;
      for (const p of other.spec.ports ?? []) {
        if (wanted.some((w) => w.port === p.port && w.protocol === p.protocol)) return unschedulable(NAME, `port ${p.port}/${p.protocol} is in use`);
      }
    }
    return undefined;
  },
};
