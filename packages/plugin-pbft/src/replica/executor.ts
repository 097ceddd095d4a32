/**
 * Execution: dispatches committed requests to the state machine of their namespace, in order, and
 * keeps the last reply of every client (§4.1: exactly-once — a request whose timestamp is not newer
 * than the client's last executed one is not executed again). The state machines and the reply
 * cache together are the replica's state: that is what checkpoints digest and state transfer moves.
 */
import { canonicalJson, canonicalJsonBytes, type CommittedOperation, type JsonValue, type ReplicatedStateMachine, type ValidationVerdict } from '@hypermesh/runtime';
import { PbftError, PbftErrorCode } from '../errors.js';
import { fromBase64, toBase64 } from '../messages/envelope.js';
import type { ReplyEntry, RequestEntry } from '../messages/types.js';

/** A request as it sits in a committed batch, with the primary's refusal if there was one. */
export interface OrderedRequest {
  readonly request: RequestEntry;
  readonly rejection?: { readonly code: string; readonly message: string };
}

/** Where the batch being executed sits in the agreed order. */
export interface BatchPosition {
  readonly sequence: number;
  readonly view: number;
  /** The primary's timestamp for the batch. */
  readonly timestamp: number;
}

/** The outcome of one request of a batch. */
export interface RequestOutcome {
  readonly request: RequestEntry;
  /** The reply to send, or `undefined` when the request was a duplicate and was not executed. */
  readonly reply: ReplyEntry | undefined;
  /** Set when a state machine applied the operation. */
  readonly committed: CommittedOperation | undefined;
}

interface CachedReply {
  readonly timestamp: number;
  readonly reply: ReplyEntry;
}

/** Runs state machines and the reply cache of one replica. */
export class Executor {
  private readonly machines = new Map<string, ReplicatedStateMachine>();
  private readonly replies = new Map<string, CachedReply>();

  /** Registers a state machine; a namespace can be registered once. */
  register(namespace: string, machine: ReplicatedStateMachine): void {
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 256) {
      throw new PbftError(PbftErrorCode.Namespace, `registerStateMachine: namespace must be a non-empty string of at most 256 characters, got ${JSON.stringify(namespace)}`);
    }
    if (this.machines.has(namespace)) {
      throw new PbftError(PbftErrorCode.DuplicateNamespace, `registerStateMachine: a state machine is already registered under '${namespace}'; register each namespace once per node`);
    }
    for (const method of ['apply', 'snapshot', 'restore'] as const) {
      if (typeof machine?.[method] !== 'function') {
        throw new PbftError(PbftErrorCode.Namespace, `registerStateMachine('${namespace}'): the state machine has no ${method}() method`);
      }
    }
    this.machines.set(namespace, machine);
  }

  /** True when a machine is registered for the namespace. */
  has(namespace: string): boolean {
    return this.machines.has(namespace);
  }

  /** Registered namespaces, sorted. */
  namespaces(): string[] {
    return [...this.machines.keys()].sort();
  }

  /** Runs the machine's `validate` (valid when it has none); a throwing validator refuses. */
  validate(namespace: string, operation: JsonValue): ValidationVerdict {
    const machine = this.machines.get(namespace);
    if (machine === undefined) return { valid: false, reason: `no state machine is registered for namespace '${namespace}'` };
    if (machine.validate === undefined) return { valid: true };
    try {
      const verdict = machine.validate(operation);
      return verdict?.valid === true ? { valid: true } : { valid: false, reason: String(verdict?.reason ?? 'refused') };
    } catch (err) {
      return { valid: false, reason: `validate threw: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /** The timestamp of the client's last executed request, if any. */
  lastTimestamp(client: string): number | undefined {
    return this.replies.get(client)?.timestamp;
  }

  /** Last executed timestamps of the clients whose id starts with `prefix` (a node's own clients). */
  clientTimestamps(prefix: string): number[] {
    return [...this.replies.entries()].filter(([client]) => client.startsWith(prefix)).map(([, r]) => r.timestamp);
  }

  /** The cached reply for exactly (client, timestamp), if that was the last executed request. */
  cachedReply(client: string, timestamp: number): ReplyEntry | undefined {
    const cached = this.replies.get(client);
    return cached !== undefined && cached.timestamp === timestamp ? cached.reply : undefined;
  }

  /** Executes a committed batch's requests in order. */
  execute(requests: readonly OrderedRequest[], position: BatchPosition): RequestOutcome[] {
    const outcomes: RequestOutcome[] = [];
    for (const [index, { request, rejection }] of requests.entries()) {
      const last = this.replies.get(request.client);
      if (last !== undefined && request.timestamp <= last.timestamp) {
        outcomes.push({ request, reply: undefined, committed: undefined });
        continue;
      }
      const base = { client: request.client, timestamp: request.timestamp };
      let reply: ReplyEntry;
      let committed: CommittedOperation | undefined;
      const machine = this.machines.get(request.namespace);
      if (rejection !== undefined) {
        reply = { ...base, error: { code: rejection.code, message: rejection.message } };
      } else if (machine === undefined) {
        reply = { ...base, error: { code: PbftErrorCode.Namespace, message: `no state machine is registered for namespace '${request.namespace}'` } };
      } else {
        const context = {
          sequence: position.sequence,
          index,
          view: position.view,
          clientId: request.client,
          timestamp: position.timestamp,
          requestTimestamp: request.timestamp,
        };
        try {
          const result = machine.apply(request.operation, context);
          // A result that JSON cannot carry would reach clients differently from each replica.
          canonicalJson(result);
          reply = { ...base, result };
          committed = { namespace: request.namespace, operation: request.operation, result, context };
        } catch (err) {
          reply = { ...base, error: { code: PbftErrorCode.ApplyFailed, message: err instanceof Error ? err.message : String(err) } };
        }
      }
      this.replies.set(request.client, { timestamp: request.timestamp, reply });
      outcomes.push({ request, reply, committed });
    }
    return outcomes;
  }

  /**
   * The whole state as canonical bytes: every machine's snapshot (by namespace) and the reply
   * cache (by client). Equal states give equal bytes on every replica.
   */
  snapshot(): Uint8Array {
    const machines: Record<string, string> = {};
    for (const ns of this.namespaces()) machines[ns] = toBase64(this.machines.get(ns)!.snapshot());
    const replies = [...this.replies.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([client, { timestamp, reply }]) => [client, timestamp, reply as unknown as JsonValue]);
    return canonicalJsonBytes({ machines, replies });
  }

  /** Replaces the state with a snapshot taken by {@link snapshot} (possibly on another replica). */
  restore(bytes: Uint8Array): void {
    let parsed: { machines: Record<string, string>; replies: [string, number, ReplyEntry][] };
    try {
      parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (err) {
      throw new PbftError(PbftErrorCode.Storage, 'a checkpoint snapshot is not valid JSON; the data directory or the peer that sent it is corrupt', { cause: err });
    }
    const theirs = Object.keys(parsed.machines).sort().join(', ');
    const ours = this.namespaces().join(', ');
    if (theirs !== ours) {
      throw new PbftError(
        PbftErrorCode.Namespace,
        `a checkpoint holds state for namespaces [${theirs}] but this node registered [${ours}]; register the same state machines on every replica`,
      );
    }
    for (const ns of this.namespaces()) this.machines.get(ns)!.restore(fromBase64(parsed.machines[ns]!));
    this.replies.clear();
    for (const [client, timestamp, reply] of parsed.replies) this.replies.set(client, { timestamp, reply });
  }
}
