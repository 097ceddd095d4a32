import type { SchedulableNode, SchedulingCycle } from '@hypermesh/runtime';
import { MAX_NODE_SCORE } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';

/** Share of `capacity` left after `used`, as an integer score in [0, 100]. */
function freeScore(used: number, capacity: number): number {
  if (capacity <= 0 || used > capacity) return 0;
  return Math.floor(((capacity - used) * MAX_NODE_SCORE) / capacity);
}

/**
 * `least-allocated` (score; Kubernetes NodeResourcesFit with LeastAllocated): prefers the node
 * with the most cpu and memory left after placing the workload — the mean of the free shares,
 * each floor((capacity − requested) × 100 / capacity). Spreads load.
 */
export const leastAllocatedPlugin: SchedulingPlugin = {
  name: 'least-allocated',
  score(cycle: SchedulingCycle, node: SchedulableNode) {
    const r = cycle.workload.resources;
    const cpu = freeScore(node.allocated.cpuMillis + r.cpuMillis, node.capacity.cpuMillis);
    const memory = freeScore(node.allocated.memoryBytes + r.memoryBytes, node.capacity.memoryBytes);
    return Math.floor((cpu + memory) / 2);
  },
};

/**
 * `balanced-allocation` (score; Kubernetes NodeResourcesBalancedAllocation): prefers the node
 * whose cpu and memory would be used in the most equal shares, so neither runs out while the
 * other idles: floor((1 − |cpu share − memory share| / 2) × 100).
 */
export const balancedAllocationPlugin: SchedulingPlugin = {
  name: 'balanced-allocation',
  score(cycle: SchedulingCycle, node: SchedulableNode) {
    const r = cycle.workload.resources;
    const cpu = Math.min(1, node.capacity.cpuMillis > 0 ? (node.allocated.cpuMillis + r.cpuMillis) / node.capacity.cpuMillis : 1);
    const memory = Math.min(1, node.capacity.memoryBytes > 0 ? (node.allocated.memoryBytes + r.memoryBytes) / node.capacity.memoryBytes : 1);
    // the standard deviation of two shares is half their difference
    return Math.floor((1 - Math.abs(cpu - memory) / 2) * MAX_NODE_SCORE);
  },
};
