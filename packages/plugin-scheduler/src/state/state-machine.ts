import {
  canonicalJson,
  canonicalJsonBytes,
  type HookApi,
  type JsonValue,
  type OperationContext,
  type ReplicatedStateMachine,
  type ValidationVerdict,
} from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import type { FrameworkOptions } from '../framework/framework.js';
import type { QuotaLimits } from '../resources/resource-manager.js';
import { ClusterState, workloadKey, type NamespacedSpec, type SnapshotJson, type WorkloadRecord } from './cluster-state.js';
import { NodeLifecycle, reporterNode } from './node-lifecycle.js';
import { parseOperation, type SchedOperation, type SchedResult } from './operations.js';
import { PlacementQueue, type ApplyScope } from './placement-queue.js';

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

const done: SchedResult = { ok: true, outcome: 'done' };
const refused = (code: string, message: string): SchedResult => ({ ok: false, code, message });

/**
 * Creates the `sched` state machine: every replica applies the same operations in the same order
 * and reaches the same placements. Decisions read only the replicated state and the operation
 * context (its agreed timestamp), iterate in sorted order, and break ties by hash.
 */
export function createSchedulerStateMachine(options: SchedulerMachineOptions): SchedulerStateMachine {
  return new Machine(options);
}

class Machine implements SchedulerStateMachine, ApplyScope {
  state = new ClusterState();
  sequence = 0;
  events: StateEvent[] = [];
  private readonly listeners = new Set<(event: StateEvent) => void>();
  private readonly queue: PlacementQueue;
  private readonly nodes: NodeLifecycle;

  constructor(options: SchedulerMachineOptions) {
    this.queue = new PlacementQueue(this, options.hooks, { percentageOfNodesToScore: options.framework?.percentageOfNodesToScore ?? 0 });
    this.nodes = new NodeLifecycle(this, this.queue, options.nodeTimeoutMs ?? 5000);
    for (const [namespace, limits] of Object.entries(options.quotas ?? {})) this.state.resources.setQuota(namespace, limits);
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
    let result: SchedResult;
    try {
      this.nodes.expire();
      this.queue.expireWaits();
      result = this.dispatch(parsed.op, context);
      this.queue.finish();
    } catch (err) {
      // A bug, not an input problem: every replica hits it alike, answers alike and keeps applying.
      this.queue.reset();
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
    this.nodes.forgetDeadlines();
  }

  private dispatch(op: SchedOperation, context: OperationContext): SchedResult {
    const subject = op.type === 'sched.node.register' ? op.node.id : op.type === 'sched.node.heartbeat' || op.type === 'sched.status' ? op.node : undefined;
    if (subject !== undefined && reporterNode(context.clientId) !== subject) {
      // a node speaks only for itself: no registering, keeping alive or reporting for another
      return refused(SchedulerErrorCode.Invalid, `${op.type} for node '${subject}' was submitted by client '${context.clientId}'; a node may only submit it for itself`);
    }
    switch (op.type) {
      case 'sched.place':
        return this.place({ ...op.spec, namespace: op.spec.namespace ?? 'default' } as NamespacedSpec);
      case 'sched.remove':
        return this.remove(op.name, op.namespace);
      case 'sched.reschedule': {
        const record = this.state.workloads.get(workloadKey(op.name, op.namespace));
        if (record === undefined) return notFound(op.name, op.namespace);
        this.queue.unbind(record, 'rescheduled on request');
        return this.queue.resultOf(record, this.queue.schedule(record));
      }
      case 'sched.node.register':
        this.nodes.register(op.node);
        return done;
      case 'sched.node.heartbeat':
        return this.nodes.heartbeat(op.node) ? done : refused(SchedulerErrorCode.NotFound, `node '${op.node}' is not registered; it registers again with sched.node.register`);
      case 'sched.node.report':
        // the reporter is the client consensus authenticated, not a field of the operation
        this.nodes.report(context.clientId, op.node, op.reputation, op.trust);
        return done;
      case 'sched.status':
        return this.status(op);
      case 'sched.quota.set':
        this.state.resources.setQuota(op.namespace, op.limits);
        return done;
    }
  }

  private place(spec: NamespacedSpec): SchedResult {
    const key = workloadKey(spec.name, spec.namespace);
    const existing = this.state.workloads.get(key);
    if (existing !== undefined && canonicalJson(existing.spec as unknown as JsonValue) === canonicalJson(spec as unknown as JsonValue)) {
      return this.queue.resultOf(existing, undefined); // the same deploy again (a retried submission)
    }
    const violation = this.state.resources.quotaViolation(spec.namespace, spec, existing?.spec);
    if (violation !== undefined) return refused(SchedulerErrorCode.Quota, `workload '${key}' is refused: ${violation}`);
    let record: WorkloadRecord;
    if (existing !== undefined) {
      this.queue.unbind(existing, 'replaced by a new spec');
      this.state.resources.forget(existing.spec.namespace, existing.spec);
      existing.spec = spec;
      record = existing;
    } else {
      record = { key, spec, admitted: this.state.admissions++, generation: 0, phase: 'pending', unschedulable: false, released: false };
      this.state.workloads.set(key, record);
      this.state.pending.add(key);
    }
    this.state.resources.admit(spec.namespace, spec);
    return this.queue.resultOf(record, this.queue.schedule(record));
  }

  private remove(name: string, namespace: string): SchedResult {
    const key = workloadKey(name, namespace);
    const record = this.state.workloads.get(key);
    if (record === undefined) return notFound(name, namespace);
    const node = record.node;
    this.queue.unbind(record, 'removed');
    this.state.resources.forget(record.spec.namespace, record.spec);
    this.state.workloads.delete(key);
    this.state.pending.delete(key);
    this.events.push({ type: 'removed', key, spec: record.spec, ...(node ? { node } : {}) });
    return done;
  }

  private status(op: Extract<SchedOperation, { type: 'sched.status' }>): SchedResult {
    const record = this.state.workloads.get(op.key);
    if (record === undefined || record.phase !== 'bound' || record.node !== op.node || record.generation !== op.generation) {
      return refused(SchedulerErrorCode.NotFound, `stale status of '${op.key}' generation ${op.generation} from node '${op.node}' ignored`);
    }
    const { type: _t, key: _k, node: _n, generation: _g, ...run } = op;
    record.run = run;
    if ((op.phase === 'failed' || op.phase === 'stopped') && !record.released) {
      // finished for good under its restart policy: its resources go back to the node
      record.released = true;
      this.state.resources.release(this.state.nodes.get(op.node), record.key);
      this.queue.retry = true;
    }
    this.events.push({ type: 'status', key: op.key });
    return done;
  }
}

function notFound(name: string, namespace: string): SchedResult {
  return refused(SchedulerErrorCode.NotFound, `no workload '${name}' in namespace '${namespace}'; list them with scheduler.list()`);
}
