import type { LogLine, NamespaceQuota, NodeAgentInfo, Placement, SchedulerService, WorkloadSpec } from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import { ClusterState, workloadKey } from '../state/cluster-state.js';
import type { SchedResult } from '../state/operations.js';
import { quotaLimitsSchema } from '../state/operations.js';
import type { SchedulerStateMachine, StateEvent } from '../state/state-machine.js';
import { workloadSpecSchema } from '../state/workload-schema.js';
import type { RemoteLogs } from './remote-logs.js';
import type { Submit } from './submitter.js';

/** What the service is built from. */
export interface SchedulerServiceOptions {
  readonly nodeId: string;
  readonly machine: SchedulerStateMachine;
  readonly submit: Submit;
  /** This node's agent's logs and info, when the agent runs. */
  readonly agent: () => { logs(key: string, tail?: number): LogLine[] | undefined; info: NodeAgentInfo } | undefined;
  /** Logs of workloads on other nodes, when a transport is there. */
  readonly remoteLogs: () => RemoteLogs | undefined;
  /** How long a logs request to another node may take. */
  readonly logsTimeoutMs: number;
}

const zodPath = (path: readonly PropertyKey[]) => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');

/** Parses input from outside (an API body, a deploy file) at the edge: every problem with its path. */
function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${zodPath(i.path) || '(root)'}: ${i.message}`);
  throw new SchedulerError(SchedulerErrorCode.Invalid, `${what} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`, {
    details: { issues: result.error.issues.map((i) => ({ path: zodPath(i.path), message: i.message })) },
  });
}

function fail(result: Extract<SchedResult, { ok: false }>): never {
  const code = Object.values(SchedulerErrorCode).includes(result.code as SchedulerErrorCode) ? (result.code as SchedulerErrorCode) : SchedulerErrorCode.Invalid;
  throw new SchedulerError(code, result.message, result.plugin ? { details: { plugin: result.plugin } } : {});
}

/**
 * The `scheduler` service of one node. Changes go through `submit` (consensus, or the local state
 * machine); reads come from this node's replica of the state.
 */
export function createSchedulerService(options: SchedulerServiceOptions): SchedulerService {
  const { machine, submit } = options;
  const state = () => machine.state;

  /** Resolves when a workload held by a permit plugin is bound or given up. */
  const settled = (key: string): Promise<SchedResult> =>
    new Promise((resolve) => {
      const check = (event?: StateEvent) => {
        if (event !== undefined && 'key' in event && event.key !== key) return;
        const record = state().workloads.get(key);
        if (record === undefined) return done({ ok: false, code: SchedulerErrorCode.NotFound, message: `workload '${key}' was removed while it waited` });
        if (record.phase === 'bound') return done({ ok: true, outcome: 'bound', node: record.node!, sequence: record.placedSequence ?? 0 });
        if (record.phase === 'pending') return done({ ok: false, code: SchedulerErrorCode.Unschedulable, message: `workload '${key}' is unschedulable: ${record.reason ?? 'rejected while waiting'}` });
      };
      const done = (result: SchedResult) => {
        unsubscribe();
        resolve(result);
      };
      const unsubscribe = machine.subscribe(check);
      check();
    });

  const placement = async (result: SchedResult, key: string, spec: { name: string; namespace: string }): Promise<Placement> => {
    if (!result.ok) fail(result);
    const final = result.outcome === 'waiting' ? await settled(key) : result;
    if (!final.ok) fail(final);
    if (final.outcome !== 'bound') throw new SchedulerError(SchedulerErrorCode.Invalid, `unexpected result for '${key}': ${JSON.stringify(final)}`);
    return { workload: spec.name, namespace: spec.namespace, node: final.node, sequence: final.sequence };
  };

  const record = (name: string, namespace = 'default') => {
    const found = state().workloads.get(workloadKey(name, namespace));
    if (found === undefined) throw new SchedulerError(SchedulerErrorCode.NotFound, `no workload '${name}' in namespace '${namespace}'; list them with scheduler.list()`);
    return found;
  };

  const service: SchedulerService = {
    async deploy(input: WorkloadSpec) {
      const spec = parse(workloadSpecSchema, input, `workload spec '${(input as { name?: unknown })?.name ?? '?'}'`);
      const namespace = spec.namespace ?? 'default';
      const result = await submit({ type: 'sched.place', spec });
      return placement(result, workloadKey(spec.name, namespace), { name: spec.name, namespace });
    },
    async remove(name, namespace = 'default') {
      const result = await submit({ type: 'sched.remove', name, namespace });
      if (!result.ok) fail(result);
    },
    async reschedule(name, namespace = 'default') {
      const result = await submit({ type: 'sched.reschedule', name, namespace });
      return placement(result, workloadKey(name, namespace), { name, namespace });
    },
    list() {
      return [...state().workloads.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => state().statusOf(r));
    },
    get(name, namespace = 'default') {
      const found = state().workloads.get(workloadKey(name, namespace));
      return found === undefined ? undefined : state().statusOf(found);
    },
    nodes() {
      return state().sortedNodes.map(ClusterState.nodeSnapshot);
    },
    async logs(name, namespace = 'default', logOptions = {}) {
      const found = record(name, namespace);
      const local = options.agent()?.logs(found.key, logOptions.tail);
      const node = found.node;
      if (node === undefined || node === options.nodeId) {
        if (local !== undefined) return local;
        throw new SchedulerError(SchedulerErrorCode.LogsUnavailable, `workload '${found.key}' has not run on a node yet (${state().statusOf(found).phase}); no logs`);
      }
      const remote = options.remoteLogs();
      if (remote === undefined) {
        if (local !== undefined) return local;
        throw new SchedulerError(SchedulerErrorCode.LogsUnavailable, `workload '${found.key}' runs on node '${node}' and this node has no transport to ask it; read the logs there`);
      }
      return remote.fetch(node, found.key, logOptions.tail, options.logsTimeoutMs);
    },
    quotas(): NamespaceQuota[] {
      return state().resources.quotas();
    },
    async setQuota(namespace, limits) {
      const parsed = parse(quotaLimitsSchema, limits, `quota of namespace '${namespace}'`);
      const result = await submit({ type: 'sched.quota.set', namespace, limits: parsed });
      if (!result.ok) fail(result);
    },
    agent() {
      return options.agent()?.info;
    },
  };
  return service;
}
