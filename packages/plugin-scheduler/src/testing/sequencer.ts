// A stand-in for consensus in multi-node tests until @hypermesh/plugin-pbft lands: one in-process
// sequencer gives every operation the next sequence number and applies it to every live node's
// state machine in node order. It is a crash-fault ordering service, not BFT — enough to test what
// the scheduler does with an agreed order (rescheduling, trust reports, agents on several nodes).
import type { ClockService, ConsensusService, ConsensusStatus, JsonValue, ReplicaStatus, ReplicatedStateMachine } from '@hypermesh/runtime';
import { HypermeshError } from '@hypermesh/runtime';

export interface Sequencer {
  /** The consensus service node `id` sees. */
  consensusFor(id: string): ConsensusService;
  /** The node stops receiving operations and cannot submit (a crash or partition). */
  crash(id: string): void;
  /** What every node's `consensus.status()` reports about `id` (the fault detector's view). */
  setReplica(id: string, status: Omit<ReplicaStatus, 'id'>): void;
}

export function createSequencer(clock: ClockService, nodes: readonly string[]): Sequencer {
  const machines = new Map<string, Map<string, ReplicatedStateMachine>>(nodes.map((n) => [n, new Map()]));
  const replicas = new Map<string, ReplicaStatus>(nodes.map((id) => [id, { id, reputation: 1, state: 'active' }]));
  const down = new Set<string>();
  let sequence = 0;
  let queue: Promise<unknown> = Promise.resolve();

  return {
    crash: (id) => void down.add(id),
    setReplica: (id, status) => void replicas.set(id, { id, ...status }),
    consensusFor(id) {
      const service: ConsensusService = {
        registerStateMachine(namespace, machine) {
          machines.get(id)!.set(namespace, machine as unknown as ReplicatedStateMachine);
        },
        submit<Result extends JsonValue = JsonValue>(namespace: string, operation: JsonValue) {
          const next = queue.then(() => {
            if (down.has(id)) throw new HypermeshError('E_CONSENSUS_TIMEOUT', `node '${id}' is cut off`);
            const context = { sequence: ++sequence, index: 0, view: 0, clientId: id, timestamp: clock.now() };
            let result: JsonValue = null;
            for (const node of nodes) {
              if (down.has(node)) continue;
              const r = machines.get(node)!.get(namespace)!.apply(operation, context);
              if (node === id) result = r;
            }
            return result as Result;
          });
          queue = next.catch(() => undefined);
          return next;
        },
        status(): ConsensusStatus {
          return { nodeId: id, n: nodes.length, f: Math.floor((nodes.length - 1) / 3), view: 0, primary: nodes[0]!, viewChangeInProgress: false, lastExecuted: sequence, stableCheckpoint: 0, replicas: [...replicas.values()] };
        },
        onCommit: () => () => undefined,
      };
      return service;
    },
  };
}
