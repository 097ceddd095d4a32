import type { HookApi, SchedulingStatus } from '@hypermesh/runtime';
import { SchedulerErrorCode } from '../errors.js';
import { Cycle, type CycleEffects } from '../framework/cycle.js';
import { permitAndBind, release, runCycle, type CycleOutcome, type FrameworkHost, type FrameworkOptions } from '../framework/framework.js';
import { formatStatus } from '../framework/status.js';
import type { ClusterState, WorkloadRecord } from './cluster-state.js';
import type { SchedResult } from './operations.js';
import type { StateEvent } from './state-machine.js';

/** What one `apply` shares between the parts of the state machine. */
export interface ApplyScope {
  /** The replicated state (replaced on restore). */
  readonly state: ClusterState;
  /** The sequence number of the operation being applied. */
  readonly sequence: number;
  /** Changes to tell local listeners after the operation. */
  readonly events: StateEvent[];
}

/**
 * The scheduling queue of the replicated state: runs scheduling cycles for workloads and records
 * their outcomes (bound, held by a permit plugin, pending with a reason), takes workloads off nodes,
 * retries pending workloads in admission order after changes that may help, and applies what
 * plugins asked of the cycle (allow, reject, evict). It is the framework's host.
 */
export class PlacementQueue implements CycleEffects, FrameworkHost {
  /** Set when something changed that may let pending workloads fit. */
  retry = false;
  private effects: (() => void)[] = [];

  constructor(
    private readonly scope: ApplyScope,
    private readonly hooks: HookApi,
    private readonly framework: FrameworkOptions,
  ) {}

  get view() {
    return this.scope.state.view;
  }
  get nextStartIndex() {
    return this.scope.state.nextStartIndex;
  }
  set nextStartIndex(value: number) {
    this.scope.state.nextStartIndex = value;
  }

  /** Runs a scheduling cycle for a pending workload and records the outcome. */
  schedule(record: WorkloadRecord): CycleOutcome {
    const outcome = runCycle(this.hooks, this, this.cycleFor(record), this.framework);
    this.settle(record, outcome);
    return outcome;
  }

  /** Takes a workload off its node (if it is on one); it becomes pending and is retried. */
  unbind(record: WorkloadRecord, reason: string): void {
    if (record.phase === 'pending') return;
    const { state } = this.scope;
    const node = record.node!;
    if (record.phase === 'waiting') {
      release(this.hooks, this, this.cycleFor(record), state.nodes.get(node)!, { code: 'unschedulable', plugin: 'framework', reason });
      state.waiting.delete(record.key);
    } else {
      state.resources.release(state.nodes.get(node), record.key);
      this.scope.events.push({ type: 'unbound', key: record.key, node, generation: record.generation, reason });
    }
    record.phase = 'pending';
    record.unschedulable = false;
    record.released = false;
    record.reason = reason;
    delete record.node;
    delete record.wait;
    delete record.run;
    delete record.placedSequence;
    state.pending.add(record.key);
    this.retry = true;
  }

  /** Applies what plugins asked for, then retries pending workloads when something changed. */
  finish(): void {
    this.drainEffects();
    if (!this.retry) return;
    this.retry = false;
    for (const record of this.sortedRecords((r) => r.phase === 'pending', this.scope.state.pending)) {
      if (record.phase === 'pending') this.schedule(record);
      this.drainEffects();
    }
  }

  /** Forgets what an aborted operation left queued. */
  reset(): void {
    this.effects = [];
    this.retry = false;
  }

  /** Releases held workloads whose permit timed out in agreed time. */
  expireWaits(): void {
    const { state } = this.scope;
    if (state.waiting.size === 0) return;
    for (const record of this.sortedRecords((r) => r.phase === 'waiting' && r.wait!.deadline <= state.now, state.waiting)) {
      this.rejectWaiting(record.key, { code: 'unschedulable', plugin: record.wait!.plugin, reason: 'permit timed out' });
    }
  }

  /** Records matching `filter`, in admission order. */
  sortedRecords(filter: (r: WorkloadRecord) => boolean, keys?: Iterable<string>): WorkloadRecord[] {
    const out: WorkloadRecord[] = [];
    const { workloads } = this.scope.state;
    if (keys === undefined) {
      for (const r of workloads.values()) if (filter(r)) out.push(r);
    } else {
      for (const k of keys) {
        const r = workloads.get(k);
        if (r !== undefined && filter(r)) out.push(r);
      }
    }
    return out.sort((a, b) => a.admitted - b.admitted);
  }

  /** What `apply` answers about a workload after a cycle (or without one, for a repeated deploy). */
  resultOf(record: WorkloadRecord, outcome: CycleOutcome | undefined): SchedResult {
    if (record.phase === 'bound') return { ok: true, outcome: 'bound', node: record.node!, sequence: record.placedSequence ?? this.scope.sequence };
    if (record.phase === 'waiting') return { ok: true, outcome: 'waiting', node: record.node!, plugin: record.wait!.plugin, reason: record.reason ?? '' };
    const plugin = outcome?.kind === 'rejected' ? outcome.status.plugin : undefined;
    const code = outcome?.kind === 'rejected' && outcome.status.code === 'error' ? SchedulerErrorCode.PluginError : SchedulerErrorCode.Unschedulable;
    return { ok: false, code, message: `workload '${record.key}' is unschedulable: ${record.reason ?? 'not yet placed'}`, ...(plugin ? { plugin } : {}) };
  }

  // --- FrameworkHost ------------------------------------------------------------------------------

  reserve(key: string, node: string): void {
    const { state } = this.scope;
    state.resources.allocate(state.nodes.get(node)!, key, state.workloads.get(key)!.spec, true);
  }

  unreserve(key: string): void {
    const { state } = this.scope;
    const node = state.resources.nodeOf(key);
    state.resources.release(node === undefined ? undefined : state.nodes.get(node), key);
  }

  bind(key: string, node: string): void {
    const { state } = this.scope;
    const record = state.workloads.get(key)!;
    state.resources.confirm(key);
    record.phase = 'bound';
    record.node = node;
    record.generation++;
    record.placedSequence = this.scope.sequence;
    record.unschedulable = false;
    record.released = false;
    delete record.reason;
    delete record.wait;
    delete record.run;
    state.pending.delete(key);
    state.waiting.delete(key);
    this.scope.events.push({ type: 'bound', key, node, generation: record.generation });
  }

  // --- CycleEffects (applied after the cycle that asked; evictions at once, to make room) --------

  allow(key: string, plugin: string): void {
    this.effects.push(() => {
      const record = this.scope.state.workloads.get(key);
      if (record?.phase !== 'waiting') return;
      if (!record.wait!.allowed.includes(plugin)) record.wait!.allowed.push(plugin);
      const cycle = this.cycleFor(record, new Set(record.wait!.allowed));
      this.settle(record, permitAndBind(this.hooks, this, cycle, this.scope.state.nodes.get(record.node!)!));
      if ((record.phase as WorkloadRecord['phase']) === 'pending') this.retry = true;
    });
  }

  reject(key: string, plugin: string, reason: string): void {
    this.effects.push(() => this.rejectWaiting(key, { code: 'unschedulable', plugin, reason }));
  }

  evict(key: string, plugin: string, reason: string): void {
    const record = this.scope.state.workloads.get(key);
    if (record !== undefined) this.unbind(record, `evicted by ${plugin}: ${reason}`);
  }

  // --- internals ----------------------------------------------------------------------------------

  private cycleFor(record: WorkloadRecord, allowed?: ReadonlySet<string>): Cycle {
    return new Cycle(record.key, record.spec, this.scope.sequence, this.scope.state.now, this.scope.state.view, this, allowed);
  }

  private settle(record: WorkloadRecord, outcome: CycleOutcome): void {
    const { state } = this.scope;
    if (outcome.kind === 'bound') return; // bind() recorded it
    if (outcome.kind === 'waiting') {
      const status = outcome.status;
      record.phase = 'waiting';
      record.node = outcome.node;
      record.wait = { plugin: status.plugin, deadline: state.now + (status.timeoutMs ?? 0), allowed: record.wait?.allowed ?? [] };
      record.reason = `waiting for permit plugin '${status.plugin}'${status.reason ? `: ${status.reason}` : ''}`;
      state.pending.delete(record.key);
      state.waiting.add(record.key);
      return;
    }
    record.phase = 'pending';
    delete record.node;
    delete record.wait;
    record.unschedulable = true;
    record.reason = outcome.reason;
    state.waiting.delete(record.key);
    state.pending.add(record.key);
    this.scope.events.push({ type: 'unschedulable', key: record.key, plugin: outcome.status.plugin, reason: outcome.reason });
  }

  private rejectWaiting(key: string, status: SchedulingStatus): void {
    const { state } = this.scope;
    const record = state.workloads.get(key);
    if (record?.phase !== 'waiting') return;
    const outcome = release(this.hooks, this, this.cycleFor(record), state.nodes.get(record.node!)!, status);
    this.settle(record, outcome);
    record.reason = formatStatus(status);
    this.retry = true;
  }

  private drainEffects(): void {
    while (this.effects.length > 0) this.effects.shift()!();
  }
}
