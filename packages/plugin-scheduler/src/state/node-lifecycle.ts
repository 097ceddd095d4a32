import type { SchedulableNode } from '@hypermesh/runtime';
import { isTolerated } from '../plugins/taint-toleration.js';
import type { TrustReport } from './cluster-state.js';
import type { SchedOperation } from './operations.js';
import type { ApplyScope, PlacementQueue } from './placement-queue.js';

/** What a node registers. */
type NodeRegistration = Extract<SchedOperation, { type: 'sched.node.register' }>['node'];

/** A node's agreed trust, from the reports of the other nodes' fault detectors. */
export interface AgreedTrust {
  readonly reputation: number;
  readonly trust: SchedulableNode['trust'];
}

const TRUST_RANK: Record<SchedulableNode['trust'], number> = { active: 0, suspected: 1, isolated: 2 };

/**
 * Agrees on a node's trust from reports of distinct reporters, so that no f Byzantine reporters
 * can move an honest node (f = ⌊(n − 1) / 3⌋ for n registered nodes):
 * - the node is `isolated` (or `suspected`) when at least f + 1 reporters say so or worse;
 * - its reputation is the (f + 1)-th lowest reported value — at least one honest reporter saw it
 *   that low — and 1 while fewer than f + 1 reporters reported.
 * A node's reports about itself are not counted.
 */
export function agreeTrust(node: string, reports: ReadonlyMap<string, TrustReport> | undefined, nodeCount: number): AgreedTrust {
  const f = Math.floor(Math.max(0, nodeCount - 1) / 3);
  const need = f + 1;
  const values: number[] = [];
  const ranks: number[] = [];
  for (const [reporter, report] of reports ?? []) {
    if (reporter === node) continue;
    values.push(report.reputation);
    ranks.push(TRUST_RANK[report.trust]);
  }
  if (values.length < need) return { reputation: 1, trust: 'active' };
  values.sort((a, b) => a - b);
  ranks.sort((a, b) => b - a);
  // the need-th worst rank: at least `need` reporters say this or worse
  const rank = ranks[need - 1]!;
  return { reputation: values[need - 1]!, trust: rank === 2 ? 'isolated' : rank === 1 ? 'suspected' : 'active' };
}

/** The node behind a consensus client id (`node/slot` for PBFT, the node id itself otherwise). */
export const reporterNode = (clientId: string): string => {
  const slash = clientId.indexOf('/');
  return slash < 0 ? clientId : clientId.slice(0, slash);
};

/** How long a node has been silent, in words for reasons ("no heartbeat for 6.2 s"). */
export const silence = (now: number, last: number): string => `no heartbeat for ${((now - last) / 1000).toFixed(1)} s`;

/**
 * The node lifecycle of the replicated state (Kubernetes' node lifecycle controller): registration
 * (and `NoExecute` evictions), heartbeats, readiness from heartbeat age in agreed time, and agreed
 * trust from fault-detector reports. Taking workloads off a node goes through the placement queue.
 */
export class NodeLifecycle {
  /** A lower bound of the earliest heartbeat deadline of a ready node: lets most operations skip the scan. Not replicated — any lower bound gives the same decisions. */
  private nextDeadline = Infinity;

  constructor(
    private readonly scope: ApplyScope,
    private readonly queue: PlacementQueue,
    private readonly nodeTimeoutMs: number,
  ) {}

  /** After a restore nothing is known about deadlines: scan at the next operation. */
  forgetDeadlines(): void {
    this.nextDeadline = -Infinity;
  }

  /** Registers a node, or updates a known one (labels, taints, capacity…); it is ready again. */
  register(reg: NodeRegistration): void {
    const { state } = this.scope;
    const existing = state.nodes.get(reg.id);
    const node = existing ?? state.addNode({ ...reg, ready: true, reputation: 1, trust: 'active' });
    if (existing !== undefined) {
      Object.assign(existing, { labels: reg.labels, taints: reg.taints, capacity: reg.capacity, runtimes: reg.runtimes, address: reg.address, ready: true });
      Object.assign(existing, agreeTrust(reg.id, state.reports.get(reg.id), state.nodes.size));
      // NoExecute taints evict the workloads that do not tolerate them
      for (const placed of [...state.resources.workloadsOn(reg.id)]) {
        const taint = node.taints.find((t) => t.effect === 'NoExecute' && !isTolerated(placed.spec.tolerations, t));
        if (taint !== undefined) this.queue.unbind(state.workloads.get(placed.key)!, `evicted by taint ${taint.key}:NoExecute`);
      }
    }
    state.heartbeats.set(reg.id, state.now);
    this.nextDeadline = Math.min(this.nextDeadline, state.now + this.nodeTimeoutMs);
    this.queue.retry = true;
    this.scope.events.push({ type: 'node', node: reg.id });
  }

  /** Records a heartbeat; false for a node the state does not know (it should register). */
  heartbeat(nodeId: string): boolean {
    const { state } = this.scope;
    const node = state.nodes.get(nodeId);
    if (node === undefined) return false;
    state.heartbeats.set(nodeId, state.now);
    if (!node.ready) {
      node.ready = true;
      // keep the deadline a lower bound: this node can time out again
      this.nextDeadline = Math.min(this.nextDeadline, state.now + this.nodeTimeoutMs);
      this.queue.retry = true;
      this.scope.events.push({ type: 'node', node: nodeId });
    }
    return true;
  }

  /**
   * Records one reporter's view of a node and applies the agreed trust; isolation moves its
   * workloads. `clientId` is the submitting client as consensus authenticated it; its node (PBFT
   * client ids are `<node>/<slot>`) is the reporter, so one node counts once whatever slot it
   * used, and only registered nodes count.
   */
  report(clientId: string, nodeId: string, reputation: number, trust: SchedulableNode['trust']): void {
    const { state } = this.scope;
    const node = state.nodes.get(nodeId);
    const reporter = reporterNode(clientId);
    if (node === undefined || !state.nodes.has(reporter)) return;
    let reports = state.reports.get(nodeId);
    if (reports === undefined) state.reports.set(nodeId, (reports = new Map()));
    reports.set(reporter, { reputation, trust });
    const agreed = agreeTrust(nodeId, reports, state.nodes.size);
    if (agreed.trust === node.trust && agreed.reputation === node.reputation) return;
    const was = node.trust;
    node.reputation = agreed.reputation;
    node.trust = agreed.trust;
    this.scope.events.push({ type: 'node', node: nodeId });
    if (agreed.trust === 'isolated' && was !== 'isolated') this.evictAll(nodeId, `node '${nodeId}' is isolated by the consensus fault detector`);
    if (was === 'isolated' && agreed.trust !== 'isolated') this.queue.retry = true;
  }

  /** Marks nodes whose heartbeats stopped as not ready and reschedules their workloads. */
  expire(): void {
    const { state } = this.scope;
    const now = state.now;
    if (this.nodeTimeoutMs <= 0 || now <= this.nextDeadline) return;
    let next = Infinity;
    for (const node of state.sortedNodes) {
      const last = state.heartbeats.get(node.id) ?? 0;
      if (node.ready && now - last > this.nodeTimeoutMs) {
        node.ready = false;
        this.scope.events.push({ type: 'node', node: node.id });
        this.evictAll(node.id, `node '${node.id}' is not ready (${silence(now, last)})`);
      } else if (node.ready) {
        next = Math.min(next, last + this.nodeTimeoutMs);
      }
    }
    this.nextDeadline = next;
  }

  private evictAll(nodeId: string, reason: string): void {
    const { state } = this.scope;
    for (const placed of [...state.resources.workloadsOn(nodeId)]) this.queue.unbind(state.workloads.get(placed.key)!, reason);
    // finished workloads hold nothing but are still bound there: they move too
    for (const record of this.queue.sortedRecords((r) => r.phase === 'bound' && r.node === nodeId)) this.queue.unbind(record, reason);
  }
}
