import type { ClockService, TimerHandle } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import type { SchedOperation } from '../state/operations.js';
import type { Submit } from '../service/submitter.js';

/** Options of {@link startMembership}. */
export interface MembershipOptions {
  /** The registration this node submits (labels, taints, capacity, runtimes, address). */
  readonly registration: Extract<SchedOperation, { type: 'sched.node.register' }>['node'];
  readonly clock: ClockService;
  readonly submit: Submit;
  /** Heartbeat period; also the retry period of a registration that did not commit. */
  readonly intervalMs: number;
  readonly logger: Logger;
}

/**
 * Keeps this node in the cluster: registers it (retrying until the registration commits) and then
 * sends a heartbeat through consensus every `intervalMs`. The state machine marks a node whose
 * heartbeats stop for `nodeTimeoutMs` of agreed time as not ready and reschedules its workloads; a
 * heartbeat the state does not know (it lost the node) registers the node again.
 * Returns a function that stops it.
 */
export function startMembership(options: MembershipOptions): () => void {
  const { clock, submit, logger } = options;
  const node = options.registration.id;
  let registered = false;
  let inFlight = false;
  let stopped = false;

  const tick = async () => {
    if (inFlight || stopped) return;
    inFlight = true;
    try {
      if (!registered) {
        const result = await submit({ type: 'sched.node.register', node: options.registration });
        registered = result.ok;
        if (registered) logger.info({ node, capacity: options.registration.capacity, runtimes: options.registration.runtimes }, 'node registered with the scheduler');
      } else {
        const result = await submit({ type: 'sched.node.heartbeat', node });
        if (!result.ok) registered = false;
      }
    } catch (err) {
      logger.debug({ node, err: (err as Error).message }, 'scheduler membership operation did not commit; retrying');
    } finally {
      inFlight = false;
    }
  };
  void tick();
  const timer: TimerHandle = clock.setInterval(() => void tick(), options.intervalMs);
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
