import type { NamespaceQuota, PlacedWorkload, ResourceQuantities, SchedulableNode, WorkloadSpec } from '@hypermesh/runtime';
import { addInto, copy, firstExceeded, formatQuantity, RESOURCE_NAMES, subtractInto, zero, type MutableQuantities } from './quantities.js';
import { byCodeUnit, insertSorted, removeSorted } from './sorted.js';

/** A node as the resource manager keeps it: the public view plus mutable sums. */
export interface NodeRecord extends SchedulableNode {
  labels: Readonly<Record<string, string>>;
  capacity: ResourceQuantities;
  readonly allocated: MutableQuantities;
  taints: SchedulableNode['taints'];
  ready: boolean;
  workloads: number;
  reputation: number;
  trust: SchedulableNode['trust'];
  runtimes: readonly string[];
  address: string;
}

/** A namespace quota's limits. */
export type QuotaLimits = NamespaceQuota['limits'];

interface Usage extends MutableQuantities {
  workloads: number;
}

const placedKey = (w: PlacedWorkload) => w.key;

/**
 * The resource manager: node capacity and allocations (which workloads hold what on which node),
 * and namespace quotas with their usage. Allocation lists are kept sorted by workload key so that
 * every replica — including one restored from a snapshot — iterates them in the same order.
 */
export class ResourceManager {
  private readonly byNode = new Map<string, PlacedWorkload[]>();
  private readonly allocations = new Map<string, PlacedWorkload>();
  private readonly placedSorted: PlacedWorkload[] = [];
  private readonly limits = new Map<string, QuotaLimits>();
  private readonly usage = new Map<string, Usage>();

  /** Allocates `spec`'s resources on `node` for workload `key` (reserve or bind). */
  allocate(node: NodeRecord, key: string, spec: WorkloadSpec, waiting: boolean): void {
    this.release(node, key);
    const placed: PlacedWorkload = { key, spec, node: node.id, waiting };
    addInto(node.allocated, spec.resources);
    node.workloads++;
    this.allocations.set(key, placed);
    let list = this.byNode.get(node.id);
    if (list === undefined) this.byNode.set(node.id, (list = []));
    insertSorted(list, placed, placedKey);
    insertSorted(this.placedSorted, placed, placedKey);
  }

  /** Marks an allocation as bound (no longer held by a permit plugin). */
  confirm(key: string): void {
    const placed = this.allocations.get(key);
    if (placed === undefined || !placed.waiting) return;
    const bound: PlacedWorkload = { ...placed, waiting: false };
    this.allocations.set(key, bound);
    insertSorted(this.byNode.get(placed.node)!, bound, placedKey);
    insertSorted(this.placedSorted, bound, placedKey);
  }

  /** Releases whatever workload `key` holds (on `node`, when the caller knows the record). */
  release(node: NodeRecord | undefined, key: string): void {
    const placed = this.allocations.get(key);
    if (placed === undefined) return;
    this.allocations.delete(key);
    if (node !== undefined && node.id === placed.node) {
      subtractInto(node.allocated, placed.spec.resources);
      node.workloads--;
    }
    removeSorted(this.byNode.get(placed.node) ?? [], key, placedKey);
    removeSorted(this.placedSorted, key, placedKey);
  }

  /** The node a workload holds resources on. */
  nodeOf(key: string): string | undefined {
    return this.allocations.get(key)?.node;
  }

  /** The workloads holding resources on a node, sorted by key. */
  workloadsOn(nodeId: string): readonly PlacedWorkload[] {
    return this.byNode.get(nodeId) ?? [];
  }

  /** Every allocation, sorted by key. */
  placed(): readonly PlacedWorkload[] {
    return this.placedSorted;
  }

  // --- namespaces -------------------------------------------------------------------------------

  /** Sets a namespace's quota (an omitted resource is unlimited). */
  setQuota(namespace: string, limits: QuotaLimits): void {
    this.limits.set(namespace, { ...limits });
  }

  /**
   * Why admitting `spec` (in place of `replacing`, for an update) would exceed its namespace's
   * quota, or `undefined` when it fits.
   */
  quotaViolation(namespace: string, spec: WorkloadSpec, replacing?: WorkloadSpec): string | undefined {
    const limits = this.limits.get(namespace);
    if (limits === undefined) return undefined;
    const used: Usage = { ...this.usageOf(namespace) };
    if (replacing !== undefined) {
      subtractInto(used, replacing.resources);
      used.workloads--;
    }
    if (limits.workloads !== undefined && used.workloads + 1 > limits.workloads) {
      return `namespace '${namespace}' may run ${limits.workloads} workloads and runs ${used.workloads}`;
    }
    const kind = firstExceeded(used, spec.resources, limits);
    if (kind === undefined) return undefined;
    return `namespace '${namespace}' would use ${formatQuantity(kind, used[kind] + spec.resources[kind])} ${RESOURCE_NAMES[kind]} of its quota of ${formatQuantity(kind, limits[kind]!)}`;
  }

  /** Counts an admitted workload against its namespace. */
  admit(namespace: string, spec: WorkloadSpec): void {
    let used = this.usage.get(namespace);
    if (used === undefined) this.usage.set(namespace, (used = { ...zero(), workloads: 0 }));
    addInto(used, spec.resources);
    used.workloads++;
  }

  /** Stops counting a workload against its namespace. */
  forget(namespace: string, spec: WorkloadSpec): void {
    const used = this.usage.get(namespace);
    if (used === undefined) return;
    subtractInto(used, spec.resources);
    used.workloads--;
  }

  /** Every namespace with a quota or workloads, sorted by name. */
  quotas(): NamespaceQuota[] {
    const names = new Set([...this.limits.keys(), ...this.usage.keys()]);
    return [...names].sort(byCodeUnit).map((namespace) => ({
      namespace,
      limits: { ...(this.limits.get(namespace) ?? {}) },
      used: { ...this.usageOf(namespace) },
    }));
  }

  /** The quota limits, for snapshots. */
  quotaLimits(): [string, QuotaLimits][] {
    return [...this.limits].sort((a, b) => byCodeUnit(a[0], b[0]));
  }

  private usageOf(namespace: string): Usage {
    return this.usage.get(namespace) ?? { ...zero(), workloads: 0 };
  }
}

/** A node record with nothing allocated. */
export function newNodeRecord(fields: Omit<NodeRecord, 'allocated' | 'workloads'>): NodeRecord {
  return { ...fields, capacity: copy(fields.capacity), allocated: zero(), workloads: 0 };
}
