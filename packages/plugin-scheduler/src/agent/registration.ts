import { detectedCapacity, type SchedulerConfig } from '../config.js';
import type { RuntimeSelection } from '../containers/select-runtime.js';
import type { SchedOperation } from '../state/operations.js';

/** What this node registers: configured labels, taints and address, detected capacity, and the runtimes its agent has. */
export function membershipRegistration(
  nodeId: string,
  config: SchedulerConfig,
  runtimes: RuntimeSelection,
): Extract<SchedOperation, { type: 'sched.node.register' }>['node'] {
  return {
    id: nodeId,
    labels: config.node.labels,
    taints: config.node.taints,
    capacity: detectedCapacity(config.node.capacity),
    runtimes: runtimes.runc === undefined ? ['process'] : ['runc', 'process'],
    address: config.node.address,
  };
}
