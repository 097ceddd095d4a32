import type { ClockService, LogLine, TimerHandle } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import type { ContainerRuntime } from '../containers/container-runtime.js';
import type { Removal } from '../containers/ownership.js';
import type { RuntimeSelection } from '../containers/select-runtime.js';
import type { ClusterState, RunReport, WorkloadRecord } from '../state/cluster-state.js';
import { LogBuffer } from './log-buffer.js';
import type { BackoffSettings } from './restart-policy.js';
import { WorkloadRunner } from './workload-runner.js';

/** Options of {@link NodeAgent}. */
export interface NodeAgentOptions {
  readonly nodeId: string;
  /** The prefix of this node's container ids (`ownerPrefix(nodeId, stateDir)`). */
  readonly idPrefix: string;
  readonly clock: ClockService;
  readonly logger: Logger;
  /** The runtimes chosen for this node. */
  readonly runtimes: RuntimeSelection;
  /** The replicated state, as this node's replica has it. */
  readonly state: () => ClusterState;
  /** Where the node's workloads are reachable. */
  readonly address: string;
  readonly logLines: number;
  readonly backoff: BackoffSettings;
  readonly stopGraceMs: number;
  /** Submits a `sched.status` report for a workload generation. */
  report(key: string, generation: number, run: RunReport): void;
  /** Metrics hooks. */
  readonly counters?: { restart(): void; healthFailure(kind: string): void; orphanRemoved?(kind: Removal['kind']): void };
}

/** How often the agent reconciles without being told of a change. */
const RESYNC_MS = 5000;

/**
 * The node agent (Kubernetes' kubelet in miniature): level-triggered, it runs a
 * {@link WorkloadRunner} for every workload generation the replicated state binds to this node and
 * stops those it no longer binds here (removed, moved, replaced). Its containers' ids start with a
 * per-node prefix (`ownerPrefix`), so a restarted agent removes what a crashed run of the same node
 * left behind — and nothing of other nodes on the host.
 */
export class NodeAgent {
  private readonly runners = new Map<string, WorkloadRunner>();
  private readonly logs = new Map<string, LogBuffer>();
  private readonly stopping = new Set<Promise<void>>();
  private resync: TimerHandle | undefined;
  private queued = false;
  private closed = false;
  /** The prefix of this node's container ids. */
  readonly idPrefix: string;

  constructor(private readonly options: NodeAgentOptions) {
    this.idPrefix = options.idPrefix;
  }

  /**
   * Removes leftovers of an earlier run of this node (a crash: its runc containers, bundles and
   * cgroups, its recorded process groups still alive, work directories), logging and counting
   * each, then starts reconciling.
   */
  async start(): Promise<void> {
    const { logger, counters } = this.options;
    for (const runtime of this.runtimeList()) {
      await runtime.cleanup(this.idPrefix, (removal) => {
        logger.warn({ runtime: runtime.name, kind: removal.kind, id: removal.id }, `removed ${removal.kind} '${removal.id}' left behind by an earlier run of this node`);
        counters?.orphanRemoved?.(removal.kind);
      });
    }
    this.resync = this.options.clock.setInterval(() => this.reconcile(), RESYNC_MS);
    this.reconcile();
  }

  /** Asks for a reconcile soon (coalesced). */
  changed(): void {
    if (this.queued || this.closed) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.reconcile();
    });
  }

  /** Brings running containers in line with the state. */
  reconcile(): void {
    if (this.closed) return;
    const wanted = new Map<string, WorkloadRecord>();
    for (const record of this.options.state().workloads.values()) {
      if (record.phase === 'bound' && !record.released && record.node === this.options.nodeId) wanted.set(`${record.key}#${record.generation}`, record);
    }
    for (const [id, runner] of this.runners) {
      if (wanted.has(id)) continue;
      this.runners.delete(id);
      this.track(runner.stop());
    }
    for (const [id, record] of wanted) {
      if (this.runners.has(id)) continue;
      const runner = this.runnerFor(record);
      this.runners.set(id, runner);
      runner.start();
    }
    // keep the logs of workloads still known to the cluster (a moved workload's last words)
    const known = this.options.state().workloads;
    for (const key of this.logs.keys()) if (!known.has(key)) this.logs.delete(key);
  }

  /** The last lines of a workload's output here, or `undefined` when it never ran here. */
  logsOf(key: string, tail?: number): LogLine[] | undefined {
    return this.logs.get(key)?.tail(tail);
  }

  /** How many workload generations run (or back off) here. */
  get running(): number {
    return this.runners.size;
  }

  /** Stops every container (gracefully) and removes them. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.resync !== undefined) this.options.clock.clearTimeout(this.resync);
    for (const runner of this.runners.values()) this.track(runner.stop());
    this.runners.clear();
    await Promise.all([...this.stopping]);
    for (const runtime of this.runtimeList()) await runtime.cleanup(this.idPrefix);
  }

  private runnerFor(record: WorkloadRecord): WorkloadRunner {
    const { runtimes } = this.options;
    const wanted = record.spec.runtime ?? 'auto';
    const runtime: ContainerRuntime = wanted === 'process' ? runtimes.process : wanted === 'runc' ? (runtimes.runc ?? runtimes.preferred) : runtimes.preferred;
    let logs = this.logs.get(record.key);
    if (logs === undefined) this.logs.set(record.key, (logs = new LogBuffer(this.options.logLines)));
    const { key, generation } = record;
    return new WorkloadRunner(
      {
        clock: this.options.clock,
        logger: this.options.logger,
        runtime,
        logs,
        address: this.options.address,
        idPrefix: this.idPrefix,
        backoff: this.options.backoff,
        stopGraceMs: this.options.stopGraceMs,
        report: (run) => this.options.report(key, generation, run),
        onRestart: () => this.options.counters?.restart(),
        onHealthFailure: (kind) => this.options.counters?.healthFailure(kind),
      },
      key,
      generation,
      record.spec,
    );
  }

  private track(stop: Promise<void>): void {
    const tracked = stop.catch((err: Error) => this.options.logger.warn({ err: err.message }, 'stopping a workload failed')).finally(() => this.stopping.delete(tracked));
    this.stopping.add(tracked);
  }

  private runtimeList(): ContainerRuntime[] {
    const { runtimes } = this.options;
    return runtimes.runc === undefined ? [runtimes.process] : [runtimes.runc, runtimes.process];
  }
}
