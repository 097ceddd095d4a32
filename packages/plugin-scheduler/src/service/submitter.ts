import type { ClockService, ConsensusService, JsonValue } from '@hypermesh/runtime';
import { SCHED_NAMESPACE, toJson, type SchedOperation, type SchedResult } from '../state/operations.js';
import type { SchedulerStateMachine } from '../state/state-machine.js';

/** Submits a `sched` operation and resolves with what `apply` returned. */
export type Submit = (op: SchedOperation) => Promise<SchedResult>;

/** Submits through consensus: every replica applies the operation; f+1 matching results answer. */
export function consensusSubmitter(consensus: ConsensusService, timeoutMs: number): Submit {
  return (op) => consensus.submit<JsonValue>(SCHED_NAMESPACE, toJson(op), { timeoutMs }) as Promise<SchedResult>;
}

/**
 * Without consensus (one embedded node): applies through the same state machine, one operation at
 * a time, after the caller's turn — so a listener reacting to a change never applies inside an
 * apply — with this node's id as client and the clock's time as the agreed timestamp.
 */
export function localSubmitter(machine: SchedulerStateMachine, clock: ClockService, nodeId: string): Submit {
  let sequence = 0;
  let queue: Promise<unknown> = Promise.resolve();
  return (op) => {
    const next = queue.then(() => {
      sequence++;
      return machine.apply(toJson(op), { sequence, index: 0, view: 0, clientId: nodeId, timestamp: clock.now() }) as SchedResult;
    });
    queue = next.catch(() => undefined);
    return next;
  };
}
