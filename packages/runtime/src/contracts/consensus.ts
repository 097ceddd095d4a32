import type { JsonValue } from '../json/canonical-json.js';
import { createServiceRef } from '../services/service-ref.js';

/** Where a committed operation sits in the agreed order. */
export interface OperationContext {
  /** The sequence number of the batch that carried the operation. */
  readonly sequence: number;
  /** The operation's position within its batch. */
  readonly index: number;
  /** The view in which the batch committed. */
  readonly view: number;
  /** The id of the client that submitted the operation. */
  readonly clientId: string;
  /**
   * The client's timestamp of the request. With `clientId` it identifies the request: a provider
   * executes each (clientId, requestTimestamp) at most once. Added in contract 1.1.0 (optional, so
   * earlier providers and hand-made contexts stay valid); `@hypermesh/plugin-pbft` always sets it.
   */
  readonly requestTimestamp?: number;
  /**
   * The primary's timestamp for the batch (ms). Agreed by all replicas, so state machines may use
   * it where they need "now" — never the local clock.
   */
  readonly timestamp: number;
}

/** A replica's judgement of an operation before it prepares it. */
export type ValidationVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/**
 * A deterministic state machine replicated by consensus. Every replica applies the same committed
 * operations in the same order, so `apply` must depend only on the state and the operation (and
 * `context`): no clocks, no randomness, no I/O whose answer can differ between replicas.
 */
export interface ReplicatedStateMachine<Op extends JsonValue = JsonValue, Result extends JsonValue = JsonValue> {
  /**
   * Optional check run by each replica, independently, before it prepares a batch containing the
   * operation (and by the primary before it proposes it). A replica that finds an operation invalid
   * does not prepare the batch; it commits only if 2f+1 replicas accept it.
   */
  validate?(operation: Op): ValidationVerdict;
  /** Applies a committed operation and returns its result (sent back to the client). */
  apply(operation: Op, context: OperationContext): Result;
  /** The whole state as bytes; equal states must give equal bytes (it is digested for checkpoints). */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot taken by `snapshot` (state transfer, recovery). */
  restore(snapshot: Uint8Array): void;
}

/** Options of {@link ConsensusService.submit}. */
export interface SubmitOptions {
  /** Give up after this many milliseconds (`E_CONSENSUS_TIMEOUT`); default set by the provider. */
  timeoutMs?: number;
  /** Abort the wait (the operation may still commit). */
  signal?: AbortSignal;
}

/** How a replica sees one member of the cluster. */
export interface ReplicaStatus {
  /** The replica's node id. */
  readonly id: string;
  /** Reputation in [0, 1]; 1 is fully trusted. */
  readonly reputation: number;
  /** `active`, `suspected` (watched or penalised) or `isolated` (its messages are ignored). */
  readonly state: 'active' | 'suspected' | 'isolated';
}

/** A snapshot of the consensus protocol state on this node. */
export interface ConsensusStatus {
  /** This node's id. */
  readonly nodeId: string;
  /** Number of replicas (3f+1). */
  readonly n: number;
  /** Number of faulty replicas tolerated. */
  readonly f: number;
  /** The current view. */
  readonly view: number;
  /** The primary of the current view. */
  readonly primary: string;
  /** True while this replica is changing views. */
  readonly viewChangeInProgress: boolean;
  /** The last sequence number executed here. */
  readonly lastExecuted: number;
  /** The sequence number of the last stable checkpoint (the low watermark). */
  readonly stableCheckpoint: number;
  /** Every replica, with reputation and state. */
  readonly replicas: readonly ReplicaStatus[];
}

/** An operation as it was committed and executed on this node. */
export interface CommittedOperation {
  /** The state machine namespace. */
  readonly namespace: string;
  /** The operation as submitted. */
  readonly operation: JsonValue;
  /** The result `apply` returned. */
  readonly result: JsonValue;
  /** Where it sits in the agreed order. */
  readonly context: OperationContext;
}

/**
 * Byzantine-fault-tolerant ordering of operations (PBFT). With n = 3f+1 replicas and at most f
 * faulty, every honest replica executes the same operations in the same order (safety), and
 * submitted operations eventually commit once the network delivers messages (liveness).
 *
 * Errors: `submit` rejects with `E_CONSENSUS_TIMEOUT` when no f+1 matching replies arrive in time,
 * `E_CONSENSUS_INVALID` when the primary's validation refuses the operation, and
 * `E_CONSENSUS_NAMESPACE` when no state machine is registered for the namespace.
 */
export interface ConsensusService {
  /**
   * Submits an operation for the state machine registered under `namespace` and resolves with
   * its result once f+1 replicas reported the same result.
   */
  submit<Result extends JsonValue = JsonValue>(namespace: string, operation: JsonValue, options?: SubmitOptions): Promise<Result>;
  /**
   * Registers the state machine for `namespace` on this replica. Every replica must register the
   * same machines (usually each plugin does so in its setup) before operations for them commit.
   */
  registerStateMachine<Op extends JsonValue, Result extends JsonValue>(
    namespace: string,
    machine: ReplicatedStateMachine<Op, Result>,
  ): void;
  /** The protocol state on this node. */
  status(): ConsensusStatus;
  /** Called after each operation executes on this node, in order. Returns an unsubscribe function. */
  onCommit(listener: (operation: CommittedOperation) => void): () => void;
}

/** The `consensus` service. */
export const consensusRef = createServiceRef<ConsensusService>({
  id: 'consensus',
  version: '1.1.0',
  description: 'Byzantine-fault-tolerant ordering of operations for replicated state machines',
});
