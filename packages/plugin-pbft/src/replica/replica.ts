/**
 * A PBFT replica (Castro & Liskov): the hub that holds the protocol state and routes verified
 * messages to the part of the protocol they belong to. Each part lives in its own file:
 * requests (intake, batching, the view-change timer), agreement (PRE-PREPARE / PREPARE / COMMIT),
 * execution, checkpoints, view changes, state transfer, and status (retransmission).
 */
import type { ClockService, CommittedOperation, ConsensusStatus, NodeSuspicion, TimerHandle, TransportService } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import type { PbftConfig } from '../config.js';
import { FaultDetector } from '../faults/fault-detector.js';
import { SlowPrimaryMonitor } from '../faults/slow-primary.js';
import type { Authenticator, Opened } from '../messages/envelope.js';
import type { Digest, PbftMessage, RequestEntry } from '../messages/types.js';
import type { DropReason, PbftMetrics } from '../metrics.js';
import type { ReplicaStorage } from '../storage/storage.js';
import { Agreement } from './agreement.js';
import { BatchStore } from './batches.js';
import { Checkpoints } from './checkpoints.js';
import { Execution } from './execution.js';
import type { Executor } from './executor.js';
import type { ReplicaGroup } from './group.js';
import { MessageLog } from './log.js';
import { recover } from './recovery.js';
import { RequestIntake } from './requests.js';
import { StateTransfer } from './state-transfer.js';
import { StatusExchange } from './status.js';
import { ViewChanges } from './view-change.js';

/** The transport channel PBFT messages travel on. */
export const CHANNEL = 'pbft';

/** Messages for views this far ahead are buffered until the view is entered. */
const MAX_FUTURE_MESSAGES = 4096;

/** Callbacks that let tests and simulations watch a replica's decisions. */
export interface ReplicaObserver {
  /** A batch was executed (also null batches and batches replayed from disk), with what it applied. */
  executed?(event: {
    readonly seq: number;
    readonly view: number;
    readonly digest: Digest;
    readonly requests: readonly RequestEntry[];
    readonly applied: readonly CommittedOperation[];
  }): void;
  /** This replica took a checkpoint. */
  checkpoint?(event: { readonly seq: number; readonly digest: Digest }): void;
  /** A state snapshot was installed from peers. */
  stateTransferred?(event: { readonly seq: number; readonly digest: Digest }): void;
  /** This replica started a view change (sent VIEW-CHANGE for `view`). */
  viewChangeStarted?(view: number, reason: string): void;
  /** A new view was installed. */
  viewInstalled?(view: number): void;
}

/** What a replica needs from the node it runs on. */
export interface ReplicaEnvironment {
  readonly id: string;
  readonly group: ReplicaGroup;
  readonly config: PbftConfig;
  readonly clock: ClockService;
  readonly transport: TransportService;
  readonly auth: Authenticator;
  readonly storage: ReplicaStorage;
  readonly executor: Executor;
  readonly metrics: PbftMetrics;
  readonly logger: Logger;
  readonly observer: ReplicaObserver | undefined;
  /** Largest frame sent or accepted. */
  readonly maxMessageBytes: number;
  /** Hands a frame to this node's own engine (replies to the local client). */
  readonly deliverLocal: (frame: Uint8Array) => void;
  /** Counts and logs a dropped message. */
  readonly drop: (sender: string, reason: DropReason, detail: string) => void;
  /** After each operation a state machine applied. */
  readonly committed: (operation: CommittedOperation) => void;
  /** The fault detector acted against a node. */
  readonly suspected: (suspicion: NodeSuspicion) => void;
  /** An anomaly score for a node from analytics, if that service is present. */
  readonly analyticsScore: (nodeId: string) => number | undefined;
}

/** One replica of the group. */
export class Replica {
  readonly id: string;
  readonly group: ReplicaGroup;
  readonly config: PbftConfig;
  readonly log = new MessageLog();
  readonly batches: BatchStore;
  readonly faults: FaultDetector;
  readonly slow: SlowPrimaryMonitor;

  /** The current view, or the view being changed to while `active` is false. */
  view = 0;
  /** False while changing views. */
  active = true;
  /** True once the NEW-VIEW of `view` was installed (view 0 has none). */
  newViewInstalled = true;
  /** When the current view was installed (ms). */
  viewInstalledAt = 0;
  /** After a restart: views ≤ this one get no PRE-PREPARE, PREPARE, COMMIT or NEW-VIEW from us. */
  floorView = -1;
  lastExecuted = 0;
  /** The next sequence number this replica assigns as primary. */
  nextSeq = 1;
  /** View changes since the last request executed in an installed view (timeouts double). */
  consecutiveViewChanges = 0;

  readonly requests: RequestIntake;
  readonly agreement: Agreement;
  readonly execution: Execution;
  readonly checkpoints: Checkpoints;
  readonly viewChanges: ViewChanges;
  readonly transfer: StateTransfer;
  readonly status: StatusExchange;

  private readonly timers = new Set<TimerHandle>();
  private future: { from: string; opened: Opened; view: number }[] = [];
  private running = false;

  constructor(readonly env: ReplicaEnvironment) {
    this.id = env.id;
    this.group = env.group;
    this.config = env.config;
    this.batches = new BatchStore(env.auth);
    const fd = env.config.fault_detector;
    this.slow = new SlowPrimaryMonitor({ factor: fd.slow_primary_factor, marginMs: fd.slow_primary_margin, batchTimeoutMs: env.config.batch_timeout });
    this.faults = new FaultDetector({
      self: env.id,
      replicas: env.group.ids,
      f: env.group.f,
      enabled: fd.enabled,
      isolation: fd.isolation,
      halfLifeMs: fd.half_life,
      now: () => env.clock.now(),
      isPrimary: (node) => this.active && this.group.primary(this.view) === node,
      requestViewChange: (node, reasons) => this.viewChanges.start(this.view + 1, `the fault detector blames primary '${node}': ${reasons.at(-1) ?? ''}`),
      onSuspicion: env.suspected,
    });
    this.requests = new RequestIntake(this);
    this.agreement = new Agreement(this);
    this.execution = new Execution(this);
    this.checkpoints = new Checkpoints(this);
    this.viewChanges = new ViewChanges(this);
    this.transfer = new StateTransfer(this);
    this.status = new StatusExchange(this);
  }

  /** Low watermark h: the last stable checkpoint. */
  get low(): number {
    return this.checkpoints.stable.seq;
  }

  /** High watermark h + L. */
  get high(): number {
    return this.low + this.config.watermark_window;
  }

  /** True when `seq` lies in (h, h + L]. */
  inWindow(seq: number): boolean {
    return seq > this.low && seq <= this.high;
  }

  /** The primary of `view` (default: the current view). */
  primary(view = this.view): string {
    return this.group.primary(view);
  }

  /** True when this replica is the primary of the current, installed view. */
  get isPrimary(): boolean {
    return this.active && this.group.primary(this.view) === this.id;
  }

  /** True when this replica may vote (PRE-PREPARE/PREPARE/COMMIT/NEW-VIEW) in `view`. */
  mayVote(view = this.view): boolean {
    return view > this.floorView;
  }

  /** The clock's time. */
  now(): number {
    return this.env.clock.now();
  }

  /** Signs a message. */
  seal(message: PbftMessage): Uint8Array {
    return this.env.auth.seal(message);
  }

  /** Sends a frame to one node (to itself through the engine). */
  send(to: string, frame: Uint8Array, type: PbftMessage['type']): void {
    if (!this.running) return;
    if (to === this.id) {
      this.env.deliverLocal(frame);
      return;
    }
    if (frame.byteLength > this.env.maxMessageBytes) {
      this.env.metrics.sendFailures.inc({ type });
      this.env.logger.warn({ type, bytes: frame.byteLength, limit: this.env.maxMessageBytes }, `a ${type} of ${frame.byteLength} bytes exceeds the message limit and was not sent`);
      return;
    }
    try {
      this.env.transport.send(to, CHANNEL, frame);
    } catch (err) {
      this.env.metrics.sendFailures.inc({ type });
      this.env.logger.debug({ err, to, type }, 'transport refused a message');
    }
  }

  /** Sends a frame to every other replica. */
  broadcast(frame: Uint8Array, type: PbftMessage['type']): void {
    for (const id of this.group.ids) if (id !== this.id) this.send(id, frame, type);
  }

  /** Counts and logs a dropped message. */
  drop(sender: string, reason: DropReason, detail: string): void {
    this.env.drop(sender, reason, detail);
  }

  /** A timer that is cancelled when the replica stops. */
  timer(callback: () => void, delayMs: number): TimerHandle {
    const handle = this.env.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (this.running) callback();
    }, delayMs);
    this.timers.add(handle);
    return handle;
  }

  /** Cancels a timer made by {@link timer}. */
  cancel(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.env.clock.clearTimeout(handle);
    this.timers.delete(handle);
  }

  /** Recovers from storage and starts the housekeeping tick. */
  start(): void {
    recover(this, this.env.storage.load());
    this.running = true;
    const interval = this.env.clock.setInterval(() => this.tick(), this.config.status_interval);
    this.timers.add(interval);
    this.env.logger.info(
      { view: this.view, lastExecuted: this.lastExecuted, stable: this.low, n: this.group.n, f: this.group.f, abstainUpTo: this.floorView },
      `replica ${this.id} started (n=${this.group.n}, f=${this.group.f})`,
    );
  }

  /** Stops timers and closes storage. */
  stop(): void {
    this.running = false;
    for (const t of this.timers) this.env.clock.clearTimeout(t);
    this.timers.clear();
    this.env.storage.close();
  }

  /** Routes a verified message. `from` is the transport-authenticated sender. */
  receive(from: string, opened: Opened): void {
    if (!this.running) return;
    const m = opened.message;
    switch (m.type) {
      case 'request':
        return this.requests.onRequest(from, opened as Opened<typeof m>);
      case 'pre-prepare':
      case 'prepare':
      case 'commit':
        if (this.viewGate(from, opened, m.view)) this.agreement.receive(opened as Opened<typeof m>);
        return;
      case 'checkpoint':
        return this.checkpoints.onCheckpoint(opened as Opened<typeof m>);
      case 'view-change':
        return this.viewChanges.onViewChange(from, opened as Opened<typeof m>);
      case 'new-view':
        return this.viewChanges.onNewView(from, opened as Opened<typeof m>);
      case 'status':
        return this.status.onStatus(m);
      case 'stable-checkpoint':
        return this.checkpoints.onStableCheckpoint(m);
      case 'fetch-batches':
      case 'batch':
      case 'fetch-state':
      case 'state-chunk':
      case 'fetch-committed':
      case 'committed':
        return this.transfer.receive(opened);
      case 'reply':
        return;
    }
  }

  /**
   * Decides what to do with a normal-case message of `view`: process it now, keep it until that
   * view is entered (the NEW-VIEW may still be on its way), or drop it.
   */
  private viewGate(from: string, opened: Opened, view: number): boolean {
    if (view === this.view && this.active) return true;
    if (view < this.view) {
      this.drop(from, 'stale', `${opened.message.type} for view ${view}; this replica is in view ${this.view}`);
      return false;
    }
    if (view <= this.view + 1) {
      if (this.future.length >= MAX_FUTURE_MESSAGES) this.future.shift();
      this.future.push({ from, opened, view });
      return false;
    }
    this.drop(from, 'wrong-view', `${opened.message.type} for view ${view}, far ahead of view ${this.view}`);
    this.faults.report(opened.message.from, 'wrong-view', `sent a ${opened.message.type} for view ${view} while the group was in view ${this.view}`);
    return false;
  }

  /** Replays messages kept for the view just entered. */
  replayFuture(): void {
    const ready = this.future.filter((f) => f.view === this.view);
    this.future = this.future.filter((f) => f.view > this.view);
    for (const f of ready) this.receive(f.from, f.opened);
  }

  private tick(): void {
    if (!this.running) return;
    this.faults.tick();
    this.requests.tick();
    this.checkpoints.tick();
    this.transfer.tick();
    this.status.tick();
    const analytics = this.group.ids.map((id) => [id, this.env.analyticsScore(id)] as const);
    for (const [id, score] of analytics) {
      if (score !== undefined && score > 0.6) this.faults.report(id, 'analytics', `analytics anomaly score ${score.toFixed(2)}`, score - 0.6);
    }
    if (this.active) {
      const verdict = this.slow.verdict(this.primary());
      if (verdict !== undefined && this.primary() !== this.id) this.faults.report(this.primary(), 'slow-primary', verdict);
    }
    if (this.batches.size > 4 * this.config.watermark_window) this.collectBatches();
    if (this.env.storage.dirty) this.env.storage.sync();
  }

  /** Drops batch bodies no slot needs any more. */
  collectBatches(): void {
    const live = new Set<Digest>();
    for (const s of this.log.values()) {
      for (const d of [s.prePrepare?.digest, s.awaitingBody?.digest, s.prepared?.digest, s.committed?.digest]) if (d !== undefined) live.add(d);
    }
    for (const d of this.transfer.wantedBatches()) live.add(d);
    this.batches.retain(live);
  }

  /** The protocol state, as `consensus.status()` reports it. */
  describe(): ConsensusStatus {
    return {
      nodeId: this.id,
      n: this.group.n,
      f: this.group.f,
      view: this.view,
      primary: this.primary(),
      viewChangeInProgress: !this.active,
      lastExecuted: this.lastExecuted,
      stableCheckpoint: this.low,
      replicas: this.group.ids.map((id) => ({ id, reputation: this.faults.reputation(id), state: this.faults.state(id) })),
    };
  }
}
