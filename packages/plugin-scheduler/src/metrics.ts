import type { PluginMetrics } from '@hypermesh/runtime';
import type { ClusterState } from './state/cluster-state.js';
import type { SchedulerStateMachine, StateEvent } from './state/state-machine.js';

/** Every metric `@hypermesh/plugin-scheduler` exports. */
export interface SchedulerMetrics {
  /** `hypermesh_sched_operations_total{type,outcome}`: sched operations applied by this replica. */
  readonly operations: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_placements_total`: workloads bound (first placements and moves). */
  readonly placements: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_unschedulable_total{plugin}`: placement attempts refused, by the plugin blamed. */
  readonly unschedulable: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_rescheduled_total`: workloads taken off a node (not ready, isolated, evicted, moved). */
  readonly rescheduled: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_apply_seconds`: time to apply one operation (scheduling cycles included). */
  readonly applySeconds: ReturnType<PluginMetrics['histogram']>;
  /** `hypermesh_sched_container_restarts_total`: containers restarted by this node's agent. */
  readonly restarts: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_health_check_failures_total{kind}`: failed health checks on this node. */
  readonly healthFailures: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_orphans_removed_total{kind}`: leftovers of a crashed earlier run of this node removed at agent start. */
  readonly orphansRemoved: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_record_updates_total{action,outcome}`: service record upserts/removals sent. */
  readonly recordUpdates: ReturnType<PluginMetrics['counter']>;
  /** `hypermesh_sched_bad_messages_total`: malformed sched.logs messages dropped. */
  readonly badMessages: ReturnType<PluginMetrics['counter']>;
}

/** Registers the scheduler's metrics; gauges read the state at scrape time. */
export function createSchedulerMetrics(metrics: PluginMetrics, state: () => ClusterState, runningHere: () => number): SchedulerMetrics {
  metrics.gauge({
    name: 'hypermesh_sched_workloads',
    help: 'Workloads by phase, as this replica sees them',
    labelNames: ['phase'],
    collect() {
      this.reset();
      for (const record of state().workloads.values()) this.inc({ phase: state().statusOf(record).phase });
    },
  });
  metrics.gauge({
    name: 'hypermesh_sched_nodes',
    help: 'Registered nodes by readiness and trust',
    labelNames: ['ready', 'trust'],
    collect() {
      this.reset();
      for (const node of state().sortedNodes) this.inc({ ready: String(node.ready), trust: node.trust });
    },
  });
  metrics.gauge({
    name: 'hypermesh_sched_containers_here',
    help: 'Workload generations this node’s agent runs or restarts',
    collect() {
      this.set(runningHere());
    },
  });
  return {
    operations: metrics.counter({ name: 'hypermesh_sched_operations_total', help: 'sched operations applied by this replica', labelNames: ['type', 'outcome'] }),
    placements: metrics.counter({ name: 'hypermesh_sched_placements_total', help: 'Workloads bound to a node' }),
    unschedulable: metrics.counter({ name: 'hypermesh_sched_unschedulable_total', help: 'Placement attempts refused, by plugin', labelNames: ['plugin'] }),
    rescheduled: metrics.counter({ name: 'hypermesh_sched_rescheduled_total', help: 'Workloads taken off a node' }),
    applySeconds: metrics.histogram({ name: 'hypermesh_sched_apply_seconds', help: 'Time to apply one sched operation', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1] }),
    restarts: metrics.counter({ name: 'hypermesh_sched_container_restarts_total', help: 'Containers restarted by this node’s agent' }),
    healthFailures: metrics.counter({ name: 'hypermesh_sched_health_check_failures_total', help: 'Failed health checks', labelNames: ['kind'] }),
    orphansRemoved: metrics.counter({ name: 'hypermesh_sched_orphans_removed_total', help: 'Leftovers of an earlier run of this node removed at agent start', labelNames: ['kind'] }),
    recordUpdates: metrics.counter({ name: 'hypermesh_sched_record_updates_total', help: 'Service record updates sent', labelNames: ['action', 'outcome'] }),
    badMessages: metrics.counter({ name: 'hypermesh_sched_bad_messages_total', help: 'Malformed sched.logs messages dropped' }),
  };
}

/** Wraps the state machine so every applied operation is counted and timed (same decisions). */
export function instrumentMachine<M extends SchedulerStateMachine>(machine: M, metrics: SchedulerMetrics): M {
  const apply: SchedulerStateMachine['apply'] = (operation, context) => {
    const started = performance.now();
    const result = machine.apply(operation, context) as { ok?: boolean; code?: string };
    metrics.applySeconds.observe((performance.now() - started) / 1000);
    const type = typeof (operation as { type?: unknown })?.type === 'string' ? ((operation as { type: string }).type.slice(0, 40)) : 'invalid';
    metrics.operations.inc({ type, outcome: result?.ok ? 'ok' : (result?.code ?? 'error') });
    return result as ReturnType<SchedulerStateMachine['apply']>;
  };
  return new Proxy(machine, { get: (target, prop, receiver) => (prop === 'apply' ? apply : Reflect.get(target, prop, receiver)) });
}

/** Counts placements, refusals and reschedules from the state machine's events. */
export function countEvents(metrics: SchedulerMetrics): (event: StateEvent) => void {
  return (event) => {
    if (event.type === 'bound') metrics.placements.inc();
    else if (event.type === 'unschedulable') metrics.unschedulable.inc({ plugin: event.plugin });
    else if (event.type === 'unbound') metrics.rescheduled.inc();
  };
}
