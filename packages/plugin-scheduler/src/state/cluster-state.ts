import type { ClusterView, PlacedWorkload, SchedulableNode, WorkloadSpec, WorkloadStatus } from '@hypermesh/runtime';
import type { QuotaLimits } from '../resources/resource-manager.js';
import { newNodeRecord, ResourceManager, type NodeRecord } from '../resources/resource-manager.js';
import { byCodeUnit, insertSorted } from '../resources/sorted.js';

/** A workload spec with its namespace filled in. */
export type NamespacedSpec = WorkloadSpec & { readonly namespace: string };

/** What a node's agent last reported about a workload it runs. */
export interface RunReport {
  readonly phase: 'scheduled' | 'running' | 'failed' | 'stopped';
  readonly restarts: number;
  readonly address?: string;
  readonly health?: 'unknown' | 'healthy' | 'unhealthy';
  readonly runtime?: string;
  readonly reason?: string;
}

/** A workload in the replicated state. */
export interface WorkloadRecord {
  readonly key: string;
  spec: NamespacedSpec;
  /** Admission order (a counter of the state): the order pending workloads are retried in. */
  admitted: number;
  /** Bumped on every binding; agent reports and container ids carry it. */
  generation: number;
  /** `pending` (in the queue), `waiting` (held by a permit plugin, resources reserved) or `bound`. */
  phase: 'pending' | 'waiting' | 'bound';
  node?: string;
  reason?: string;
  /** The last attempt to place it failed. */
  unschedulable: boolean;
  wait?: { plugin: string; deadline: number; allowed: string[] };
  /** The sequence number of the operation that bound it. */
  placedSequence?: number;
  /** Bound, but finished for good (failed/stopped under its restart policy): resources released. */
  released: boolean;
  run?: RunReport;
}

/** A trust report of one reporter about one node. */
export interface TrustReport {
  readonly reputation: number;
  readonly trust: SchedulableNode['trust'];
}

/** `namespace/name`. */
export const workloadKey = (name: string, namespace = 'default'): string => `${namespace}/${name}`;

const nodeId = (n: NodeRecord) => n.id;

/**
 * The scheduler's replicated state: nodes, workloads, allocations and quotas, heartbeats and
 * trust reports. It changes only through the state machine's `apply`, and serialises canonically
 * (every collection sorted) so equal states give equal snapshots on every replica.
 */
export class ClusterState {
  readonly resources = new ResourceManager();
  readonly nodes = new Map<string, NodeRecord>();
  readonly sortedNodes: NodeRecord[] = [];
  readonly workloads = new Map<string, WorkloadRecord>();
  /** Keys of pending workloads. */
  readonly pending = new Set<string>();
  /** Keys of workloads held by permit plugins. */
  readonly waiting = new Set<string>();
  readonly heartbeats = new Map<string, number>();
  readonly reports = new Map<string, Map<string, TrustReport>>();
  /** Agreed time: the largest operation timestamp applied so far. */
  now = 0;
  /** Where the next filter window starts. */
  nextStartIndex = 0;
  /** Admission counter. */
  admissions = 0;

  /** The read-only view scheduling plugins get. */
  readonly view: ClusterView = {
    nodes: this.sortedNodes,
    node: (id: string) => this.nodes.get(id),
    workloadsOn: (id: string) => this.resources.workloadsOn(id),
    forEachPlaced: (fn: (w: PlacedWorkload) => void) => {
      for (const w of this.resources.placed()) fn(w);
    },
  };

  /** Adds a node (or returns the known one). */
  addNode(fields: Omit<NodeRecord, 'allocated' | 'workloads'>): NodeRecord {
    const node = newNodeRecord(fields);
    this.nodes.set(node.id, node);
    insertSorted(this.sortedNodes, node, nodeId);
    return node;
  }

  /** The public status of a workload. */
  statusOf(record: WorkloadRecord): WorkloadStatus {
    const base = { name: record.spec.name, namespace: record.spec.namespace };
    if (record.phase === 'pending') {
      return { ...base, phase: record.unschedulable ? 'unschedulable' : 'pending', restarts: 0, ...(record.reason ? { reason: record.reason } : {}) };
    }
    if (record.phase === 'waiting') {
      return { ...base, node: record.node!, phase: 'pending', restarts: 0, reason: record.reason ?? `waiting for permit plugin '${record.wait?.plugin}'` };
    }
    const run = record.run;
    return {
      ...base,
      node: record.node!,
      phase: run?.phase ?? 'scheduled',
      restarts: run?.restarts ?? 0,
      ...(run?.reason ? { reason: run.reason } : {}),
      ...(run?.address ? { address: run.address } : {}),
      ...(run?.health ? { health: run.health } : {}),
      ...(run?.runtime ? { runtime: run.runtime } : {}),
    };
  }

  /** A copy of a node for callers outside the state machine. */
  static nodeSnapshot(n: NodeRecord): SchedulableNode {
    return {
      id: n.id,
      labels: { ...n.labels },
      capacity: { ...n.capacity },
      allocated: { ...n.allocated },
      taints: n.taints.map((t) => ({ ...t })),
      ready: n.ready,
      workloads: n.workloads,
      reputation: n.reputation,
      trust: n.trust,
      runtimes: [...n.runtimes],
      address: n.address,
    };
  }

  // --- snapshots ----------------------------------------------------------------------------------

  /** The whole state as a JSON-ready value with every collection sorted. */
  toJson(): SnapshotJson {
    const sorted = <V>(m: Map<string, V>) => [...m].sort((a, b) => byCodeUnit(a[0], b[0]));
    return {
      version: 1,
      now: this.now,
      nextStartIndex: this.nextStartIndex,
      admissions: this.admissions,
      nodes: this.sortedNodes.map((n) => {
        const { allocated: _a, workloads: _w, ...rest } = n;
        return rest;
      }),
      heartbeats: sorted(this.heartbeats),
      reports: sorted(this.reports).map(([node, byReporter]) => [node, sorted(byReporter)] as const),
      workloads: sorted(this.workloads).map(([, w]) => w),
      quotas: this.resources.quotaLimits(),
    };
  }

  /** Rebuilds a state from {@link ClusterState.toJson} output; allocations and usage are recomputed. */
  static fromJson(json: SnapshotJson): ClusterState {
    const state = new ClusterState();
    state.now = json.now;
    state.nextStartIndex = json.nextStartIndex;
    state.admissions = json.admissions;
    for (const n of json.nodes) state.addNode(n);
    for (const [id, at] of json.heartbeats) state.heartbeats.set(id, at);
    for (const [node, byReporter] of json.reports) state.reports.set(node, new Map(byReporter));
    for (const [ns, limits] of json.quotas) state.resources.setQuota(ns, limits);
    for (const w of json.workloads) {
      const record: WorkloadRecord = { ...w, spec: w.spec, wait: w.wait === undefined ? undefined : { ...w.wait, allowed: [...w.wait.allowed] } };
      if (record.wait === undefined) delete record.wait;
      state.workloads.set(record.key, record);
      state.resources.admit(record.spec.namespace, record.spec);
      if (record.phase === 'pending') state.pending.add(record.key);
      if (record.phase === 'waiting') state.waiting.add(record.key);
      const holds = record.phase === 'waiting' || (record.phase === 'bound' && !record.released);
      if (holds && record.node !== undefined) state.resources.allocate(state.nodes.get(record.node)!, record.key, record.spec, record.phase === 'waiting');
    }
    return state;
  }
}

/** The JSON form of a {@link ClusterState}. */
export interface SnapshotJson {
  readonly version: 1;
  readonly now: number;
  readonly nextStartIndex: number;
  readonly admissions: number;
  readonly nodes: readonly Omit<NodeRecord, 'allocated' | 'workloads'>[];
  readonly heartbeats: readonly (readonly [string, number])[];
  readonly reports: readonly (readonly [string, readonly (readonly [string, TrustReport])[]])[];
  readonly workloads: readonly WorkloadRecord[];
  readonly quotas: readonly (readonly [string, QuotaLimits])[];
}
