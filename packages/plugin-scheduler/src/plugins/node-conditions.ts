import type { SchedulableNode, SchedulingCycle } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { success, unschedulable } from '../framework/status.js';

const notReady = unschedulable('node-ready', 'node is not ready (no recent heartbeat)');

/** `node-ready` (filter): a node whose agent stopped sending heartbeats gets no workloads. */
export const nodeReadyPlugin: SchedulingPlugin = {
  name: 'node-ready',
  filter: (_cycle: SchedulingCycle, node: SchedulableNode) => (node.ready ? undefined : notReady),
};

const noRunc = unschedulable('node-runtime', 'node cannot run runc containers');
const noProcess = unschedulable('node-runtime', 'node cannot run plain processes');

/**
 * `node-runtime` (filter; Kubernetes RuntimeClass): a workload that asks for `runc` (or `process`)
 * goes only to nodes whose agent offers it; `auto` goes anywhere.
 */
export const nodeRuntimePlugin: SchedulingPlugin = {
  name: 'node-runtime',
  filter(cycle: SchedulingCycle, node: SchedulableNode) {
    const wanted = cycle.workload.runtime ?? 'auto';
    if (wanted === 'auto' || node.runtimes.includes(wanted)) return undefined;
    return wanted === 'runc' ? noRunc : noProcess;
  },
};

const bound = success('default-binder');

/** `default-binder` (bind, order `post`): binds the workload to the chosen node in the replicated state. */
export const defaultBinderPlugin: SchedulingPlugin = {
  name: 'default-binder',
  bind: () => bound,
};
