import { nodeSuspectedHook, type ClockService, type ConsensusService, type HookApi, type NodeSuspicion, type SchedulableNode } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import type { Submit } from './submitter.js';

/** Options of {@link startTrustReporter}. */
export interface TrustReporterOptions {
  readonly nodeId: string;
  readonly consensus: ConsensusService;
  readonly hooks: HookApi;
  readonly clock: ClockService;
  readonly submit: Submit;
  readonly pollMs: number;
  readonly logger: Logger;
}

/** A reputation change smaller than this is not worth an operation. */
const REPUTATION_STEP = 0.05;

const trustOf = (action: NodeSuspicion['action']): SchedulableNode['trust'] => (action === 'isolate' ? 'isolated' : 'suspected');

/**
 * Brings what this node's consensus fault detector thinks of the others into the replicated
 * state, as `sched.node.report` operations: on every `node.suspected` event, and whenever
 * `consensus.status()` shows a replica's state or reputation changed. Placement reads the agreed
 * value (f + 1 reporters), never this node's local view, so every replica decides alike.
 * Returns a function that stops reporting.
 */
export function startTrustReporter(options: TrustReporterOptions): () => void {
  const last = new Map<string, { reputation: number; trust: SchedulableNode['trust'] }>();
  const report = (node: string, reputation: number, trust: SchedulableNode['trust']) => {
    if (node === options.nodeId) return;
    const previous = last.get(node);
    if (previous !== undefined && previous.trust === trust && Math.abs(previous.reputation - reputation) < REPUTATION_STEP) return;
    last.set(node, { reputation, trust });
    options.submit({ type: 'sched.node.report', node, reputation: Math.min(1, Math.max(0, reputation)), trust }).catch((err: Error) => {
      last.delete(node); // try again at the next poll
      options.logger.debug({ node, err: err.message }, 'trust report not committed yet');
    });
  };
  const untap = options.hooks.tap(nodeSuspectedHook, (s) => report(s.nodeId, s.reputation, trustOf(s.action)), { name: 'scheduler-trust-reporter' });
  const timer = options.clock.setInterval(() => {
    try {
      for (const replica of options.consensus.status().replicas) report(replica.id, replica.reputation, replica.state);
    } catch (err) {
      options.logger.debug({ err: (err as Error).message }, 'consensus status unavailable');
    }
  }, options.pollMs);
  return () => {
    untap();
    options.clock.clearTimeout(timer);
  };
}
