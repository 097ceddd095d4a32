import type { SchedulableNode, SchedulingCycle, SchedulingStatus } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { unschedulable } from '../framework/status.js';
import { RESOURCE_KINDS, RESOURCE_NAMES } from '../resources/quantities.js';

const NAME = 'resource-fit';
const insufficient = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, unschedulable(NAME, `insufficient ${RESOURCE_NAMES[k]}`)])) as Record<
  (typeof RESOURCE_KINDS)[number],
  SchedulingStatus
>;

/**
 * `resource-fit` (filter; Kubernetes NodeResourcesFit): a node fits when, for cpu, memory and
 * pids, what its bound and reserved workloads ask for plus this workload's request stays within
 * its capacity. Refuses with `insufficient cpu|memory|pids`.
 */
export const resourceFitPlugin: SchedulingPlugin = {
  name: NAME,
  filter(cycle: SchedulingCycle, node: SchedulableNode) {
    const request = cycle.workload.resources;
    const { allocated, capacity } = node;
    if (allocated.cpuMillis + request.cpuMillis > capacity.cpuMillis) return insufficient.cpuMillis;
    if (allocated.memoryBytes + request.memoryBytes > capacity.memoryBytes) return insufficient.memoryBytes;
    if (allocated.pids + request.pids > capacity.pids) return insufficient.pids;
    return undefined;
  },
};
