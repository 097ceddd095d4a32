/**
 * `@hypermesh/plugin-pbft/testing` — a deterministic simulated PBFT cluster for tests: real
 * runtime nodes with the PBFT plugin on the runtime's seeded in-memory network and simulated
 * clock, Byzantine behaviours per replica, and invariant checkers.
 *
 * ```ts
 * import { createSimulatedCluster } from '@hypermesh/plugin-pbft/testing';
 *
 * const cluster = await createSimulatedCluster({ n: 4, seed: 42, faults: { 3: 'equivocate' } });
 * await cluster.submit({ op: 'set', key: 'a', value: 1 });
 * cluster.assertInvariants();
 * await cluster.stop();
 * ```
 *
 * @packageDocumentation
 */

export {
  createSimulatedCluster,
  type ClusterSubmitOptions,
  type ReplicaEvents,
  type SimulatedCluster,
  type SimulatedClusterOptions,
} from './cluster.js';
export { BYZANTINE_BEHAVIOURS, byzantineTransport, type ByzantineBehaviour, type ByzantineContext } from './byzantine.js';
export { InvariantTracker, InvariantViolation, type SubmissionRecord } from './invariants.js';
