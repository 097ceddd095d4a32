/**
 * Test support: the `consensus` contract's observable behaviour for n = 3f+1 replicas in one
 * process — one total order, each replica's `validate` run before it "prepares", commit only with
 * 2f+1 valid votes, `apply` and `onCommit` on every replica in the same order. It is a model of
 * the contract for testing state machines, not a BFT protocol.
 */
import {
  HypermeshError,
  type CommittedOperation,
  type ConsensusService,
  type ConsensusStatus,
  type JsonValue,
  type ReplicatedStateMachine,
} from '@hypermesh/runtime';

interface Replica {
  readonly id: string;
  readonly machines: Map<string, ReplicatedStateMachine<JsonValue, JsonValue>>;
  readonly listeners: Set<(op: CommittedOperation) => void>;
  lastExecuted: number;
}

/** A set of replicas sharing one order. */
export interface FakeCluster {
  /** The consensus service as replica `id` sees it. */
  service(id: string): ConsensusService;
  /** Every validation verdict so far (`replica: reason`), for assertions. */
  readonly refusals: string[];
}

/** Creates a cluster of `ids.length` replicas. */
export function createFakeCluster(ids: readonly string[]): FakeCluster {
  const replicas = new Map<string, Replica>(ids.map((id) => [id, { id, machines: new Map(), listeners: new Set(), lastExecuted: 0 }]));
  const f = Math.floor((ids.length - 1) / 3);
  let sequence = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const refusals: string[] = [];

  const order = async (clientId: string, namespace: string, operation: JsonValue): Promise<JsonValue> => {
    // each replica judges the operation on its own before it would prepare it
    let valid = 0;
    for (const r of replicas.values()) {
      const machine = r.machines.get(namespace);
      if (machine === undefined) continue;
      const verdict = machine.validate?.(operation) ?? { valid: true };
      if (verdict.valid) valid++;
      else refusals.push(`${r.id}: ${verdict.reason}`);
    }
    if (valid < 2 * f + 1) {
      throw new HypermeshError('E_CONSENSUS_TIMEOUT', `operation for '${namespace}' did not commit: ${valid} of ${replicas.size} replicas accepted it, ${2 * f + 1} needed`);
    }
    const context = { sequence: ++sequence, index: 0, view: 0, clientId, timestamp: Date.now() };
    let mine: JsonValue = null;
    for (const r of replicas.values()) {
      const machine = r.machines.get(namespace);
      if (machine === undefined) continue;
      const result = machine.apply(operation, context);
      r.lastExecuted = context.sequence;
      if (r.id === clientId) mine = result;
      for (const l of r.listeners) l({ namespace, operation, result, context });
    }
    return mine;
  };

  return {
    refusals,
    service(id: string): ConsensusService {
      const me = replicas.get(id);
      if (me === undefined) throw new Error(`no replica '${id}'`);
      return {
        submit<Result extends JsonValue>(namespace: string, operation: JsonValue): Promise<Result> {
          const run = queue.then(() => order(id, namespace, operation));
          queue = run.catch(() => undefined);
          return run as Promise<Result>;
        },
        registerStateMachine(namespace, machine) {
          me.machines.set(namespace, machine as unknown as ReplicatedStateMachine<JsonValue, JsonValue>);
        },
        status(): ConsensusStatus {
          return {
            nodeId: id,
            n: replicas.size,
            f,
            view: 0,
            primary: ids[0]!,
            viewChangeInProgress: false,
            lastExecuted: me.lastExecuted,
            stableCheckpoint: 0,
            replicas: ids.map((r) => ({ id: r, reputation: 1, state: 'active' as const })),
          };
        },
        onCommit(listener) {
          me.listeners.add(listener);
          return () => me.listeners.delete(listener);
        },
      };
    },
  };
}
