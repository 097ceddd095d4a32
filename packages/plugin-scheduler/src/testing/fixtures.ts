// Test fixtures shared by this package's tests (not exported, not built).
import { createNode, type HookApi, type JsonValue, type OperationContext, type WorkloadSpec } from '@hypermesh/runtime';
import { pino } from 'pino';
import { systemClock } from '@hypermesh/runtime';
import { NodeAgent } from '../agent/node-agent.js';
import type { ContainerSpec } from '../containers/container-runtime.js';
import { ownerPrefix, type Removal } from '../containers/ownership.js';
import type { RuntimeSelection } from '../containers/select-runtime.js';
import { tapBuiltinPlugins, type BuiltinPluginOptions } from '../plugins/builtin.js';
import type { SchedOperation, SchedResult } from '../state/operations.js';
import { createSchedulerStateMachine, type SchedulerMachineOptions, type SchedulerStateMachine } from '../state/state-machine.js';

export const silent = pino({ level: 'silent' });

/** A fresh hook registry (a node that is never started), for the state machine alone. */
export function freshHooks(): HookApi {
  return createNode({ logger: silent, plugins: [] }).hooks;
}

export interface Replica {
  readonly hooks: HookApi;
  readonly machine: SchedulerStateMachine;
  /** Applies an operation with the next sequence number; `at` sets the agreed timestamp. */
  apply(op: SchedOperation, options?: { at?: number; clientId?: string }): SchedResult;
}

/** A state machine with the built-in plugins tapped, driven like a replica. */
export function replica(
  options: Partial<Omit<SchedulerMachineOptions, 'hooks'>> & { builtins?: BuiltinPluginOptions; hooks?: HookApi; startSequence?: number } = {},
): Replica {
  const hooks = options.hooks ?? freshHooks();
  tapBuiltinPlugins(hooks, options.builtins);
  const machine = createSchedulerStateMachine({ nodeTimeoutMs: 0, ...options, hooks });
  let sequence = options.startSequence ?? 0;
  let now = 0;
  return {
    hooks,
    machine,
    apply(op, { at, clientId = ownClient(op) } = {}) {
      now = at ?? now;
      const context: OperationContext = { sequence: ++sequence, index: 0, view: 0, clientId, timestamp: now };
      return machine.apply(JSON.parse(JSON.stringify(op)) as JsonValue, context) as SchedResult;
    },
  };
}

/** The client a node's own operations come from: the node itself (registration, heartbeat, status). */
function ownClient(op: SchedOperation): string {
  if (op.type === 'sched.node.register') return op.node.id;
  if (op.type === 'sched.node.heartbeat' || op.type === 'sched.status') return op.node;
  return 'client';
}

const GiB = 2 ** 30;

/** A node registration op. */
export function nodeOp(
  id: string,
  extra: Partial<Extract<SchedOperation, { type: 'sched.node.register' }>['node']> = {},
): Extract<SchedOperation, { type: 'sched.node.register' }> {
  return {
    type: 'sched.node.register',
    node: {
      id,
      labels: {},
      taints: [],
      capacity: { cpuMillis: 4000, memoryBytes: 8 * GiB, pids: 1000 },
      runtimes: ['process'],
      address: '127.0.0.1',
      ...extra,
    },
  };
}

/** A workload spec. */
export function spec(name: string, extra: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return { name, command: ['sleep', '1000'], resources: { cpuMillis: 100, memoryBytes: 64 * 2 ** 20, pids: 10 }, ...extra };
}

/** A place op. */
export const placeOp = (s: WorkloadSpec): SchedOperation => ({ type: 'sched.place', spec: s as Extract<SchedOperation, { type: 'sched.place' }>['spec'] });

/** The node a place result bound to, or throws with the result. */
export function boundNode(result: SchedResult): string {
  if (result.ok && result.outcome === 'bound') return result.node;
  throw new Error(`expected a binding, got ${JSON.stringify(result)}`);
}

/** A container spec for runtime tests: small limits, no capabilities, output into `lines`. */
export function containerSpec(id: string, command: string[], lines: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    id,
    hostname: 'probe-host',
    command,
    env: { GREETING: 'hello' },
    resources: { cpuMillis: 250, memoryBytes: 64 * 2 ** 20, pids: 16 },
    capabilities: [],
    network: 'host',
    onOutput: (stream, line) => lines.push(`${stream}: ${line}`),
    ...extra,
  };
}

/** A node agent of `nodeId` over `stateDir` with no workloads bound to it; `removed` collects its sweep's removals. */
export function idleAgent(nodeId: string, stateDir: string, runtimes: Omit<RuntimeSelection, 'reason'>, removed: Removal['kind'][] = []): NodeAgent {
  const { machine } = replica();
  return new NodeAgent({
    nodeId,
    idPrefix: ownerPrefix(nodeId, stateDir),
    clock: systemClock,
    logger: silent,
    runtimes: { ...runtimes, reason: 'test' },
    state: () => machine.state,
    address: '127.0.0.1',
    logLines: 100,
    backoff: { initialMs: 1000, maxMs: 1000, resetAfterMs: 1000 },
    stopGraceMs: 500,
    report: () => undefined,
    counters: { restart: () => undefined, healthFailure: () => undefined, orphanRemoved: (kind) => removed.push(kind) },
  });
}
