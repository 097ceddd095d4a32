import {
  canonicalJson,
  canonicalJsonBytes,
  type HookApi,
  type JsonValue,
  type OperationContext,
  type ReplicatedStateMachine,
  type SchedulingStatus,
  type ValidationVerdict,
} from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import { Cycle, type CycleEffects } from '../framework/cycle.js';
import { permitAndBind, release, runCycle, type CycleOutcome, type FrameworkHost, type FrameworkOptions } from '../framework/framework.js';
import { formatStatus } from '../framework/status.js';
import { isTolerated } from '../plugins/taint-toleration.js';
import type { QuotaLimits } from '../resources/resource-manager.js';
import { ClusterState, workloadKey, type NamespacedSpec, type SnapshotJson, type WorkloadRecord } from './cluster-state.js';
import { agreeTrust, silence } from './node-lifecycle.js';
import { parseOperation, type SchedOperation, type SchedResult } from './operations.js';

/** A change the state machine made, told to local listeners (agent, DNS records, waiting clients). */
export type StateEvent =
  | { readonly type: 'bound'; readonly key: string; readonly node: string; readonly generation: number }
  | { readonly type: 'unbound'; readonly key: string; readonly node: string; readonly generation: number; readonly reason: string }
  | { readonly type: 'removed'; readonly key: string; readonly spec: NamespacedSpec; readonly node?: string }
  | { readonly type: 'unschedulable'; readonly key: string; readonly plugin: string; readonly reason: string }
  | { readonly type: 'status'; readonly key: string }
  | { readonly type: 'node'; readonly node: string };

/** Options of {@link createSchedulerStateMachine}; all cluster-wide (every replica the same). */
export interface SchedulerMachineOptions {
  /** The hooks the scheduling plugins are tapped on (a node's `ctx.hooks`). */
  readonly hooks: HookApi;
  /** Framework knobs. */
  readonly framework?: Partial<FrameworkOptions>;
  /** A ready node silent for longer than this (agreed time) becomes not ready; 0 disables. Default 5000. */
  readonly nodeTimeoutMs?: number;
  /** Quotas every replica starts with. */
  readonly quotas?: Readonly<Record<string, QuotaLimits>>;
}

/** The scheduler's replicated state machine plus read access for the local node. */
export interface SchedulerStateMachine extends ReplicatedStateMachine<JsonValue, JsonValue> {
  /** The current state (read it; change it only through `apply`). */
  readonly state: ClusterState;
  /** Listens to changes; listeners run synchronously at the end of `apply` and must not throw. */
  subscribe(listener: (event: StateEvent) => void): () => void;
}

const ok = (outcome: 'done'): SchedResult => ({ ok: true, outcome });
const refused = (code: string, message: string, plugin?: string): SchedResult => ({ ok: false, code, message, ...(plugin ? { plugin } : {}) });

/**
 * Creates the `sched` state machine: every replica applies the same operations in the same order
 * and reaches the same placements. Decisions read only the replicated state and the operation
 * context (its agreed timestamp), iterate in sorted order, and break ties by hash.
 */
export function createSchedulerStateMachine(options: SchedulerMachineOptions): SchedulerStateMachine {
  return new Machine(options);
}

class Machine implements SchedulerStateMachine, CycleEffects, FrameworkHost {
  state = new ClusterState();
  private readonly listeners = new Set<(event: StateEvent) => void>();
  private readonly framework: FrameworkOptions;
  private readonly nodeTimeoutMs: number;
  private readonly initialQuotas: Readonly<Record<string, QuotaLimits>>;
  private events: StateEvent[] = [];
  private retry = false;
  private sequence = 0;
  private nextNodeDeadline = Infinity;
  private effects: (() => void)[] = [];

  constructor(private readonly options: SchedulerMachineOptions) {
    this.framework = { percentageOfNodesToScore: options.framework?.percentageOfNodesToScore ?? 0 };
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? 5000;
    this.initialQuotas = options.quotas ?? {};
    this.applyInitialQuotas();
  }

  get view() {
    return this.state.view;
  }
  get nextStartIndex() {
    return this.state.nextStartIndex;
  }
  set nextStartIndex(value: number) {
    this.state.nextStartIndex = value;
  }

  subscribe(listener: (event: StateEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  validate(operation: JsonValue): ValidationVerdict {
    const parsed = parseOperation(operation);
    return parsed.ok ? { valid: true } : { valid: false, reason: parsed.reason };
  }

  apply(operation: JsonValue, context: OperationContext): JsonValue {
    const parsed = parseOperation(operation);
    if (!parsed.ok) return refused(SchedulerErrorCode.Invalid, `invalid sched operation: ${parsed.reason}`) as JsonValue;
    this.sequence = context.sequence;
    this.events = [];
    if (context.timestamp > this.state.now) this.state.now = context.timestamp;
    this.expireNodes();
    this.expireWaits();
    let result: SchedResult;
    try {
      result = this.dispatch(parsed.op, context);
      this.drainEffects();
      if (this.retry) this.retryPending();
    } catch (err) {
      // A bug, not an input problem: every replica hits it alike, answers alike and keeps applying.
      this.effects = [];
      this.retry = false;
      result = refused(SchedulerErrorCode.Internal, `applying ${parsed.op.type} failed inside the scheduler: ${(err as Error).message}; please report this`);
    }
    const events = this.events;
    this.events = [];
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch {
          // a listener's failure must not change what the replica applied
        }
      }
    }
    return result as JsonValue;
  }

  snapshot(): Uint8Array {
    return canonicalJsonBytes(JSON.parse(JSON.stringify(this.state.toJson())) as JsonValue);
  }

  restore(snapshot: Uint8Array): void {
    let json: SnapshotJson;
    try {
      json = JSON.parse(new TextDecoder().decode(snapshot)) as SnapshotJson;
    } catch (err) {
      throw new SchedulerError(SchedulerErrorCode.Invalid, 'cannot restore the sched state machine: the snapshot is not JSON', { cause: err });
    }
    if (json?.version !== 1) {
      throw new SchedulerError(SchedulerErrorCode.Invalid, `cannot restore the sched state machine: snapshot version ${String(json?.version)} is not 1`);
    }
    this.state = ClusterState.fromJson(json);
    this.nextNodeDeadline = -Infinity;
  }

  // --- operations --------------------------------------------------------------------------------

  private dispatch(op: SchedOperation, context: OperationContext): SchedResult {
    switch (op.type) {
      case 'sched.place':
        return this.place({ ...op.spec, namespace: op.spec.namespace ?? 'default' } as NamespacedSpec);
      case 'sched.remove':
        return this.remove(workloadKey(op.name, op.namespace));
      case 'sched.reschedule': {
        const record = this.state.workloads.get(workloadKey(op.name, op.namespace));
        if (record === undefined) return notFound(op.name, op.namespace);
        this.unbind(record, 'rescheduled on request');
        return this.resultOf(record, this.schedule(record));
      }
      case 'sched.node.register':
        this.registerNode(op.node);
        return ok('done');
      case 'sched.node.heartbeat':
        return this.heartbeat(op.node)
          ? ok('done')
          : refused(SchedulerErrorCode.NotFound, `node '${op.node}' is not registered; it registers again with sched.node.register`);
      case 'sched.node.report':
        this.report(context.clientId, op.node, op.reputation, op.trust);
        return ok('done');
      case 'sched.status':
        return this.status(op);
      case 'sched.quota.set':
        this.state.resources.setQuota(op.namespace, op.limits);
        return ok('done');
    }
  }

  private place(spec: NamespacedSpec): SchedResult {
    const key = workloadKey(spec.name, spec.namespace);
    const existing = this.state.workloads.get(key);
    if (existing !== undefined && canonicalJson(existing.spec as unknown as JsonValue) === canonicalJson(spec as unknown as JsonValue)) {
      // the same deploy again (a retried submission): report where it is
      return this.resultOf(existing, undefined);
    }
    const violation = this.state.resources.quotaViolation(spec.namespace, spec, existing?.spec);
    if (violation !== undefined) return refused(SchedulerErrorCode.Quota, `workload '${key}' is refused: ${violation}`);
    let record: WorkloadRecord;
    if (existing !== undefined) {
      this.unbind(existing, 'replaced by a new spec');
      this.state.resources.forget(existing.spec.namespace, existing.spec);
      existing.spec = spec;
      record = existing;
    } else {
      record = { key, spec, admitted: this.state.admissions++, generation: 0, phase: 'pending', unschedulable: false, released: false };
      this.state.workloads.set(key, record);
      this.state.pending.add(key);
    }
    this.state.resources.admit(spec.namespace, spec);
    return this.resultOf(record, this.schedule(record));
  }

  private remove(key: string): SchedResult {
    const record = this.state.workloads.get(key);
    if (record === undefined) {
      const [namespace, name] = key.split('/') as [string, string];
      return notFound(name, namespace);
    }
    const node = record.node;
    this.unbind(record, 'removed');
    this.state.resources.forget(record.spec.namespace, record.spec);
    this.state.workloads.delete(key);
    this.state.pending.delete(key);
    this.events.push({ type: 'removed', key, spec: record.spec, ...(node ? { node } : {}) });
    return ok('done');
  }

  private status(op: Extract<SchedOperation, { type: 'sched.status' }>): SchedResult {
    const record = this.state.workloads.get(op.key);
    if (record === undefined || record.phase !== 'bound' || record.node !== op.node || record.generation !== op.generation) {
      return refused(SchedulerErrorCode.NotFound, `stale status of '${op.key}' generation ${op.generation} from node '${op.node}' ignored`);
    }
    const { type: _t, key: _k, node: _n, generation: _g, ...run } = op;
    record.run = run;
    const terminal = op.phase === 'failed' || op.phase === 'stopped';
    if (terminal && !record.released) {
      // finished for good under its restart policy: its resources go back to the node
      record.released = true;
      this.state.resources.release(this.state.nodes.get(op.node), record.key);
      this.retry = true;
    }
    this.events.push({ type: 'status', key: op.key });
    return ok('done');
  }

  // --- nodes -------------------------------------------------------------------------------------

  private registerNode(reg: Extract<SchedOperation, { type: 'sched.node.register' }>['node']): void {
    const existing = this.state.nodes.get(reg.id);
    const node = existing ?? this.state.addNode({ ...reg, ready: true, reputation: 1, trust: 'active' });
    if (existing !== undefined) {
      existing.labels = reg.labels;
      existing.taints = reg.taints;
      existing.capacity = reg.capacity;
      existing.runtimes = reg.runtimes;
      existing.address = reg.address;
      existing.ready = true;
      const agreed = agreeTrust(reg.id, this.state.reports.get(reg.id), this.state.nodes.size);
      existing.reputation = agreed.reputation;
      existing.trust = agreed.trust;
      // NoExecute taints evict the workloads that do not tolerate them
      for (const placed of [...this.state.resources.workloadsOn(reg.id)]) {
        const taint = node.taints.find((t) => t.effect === 'NoExecute' && !isTolerated(placed.spec.tolerations, t));
        if (taint !== undefined) this.unbind(this.state.workloads.get(placed.key)!, `evicted by taint ${taint.key}:NoExecute`);
      }
    }
    this.state.heartbeats.set(reg.id, this.state.now);
    this.nextNodeDeadline = Math.min(this.nextNodeDeadline, this.state.now + this.nodeTimeoutMs);
    this.retry = true;
    this.events.push({ type: 'node', node: reg.id });
  }

  private heartbeat(nodeId: string): boolean {
    const node = this.state.nodes.get(nodeId);
    if (node === undefined) return false;
    this.state.heartbeats.set(nodeId, this.state.now);
    if (!node.ready) {
      node.ready = true;
      // keep the earliest-deadline cache a lower bound: this node can time out again
      this.nextNodeDeadline = Math.min(this.nextNodeDeadline, this.state.now + this.nodeTimeoutMs);
      this.retry = true;
      this.events.push({ type: 'node', node: nodeId });
    }
    return true;
  }

  private report(reporter: string, nodeId: string, reputation: number, trust: 'active' | 'suspected' | 'isolated'): void {
    const node = this.state.nodes.get(nodeId);
    if (node === undefined) return;
    let reports = this.state.reports.get(nodeId);
    if (reports === undefined) this.state.reports.set(nodeId, (reports = new Map()));
    reports.set(reporter, { reputation, trust });
    const agreed = agreeTrust(nodeId, reports, this.state.nodes.size);
    if (agreed.trust === node.trust && agreed.reputation === node.reputation) return;
    const was = node.trust;
    node.reputation = agreed.reputation;
    node.trust = agreed.trust;
    this.events.push({ type: 'node', node: nodeId });
    if (agreed.trust === 'isolated' && was !== 'isolated') this.evictAll(node.id, `node '${nodeId}' is isolated by the consensus fault detector`);
    if (was === 'isolated' && agreed.trust !== 'isolated') this.retry = true;
  }

  /** Marks nodes whose heartbeats stopped as not ready and reschedules their workloads. */
  private expireNodes(): void {
    const now = this.state.now;
    if (this.nodeTimeoutMs <= 0 || now <= this.nextNodeDeadline) return;
    let next = Infinity;
    for (const node of this.state.sortedNodes) {
      const last = this.state.heartbeats.get(node.id) ?? 0;
      if (node.ready && now - last > this.nodeTimeoutMs) {
        node.ready = false;
        this.events.push({ type: 'node', node: node.id });
        this.evictAll(node.id, `node '${node.id}' is not ready (${silence(now, last)})`);
      } else if (node.ready) {
        next = Math.min(next, last + this.nodeTimeoutMs);
      }
    }
    this.nextNodeDeadline = next;
  }

  private evictAll(nodeId: string, reason: string): void {
    for (const placed of [...this.state.resources.workloadsOn(nodeId)]) this.unbind(this.state.workloads.get(placed.key)!, reason);
    // finished workloads hold nothing but are still bound there: they move too
    for (const record of this.sortedRecords((r) => r.phase === 'bound' && r.node === nodeId)) this.unbind(record, reason);
  }

  // --- scheduling --------------------------------------------------------------------------------

  private cycleFor(record: WorkloadRecord, allowed?: ReadonlySet<string>): Cycle {
    return new Cycle(record.key, record.spec, this.sequence, this.state.now, this.state.view, this, allowed);
  }

  private schedule(record: WorkloadRecord): CycleOutcome {
    const outcome = runCycle(this.options.hooks, this, this.cycleFor(record), this.framework);
    this.settle(record, outcome);
    return outcome;
  }

  private settle(record: WorkloadRecord, outcome: CycleOutcome): void {
    if (outcome.kind === 'bound') return; // bind() recorded it
    if (outcome.kind === 'waiting') {
      const status = outcome.status;
      record.phase = 'waiting';
      record.node = outcome.node;
      record.wait = { plugin: status.plugin, deadline: this.state.now + (status.timeoutMs ?? 0), allowed: record.wait?.allowed ?? [] };
      record.reason = `waiting for permit plugin '${status.plugin}'${status.reason ? `: ${status.reason}` : ''}`;
      this.state.pending.delete(record.key);
      this.state.waiting.add(record.key);
      return;
    }
    record.phase = 'pending';
    delete record.node;
    delete record.wait;
    record.unschedulable = true;
    record.reason = outcome.reason;
    this.state.waiting.delete(record.key);
    this.state.pending.add(record.key);
    this.events.push({ type: 'unschedulable', key: record.key, plugin: outcome.status.plugin, reason: outcome.reason });
  }

  /** Takes a workload off its node (if it is on one); it becomes pending and is retried. */
  private unbind(record: WorkloadRecord, reason: string): void {
    if (record.phase === 'pending') return;
    const node = record.node!;
    if (record.phase === 'waiting') {
      const nodeRecord = this.state.nodes.get(node)!;
      release(this.options.hooks, this, this.cycleFor(record), nodeRecord, { code: 'unschedulable', plugin: 'framework', reason });
      this.state.waiting.delete(record.key);
    } else {
      this.state.resources.release(this.state.nodes.get(node), record.key);
      this.events.push({ type: 'unbound', key: record.key, node, generation: record.generation, reason });
    }
    record.phase = 'pending';
    record.unschedulable = false;
    record.released = false;
    record.reason = reason;
    delete record.node;
    delete record.wait;
    delete record.run;
    delete record.placedSequence;
    this.state.pending.add(record.key);
    this.retry = true;
  }

  private retryPending(): void {
    this.retry = false;
    for (const record of this.sortedRecords((r) => r.phase === 'pending', this.state.pending)) {
      if (record.phase === 'pending') this.schedule(record);
      this.drainEffects();
    }
  }

  /** Records matching `filter`, in admission order. */
  private sortedRecords(filter: (r: WorkloadRecord) => boolean, keys?: Iterable<string>): WorkloadRecord[] {
    const out: WorkloadRecord[] = [];
    if (keys === undefined) {
      for (const r of this.state.workloads.values()) if (filter(r)) out.push(r);
    } else {
      for (const k of keys) {
        const r = this.state.workloads.get(k);
        if (r !== undefined && filter(r)) out.push(r);
      }
    }
    return out.sort((a, b) => a.admitted - b.admitted);
  }

  private resultOf(record: WorkloadRecord, outcome: CycleOutcome | undefined): SchedResult {
    if (record.phase === 'bound') return { ok: true, outcome: 'bound', node: record.node!, sequence: record.placedSequence ?? this.sequence };
    if (record.phase === 'waiting') {
      return { ok: true, outcome: 'waiting', node: record.node!, plugin: record.wait!.plugin, reason: record.reason ?? '' };
    }
    const plugin = outcome?.kind === 'rejected' ? outcome.status.plugin : undefined;
    const code = outcome?.kind === 'rejected' && outcome.status.code === 'error' ? SchedulerErrorCode.PluginError : SchedulerErrorCode.Unschedulable;
    return refused(code, `workload '${record.key}' is unschedulable: ${record.reason ?? 'not yet placed'}`, plugin);
  }

  // --- FrameworkHost ------------------------------------------------------------------------------

  reserve(key: string, node: string): void {
    const record = this.state.workloads.get(key)!;
    this.state.resources.allocate(this.state.nodes.get(node)!, key, record.spec, true);
  }

  unreserve(key: string): void {
    const node = this.state.resources.nodeOf(key);
    this.state.resources.release(node === undefined ? undefined : this.state.nodes.get(node), key);
  }

  bind(key: string, node: string): void {
    const record = this.state.workloads.get(key)!;
    this.state.resources.confirm(key);
    record.phase = 'bound';
    record.node = node;
    record.generation++;
    record.placedSequence = this.sequence;
    record.unschedulable = false;
    record.released = false;
    delete record.reason;
    delete record.wait;
    delete record.run;
    this.state.pending.delete(key);
    this.state.waiting.delete(key);
    this.events.push({ type: 'bound', key, node, generation: record.generation });
  }

  // --- CycleEffects (applied after the cycle that asked) ------------------------------------------

  allow(key: string, plugin: string): void {
    this.effects.push(() => {
      const record = this.state.workloads.get(key);
      if (record?.phase !== 'waiting') return;
      if (!record.wait!.allowed.includes(plugin)) record.wait!.allowed.push(plugin);
      const cycle = this.cycleFor(record, new Set(record.wait!.allowed));
      this.settle(record, permitAndBind(this.options.hooks, this, cycle, this.state.nodes.get(record.node!)!));
      if ((record.phase as WorkloadRecord['phase']) === 'pending') this.retry = true;
    });
  }

  reject(key: string, plugin: string, reason: string): void {
    this.effects.push(() => this.rejectWaiting(key, { code: 'unschedulable', plugin, reason }));
  }

  evict(key: string, plugin: string, reason: string): void {
    const record = this.state.workloads.get(key);
    if (record !== undefined) this.unbind(record, `evicted by ${plugin}: ${reason}`);
  }

  private rejectWaiting(key: string, status: SchedulingStatus): void {
    const record = this.state.workloads.get(key);
    if (record?.phase !== 'waiting') return;
    const outcome = release(this.options.hooks, this, this.cycleFor(record), this.state.nodes.get(record.node!)!, status);
    this.settle(record, outcome);
    record.reason = formatStatus(status);
    this.retry = true;
  }

  private drainEffects(): void {
    while (this.effects.length > 0) this.effects.shift()!();
  }

  private expireWaits(): void {
    if (this.state.waiting.size === 0) return;
    for (const record of this.sortedRecords((r) => r.phase === 'waiting' && r.wait!.deadline <= this.state.now, this.state.waiting)) {
      this.rejectWaiting(record.key, { code: 'unschedulable', plugin: record.wait!.plugin, reason: 'permit timed out' });
    }
  }

  private applyInitialQuotas(): void {
    for (const [namespace, limits] of Object.entries(this.initialQuotas)) this.state.resources.setQuota(namespace, limits);
  }
}

function notFound(name: string, namespace: string): SchedResult {
  return refused(SchedulerErrorCode.NotFound, `no workload '${name}' in namespace '${namespace}'; list them with scheduler.list()`);
}
