/**
 * The PBFT client (§4.1) every node runs. A request is ⟨REQUEST, o, t, c⟩: the client id c is
 * `<node id>/<slot>` — a node has many logical clients, each with at most one request outstanding,
 * which keeps the paper's exactly-once rule (one timestamp per client in flight) while a node
 * submits many operations at once. Requests made in the same tick travel together in one signed
 * REQUEST to every replica; the client accepts a result once f+1 replicas sent matching replies
 * (at least one of them is correct) and retransmits to every replica while it waits.
 */
import { canonicalJson, type ClockService, type JsonValue, type SubmitOptions, type TimerHandle } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import { PbftError, PbftErrorCode } from '../errors.js';
import type { Authenticator } from '../messages/envelope.js';
import type { ReplyEntry, ReplyMessage, RequestEntry } from '../messages/types.js';
import type { PbftMetrics } from '../metrics.js';

/** Room kept in a REQUEST frame for its header. */
const FRAME_SLACK = 1024;

interface Submission {
  readonly namespace: string;
  readonly operation: JsonValue;
  readonly size: number;
  readonly startedAt: number;
  readonly resolve: (value: JsonValue) => void;
  readonly reject: (error: Error) => void;
  client: string | undefined;
  timestamp: number;
  sentAt: number;
  /** Each replica's answer (canonical JSON) and how many replicas gave each answer. */
  readonly answers: Map<string, string>;
  readonly tally: Map<string, number>;
  deadline: TimerHandle | undefined;
  detach: (() => void) | undefined;
}

/** Options of {@link ConsensusClient}. */
export interface ClientOptions {
  readonly nodeId: string;
  readonly replicas: readonly string[];
  readonly f: number;
  readonly clock: ClockService;
  readonly auth: Authenticator;
  readonly logger: Logger;
  readonly metrics: PbftMetrics;
  readonly maxOutstanding: number;
  readonly bundleSize: number;
  readonly retransmitMs: number;
  readonly submitTimeoutMs: number;
  readonly maxMessageBytes: number;
  /** Sends a frame to one replica (this node's own replica included). */
  readonly send: (to: string, frame: Uint8Array) => void;
}

/** Submits operations and collects f+1 matching replies. */
export class ConsensusClient {
  private readonly free: number[] = [];
  private nextSlot = 0;
  private lastTimestamp = 0;
  private readonly outstanding = new Map<string, Submission>();
  private readonly waiting: Submission[] = [];
  private unsent: Submission[] = [];
  private flushQueued = false;
  private retransmitTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly o: ClientOptions) {}

  /** Requests in flight. */
  get inFlight(): number {
    return this.outstanding.size;
  }

  /** Makes later timestamps exceed `timestamp` (after recovering state that holds ours). */
  advanceTimestamp(timestamp: number): void {
    this.lastTimestamp = Math.max(this.lastTimestamp, timestamp);
  }

  /** Submits an operation; resolves with the result f+1 replicas agree on. */
  submit(namespace: string, operation: JsonValue, options: SubmitOptions = {}): Promise<JsonValue> {
    if (this.stopped) return Promise.reject(new PbftError(PbftErrorCode.Stopped, `consensus on node '${this.o.nodeId}' is stopped; submit after the node started`));
    let size: number;
    try {
      size = Buffer.byteLength(canonicalJson(operation)) + Buffer.byteLength(namespace) + 128;
    } catch (err) {
      return Promise.reject(err);
    }
    if (size > this.o.maxMessageBytes - FRAME_SLACK) {
      return Promise.reject(
        new PbftError(PbftErrorCode.TooLarge, `an operation of ${size} bytes for namespace '${namespace}' exceeds the ${this.o.maxMessageBytes}-byte message limit; store large values elsewhere and order a reference`),
      );
    }
    if (options.signal?.aborted) return Promise.reject(this.aborted(namespace));
    return new Promise<JsonValue>((resolve, reject) => {
      const s: Submission = {
        namespace,
        operation,
        size,
        startedAt: this.o.clock.now(),
        resolve,
        reject,
        client: undefined,
        timestamp: 0,
        sentAt: 0,
        answers: new Map(),
        tally: new Map(),
        deadline: undefined,
        detach: undefined,
      };
      const timeoutMs = options.timeoutMs ?? this.o.submitTimeoutMs;
      s.deadline = this.o.clock.setTimeout(() => {
        s.deadline = undefined;
        this.finish(s, 'timeout', undefined, new PbftError(PbftErrorCode.Timeout, `no f+1 (${this.o.f + 1}) matching replies for an operation in namespace '${namespace}' within ${timeoutMs} ms; the operation may still commit — check the replicas' view and connectivity`));
      }, timeoutMs);
      if (options.signal !== undefined) {
        const signal = options.signal;
        const onAbort = () => this.finish(s, 'aborted', undefined, this.aborted(namespace));
        signal.addEventListener('abort', onAbort, { once: true });
        s.detach = () => signal.removeEventListener('abort', onAbort);
      }
      if (!this.assign(s)) this.waiting.push(s);
    });
  }

  private aborted(namespace: string): PbftError {
    return new PbftError(PbftErrorCode.Aborted, `submit to namespace '${namespace}' was aborted; the operation may still commit`);
  }

  private assign(s: Submission): boolean {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.nextSlot >= this.o.maxOutstanding) return false;
      slot = this.nextSlot++;
    }
    s.client = `${this.o.nodeId}/${slot}`;
    // Strictly increasing across slots and restarts: time-based, bumped past anything used.
    this.lastTimestamp = Math.max(this.lastTimestamp + 1, Math.floor(this.o.clock.now() * 1000));
    s.timestamp = this.lastTimestamp;
    this.outstanding.set(s.client, s);
    this.unsent.push(s);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
    return true;
  }

  private flush(): void {
    this.flushQueued = false;
    const batch = this.unsent;
    this.unsent = [];
    this.transmit(batch.filter((s) => s.client !== undefined && this.outstanding.get(s.client) === s));
    this.armRetransmit();
  }

  /** Sends requests to every replica, in REQUEST messages of up to B requests. */
  private transmit(submissions: readonly Submission[]): void {
    const now = this.o.clock.now();
    let group: Submission[] = [];
    let bytes = 0;
    const send = () => {
      if (group.length === 0) return;
      const requests: RequestEntry[] = group.map((s) => ({ client: s.client!, timestamp: s.timestamp, namespace: s.namespace, operation: s.operation }));
      const frame = this.o.auth.seal({ type: 'request', from: this.o.nodeId, requests });
      for (const replica of this.o.replicas) this.o.send(replica, frame);
      group = [];
      bytes = 0;
    };
    for (const s of submissions) {
      if (group.length >= this.o.bundleSize || bytes + s.size > this.o.maxMessageBytes - FRAME_SLACK) send();
      s.sentAt = now;
      group.push(s);
      bytes += s.size;
    }
    send();
  }

  private armRetransmit(): void {
    if (this.retransmitTimer !== undefined || this.outstanding.size === 0 || this.stopped) return;
    this.retransmitTimer = this.o.clock.setTimeout(() => {
      this.retransmitTimer = undefined;
      const now = this.o.clock.now();
      const due = [...this.outstanding.values()].filter((s) => now - s.sentAt >= this.o.retransmitMs);
      if (due.length > 0) this.transmit(due);
      this.armRetransmit();
    }, this.o.retransmitMs);
  }

  /** True when a REPLY would answer something still outstanding that its sender has not answered. */
  wants(message: ReplyMessage): boolean {
    return message.replies.some((entry) => {
      const s = this.outstanding.get(entry.client);
      return s !== undefined && s.timestamp === entry.timestamp && !s.answers.has(message.from);
    });
  }

  /** A REPLY from replica `from` (already verified, `from` a replica). */
  onReply(from: string, message: ReplyMessage): void {
    for (const entry of message.replies) {
      const s = this.outstanding.get(entry.client);
      if (s === undefined || s.timestamp !== entry.timestamp || s.answers.has(from)) continue;
      const answer = canonicalJson(('error' in entry ? { error: entry.error } : { result: entry.result }) as JsonValue);
      s.answers.set(from, answer);
      const count = (s.tally.get(answer) ?? 0) + 1;
      s.tally.set(answer, count);
      if (count >= this.o.f + 1) this.settle(s, entry);
    }
  }

  private settle(s: Submission, entry: ReplyEntry): void {
    if ('error' in entry) {
      const code = (Object.values(PbftErrorCode) as string[]).includes(entry.error.code) ? (entry.error.code as PbftErrorCode) : PbftErrorCode.ApplyFailed;
      this.finish(s, 'error', undefined, new PbftError(code, `${entry.error.message} (namespace '${s.namespace}', agreed by ${this.o.f + 1} replicas)`, { details: { code: entry.error.code } }));
    } else {
      this.finish(s, 'ok', entry.result, undefined);
    }
  }

  private finish(s: Submission, outcome: string, result: JsonValue | undefined, error: Error | undefined): void {
    if (s.deadline !== undefined) this.o.clock.clearTimeout(s.deadline);
    s.deadline = undefined;
    s.detach?.();
    const queued = this.waiting.indexOf(s);
    if (queued >= 0) this.waiting.splice(queued, 1);
    if (s.client !== undefined && this.outstanding.get(s.client) === s) {
      this.outstanding.delete(s.client);
      this.free.push(Number(s.client.slice(s.client.lastIndexOf('/') + 1)));
      const next = this.waiting.shift();
      if (next !== undefined) this.assign(next);
    }
    this.o.metrics.submitDuration.observe({ outcome }, Math.max(0, this.o.clock.now() - s.startedAt) / 1000);
    if (error === undefined) s.resolve(result!);
    else s.reject(error);
  }

  /** Rejects everything in flight; later submits fail. */
  stop(): void {
    this.stopped = true;
    if (this.retransmitTimer !== undefined) this.o.clock.clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
    for (const s of [...this.outstanding.values(), ...this.waiting]) {
      this.finish(s, 'stopped', undefined, new PbftError(PbftErrorCode.Stopped, `consensus on node '${this.o.nodeId}' stopped before the operation was answered; it may still commit`));
    }
  }
}
