/**
 * Request intake (§4.1, §4.4): requests arriving from clients wait here until executed. The
 * primary cuts them into batches (up to B requests, or after T ms); every backup keeps a timer
 * running while it waits for a request to execute and starts a view change when it expires
 * (restarted whenever a request executes; doubled after consecutive view changes). A backup that
 * has waited half a timeout forwards the request to the primary, in case only its copy was lost.
 */
import { PbftErrorCode } from '../errors.js';
import { encodeBatch, type Rejection } from '../messages/batch.js';
import type { Opened } from '../messages/envelope.js';
import type { ReplyEntry, RequestEntry, RequestMessage } from '../messages/types.js';
import { requestOwnershipProblem } from './batches.js';
import type { RequestOutcome } from './executor.js';
import type { Replica } from './replica.js';

/** Room kept in a PRE-PREPARE frame for its header. */
const FRAME_SLACK = 4096;

interface PendingBundle {
  /** The envelope's signature, base64: unique per envelope. */
  readonly id: string;
  readonly envelope: Uint8Array;
  readonly message: RequestMessage;
  /** Keys of its requests not yet executed. */
  readonly remaining: Set<string>;
  /** View in which this replica last forwarded it to the primary. */
  forwardedIn: number;
}

interface PendingRequest {
  readonly request: RequestEntry;
  readonly bundle: PendingBundle;
  readonly arrivedAt: number;
  /** View in which a PRE-PREPARE (sent or accepted here) included it. */
  proposedIn: number;
}

const keyOf = (client: string, timestamp: number) => `${client}#${timestamp}`;

/** Pending requests, batching and the request timer. */
export class RequestIntake {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly bundles = new Map<string, PendingBundle>();
  /** Bundles with a request not yet proposed in this view (the primary's queue), in arrival order. */
  private readonly proposable = new Set<PendingBundle>();
  private requestTimer: ReturnType<Replica['timer']> | undefined;
  private batchTimer: ReturnType<Replica['timer']> | undefined;

  constructor(private readonly r: Replica) {}

  /** Requests waiting to execute. */
  get size(): number {
    return this.pending.size;
  }

  /** When the request (client, timestamp) reached this replica, if it is pending here. */
  arrival(client: string, timestamp: number): number | undefined {
    return this.pending.get(keyOf(client, timestamp))?.arrivedAt;
  }

  /** A REQUEST from a client, or forwarded by a backup. */
  onRequest(from: string, opened: Opened<RequestMessage>): void {
    const m = opened.message;
    const problem = requestOwnershipProblem(m);
    if (problem !== undefined) {
      this.r.drop(from, 'malformed', problem);
      return;
    }
    const executor = this.r.env.executor;
    const cached: ReplyEntry[] = [];
    const fresh: RequestEntry[] = [];
    for (const request of m.requests) {
      const last = executor.lastTimestamp(request.client);
      if (last !== undefined && request.timestamp <= last) {
        const reply = executor.cachedReply(request.client, request.timestamp);
        if (reply !== undefined) cached.push(reply);
        continue;
      }
      if (!this.pending.has(keyOf(request.client, request.timestamp))) fresh.push(request);
    }
    // §4.1: a request already executed gets its cached reply again.
    if (cached.length > 0) this.r.execution.reply(m.from, cached);
    if (fresh.length === 0) return;
    if (this.pending.size + fresh.length > this.r.config.max_pending_requests) {
      this.r.drop(from, 'overloaded', `${this.pending.size} requests are already pending (max_pending_requests ${this.r.config.max_pending_requests})`);
      return;
    }
    const id = Buffer.from(opened.envelope.subarray(2, 66)).toString('base64');
    const bundle: PendingBundle = { id, envelope: opened.envelope, message: m, remaining: new Set(), forwardedIn: -1 };
    const now = this.r.now();
    for (const request of fresh) {
      const key = keyOf(request.client, request.timestamp);
      bundle.remaining.add(key);
      this.pending.set(key, { request, bundle, arrivedAt: now, proposedIn: -1 });
    }
    this.bundles.set(id, bundle);
    this.proposable.add(bundle);
    this.armRequestTimer();
    this.maybePropose();
  }

  /**
   * Requests of an accepted PRE-PREPARE are in flight in this view; `primary`, when given, is
   * credited with the delay since each request reached this replica (slow-primary detection).
   */
  markProposed(requests: readonly RequestEntry[], primary: string | undefined, at: number): void {
    // One sample per PRE-PREPARE: how long its oldest request waited here in this view.
    let waited: number | undefined;
    for (const request of requests) {
      const p = this.pending.get(keyOf(request.client, request.timestamp));
      if (p === undefined) continue;
      p.proposedIn = this.r.view;
      waited = Math.max(waited ?? 0, at - Math.max(p.arrivedAt, this.r.viewInstalledAt));
    }
    if (waited !== undefined && primary !== undefined && primary !== this.r.id) this.r.slow.observeOrdering(primary, waited);
  }

  /** Requests of an executed batch leave the queue; the timer restarts if others wait. */
  onExecuted(outcomes: readonly RequestOutcome[]): void {
    let removed = false;
    for (const { request } of outcomes) {
      const key = keyOf(request.client, request.timestamp);
      const p = this.pending.get(key);
      if (p === undefined) continue;
      this.pending.delete(key);
      this.forget(p.bundle, key);
      removed = true;
    }
    if (removed) this.restartRequestTimer();
  }

  /** After a state transfer: drop every request the installed state already executed. */
  pruneExecuted(): void {
    const executor = this.r.env.executor;
    for (const [key, p] of this.pending) {
      const last = executor.lastTimestamp(p.request.client);
      if (last !== undefined && p.request.timestamp <= last) {
        this.pending.delete(key);
        this.forget(p.bundle, key);
      }
    }
    this.restartRequestTimer();
  }

  private forget(bundle: PendingBundle, key: string): void {
    bundle.remaining.delete(key);
    if (bundle.remaining.size === 0) {
      this.bundles.delete(bundle.id);
      this.proposable.delete(bundle);
    }
  }

  /** A view was installed: re-propose what is still pending (as its primary) and re-arm the timer. */
  onNewView(): void {
    this.r.cancel(this.batchTimer);
    this.batchTimer = undefined;
    for (const bundle of this.bundles.values()) {
      if ([...bundle.remaining].some((k) => this.pending.get(k)!.proposedIn !== this.r.view)) this.proposable.add(bundle);
    }
    this.restartRequestTimer();
    this.maybePropose();
  }

  /** A view change began: no timer runs until the new view is installed. */
  onViewChange(): void {
    this.r.cancel(this.requestTimer);
    this.requestTimer = undefined;
    this.r.cancel(this.batchTimer);
    this.batchTimer = undefined;
  }

  private timeout(): number {
    return this.r.config.timeout * 2 ** Math.min(this.r.consecutiveViewChanges, 8);
  }

  private armRequestTimer(): void {
    if (this.requestTimer !== undefined || this.pending.size === 0 || !this.r.active || this.r.isPrimary) return;
    this.requestTimer = this.r.timer(() => {
      this.requestTimer = undefined;
      if (this.pending.size === 0 || !this.r.active) return;
      const primary = this.r.primary();
      this.r.faults.report(primary, 'timeout', `a request waited ${this.timeout()} ms in view ${this.r.view} without executing`);
      this.r.viewChanges.start(this.r.view + 1, `a request waited ${this.timeout()} ms without executing`);
    }, this.timeout());
  }

  private restartRequestTimer(): void {
    this.r.cancel(this.requestTimer);
    this.requestTimer = undefined;
    this.armRequestTimer();
  }

  /** Housekeeping: forward requests the primary seems not to have. */
  tick(): void {
    if (!this.r.active || this.r.isPrimary) return;
    const now = this.r.now();
    const primary = this.r.primary();
    for (const bundle of this.bundles.values()) {
      if (bundle.forwardedIn === this.r.view) continue;
      const oldest = [...bundle.remaining].map((k) => this.pending.get(k)!).find((p) => p.proposedIn !== this.r.view && now - p.arrivedAt >= this.r.config.timeout / 2);
      if (oldest === undefined) continue;
      bundle.forwardedIn = this.r.view;
      this.r.send(primary, bundle.envelope, 'request');
    }
  }

  /** As primary: propose a batch when B requests wait, or arm the T timer. */
  maybePropose(): void {
    const r = this.r;
    if (!r.isPrimary || !r.mayVote()) return;
    let waiting = 0;
    for (const bundle of this.proposable) {
      waiting += bundle.remaining.size;
      if (waiting >= r.config.batch_size) break;
    }
    if (waiting === 0) return;
    if (waiting >= r.config.batch_size || r.config.batch_timeout === 0) {
      this.proposeAll();
      return;
    }
    if (this.batchTimer === undefined) {
      this.batchTimer = r.timer(() => {
        this.batchTimer = undefined;
        this.proposeAll();
      }, r.config.batch_timeout);
    }
  }

  /** Cuts batches while requests wait and the window has room (pipelining). */
  private proposeAll(): void {
    const r = this.r;
    while (r.isPrimary && r.mayVote() && r.nextSeq <= r.high) {
      const batch = this.cutBatch();
      if (batch === undefined) return;
      r.agreement.propose(batch);
    }
  }

  private cutBatch(): Uint8Array | undefined {
    const r = this.r;
    const limit = r.env.maxMessageBytes - FRAME_SLACK;
    const bundles: Uint8Array[] = [];
    const rejections: Rejection[] = [];
    let count = 0;
    let bytes = 0;
    for (const bundle of this.proposable) {
      const fresh = [...bundle.remaining].map((k) => this.pending.get(k)!).filter((p) => p.proposedIn !== r.view);
      if (fresh.length === 0) {
        this.proposable.delete(bundle);
        continue;
      }
      if (bundles.length > 0 && (count + fresh.length > r.config.batch_size || bytes + bundle.envelope.byteLength > limit)) break;
      const index = bundles.length;
      this.proposable.delete(bundle);
      bundles.push(bundle.envelope);
      bytes += bundle.envelope.byteLength + 4;
      for (const p of fresh) p.proposedIn = r.view;
      count += fresh.length;
      bundle.message.requests.forEach((request, i) => {
        const verdict = r.env.executor.validate(request.namespace, request.operation);
        if (verdict.valid) return;
        const code = r.env.executor.has(request.namespace) ? PbftErrorCode.Invalid : PbftErrorCode.Namespace;
        rejections.push({ bundle: index, index: i, code, message: verdict.reason });
      });
      if (count >= r.config.batch_size) break;
    }
    if (bundles.length === 0) return undefined;
    return encodeBatch({ timestamp: r.now(), bundles, rejections });
  }
}
