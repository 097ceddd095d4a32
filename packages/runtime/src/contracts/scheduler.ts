import { defineHook } from '../hooks/define-hook.js';
import { createServiceRef } from '../services/service-ref.js';

// ---------------------------------------------------------------------------------------------
// Workloads and nodes
// ---------------------------------------------------------------------------------------------

/** Resources a workload asks for, or a node offers. */
export interface ResourceQuantities {
  /** CPU in millicores (1000 = one core). */
  readonly cpuMillis: number;
  /** Memory in bytes. */
  readonly memoryBytes: number;
  /** Maximum number of processes. */
  readonly pids: number;
}

/** A port a workload listens on; it becomes an SRV record. */
export interface WorkloadPort {
  /** The port's name (a DNS label); the SRV owner is `_<name>._<protocol>.<workload>.svc.<domain>`. */
  readonly name: string;
  /** The port number the workload listens on (host network: on its node's address). */
  readonly port: number;
  /** The transport protocol. */
  readonly protocol: 'tcp' | 'udp';
}

/** How strongly a taint repels workloads (Kubernetes semantics). */
export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

/** A node taint: workloads that do not tolerate it are kept away (and evicted for `NoExecute`). */
export interface NodeTaint {
  /** The taint key, e.g. `dedicated`. */
  readonly key: string;
  /** The taint value, compared by `Equal` tolerations. */
  readonly value?: string;
  /** What the taint does to workloads that do not tolerate it. */
  readonly effect: TaintEffect;
}

/** A toleration of a node taint (Kubernetes semantics). */
export interface Toleration {
  /** The taint key it tolerates; empty with `Exists` tolerates every taint. */
  readonly key: string;
  /** `Equal` (default) compares values; `Exists` matches any value. */
  readonly operator?: 'Equal' | 'Exists';
  /** The value compared by `Equal`. */
  readonly value?: string;
  /** The effect it tolerates; omitted tolerates every effect. */
  readonly effect?: TaintEffect;
}

/** One requirement on a node label (Kubernetes `NodeSelectorRequirement`). */
export interface NodeSelectorRequirement {
  /** The label key. */
  readonly key: string;
  /** `In`/`NotIn` a set of values, `Exists`/`DoesNotExist`, or `Gt`/`Lt` an integer value. */
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  /** The values for `In`/`NotIn`; exactly one integer for `Gt`/`Lt`; none for the others. */
  readonly values?: readonly string[];
}

/** Node affinity: hard requirements and weighted preferences on node labels. */
export interface NodeAffinity {
  /**
   * The node must match at least one term; a term matches when all its requirements hold.
   * Omitted or empty: no requirement.
   */
  readonly required?: readonly (readonly NodeSelectorRequirement[])[];
  /** Each preference whose requirements all hold adds its weight (1–100) to the node's score. */
  readonly preferred?: readonly { readonly weight: number; readonly match: readonly NodeSelectorRequirement[] }[];
}

/** Spread workloads that match a label selector evenly over a topology (Kubernetes semantics). */
export interface TopologySpreadConstraint {
  /** The largest allowed difference between the most and the least loaded domain. */
  readonly maxSkew: number;
  /** The node label that defines a domain, e.g. `zone`; nodes without it are not candidates. */
  readonly topologyKey: string;
  /** `DoNotSchedule` filters nodes that would break `maxSkew`; `ScheduleAnyway` only scores. */
  readonly whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  /** Labels the counted workloads carry; default the workload's own labels. */
  readonly labelSelector?: Readonly<Record<string, string>>;
}

/** A health check the node agent runs against a running workload. */
export type HealthCheck = (
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  | { readonly kind: 'tcp'; readonly port: number }
  | { readonly kind: 'http'; readonly port: number; readonly path: string }
) & {
  /** Time between checks; default 10 s. */
  readonly intervalMs?: number;
  /** A check that takes longer fails; default 1 s. */
  readonly timeoutMs?: number;
  /** Consecutive failures before the workload is restarted (per its restart policy); default 3. */
  readonly failureThreshold?: number;
  /** Wait after a start before the first check; default 0. */
  readonly initialDelayMs?: number;
};

/** What to run and what it needs; `workloadSpecSchema` parses one and checks its value rules. */
export interface WorkloadSpec {
  /** DNS-label name; the service record is `<name>.svc.<cluster domain>`. */
  readonly name: string;
  /** Namespace for quotas; default `default`. Records of other namespaces are `<name>.<namespace>.svc`. */
  readonly namespace?: string;
  /** The program and its arguments, run inside the rootfs (runc) or on the host (process). */
  readonly command: readonly string[];
  /** Environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Root filesystem directory for runc; default the busybox-static rootfs. */
  readonly rootfs?: string;
  /** Ports it listens on: they become SRV records, and no two workloads on a node share one. */
  readonly ports?: readonly WorkloadPort[];
  /** What it needs; the node must have this much unallocated, and runc enforces it as limits. */
  readonly resources: ResourceQuantities;
  /** Labels, matched by topology spread constraints. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Node labels that must match. */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Required and preferred node labels. */
  readonly affinity?: NodeAffinity;
  /** Taints it tolerates. */
  readonly tolerations?: readonly Toleration[];
  /** How to spread it with the workloads it matches. */
  readonly topologySpread?: readonly TopologySpreadConstraint[];
  /** Which container runtime to use; `auto` picks runc when it works here, else process. */
  readonly runtime?: 'runc' | 'process' | 'auto';
  /** Linux capabilities it keeps (e.g. `CAP_NET_BIND_SERVICE`); every other one is dropped. Default none. */
  readonly capabilities?: readonly string[];
  /** `host` (default) shares the node's network; `none` gives runc containers only a loopback. */
  readonly network?: 'host' | 'none';
  /** A check the node agent runs; failing it restarts the workload. */
  readonly healthCheck?: HealthCheck;
  /** When the agent restarts it after it exits: `always` (default), `on-failure`, `never`. */
  readonly restartPolicy?: 'always' | 'on-failure' | 'never';
}

/** Where a workload was placed. */
export interface Placement {
  readonly workload: string;
  readonly namespace: string;
  readonly node: string;
  /** The consensus sequence number of the placement. */
  readonly sequence: number;
}

/** A workload's current state. */
export interface WorkloadStatus {
  readonly name: string;
  readonly namespace: string;
  readonly node?: string;
  readonly phase: 'pending' | 'scheduled' | 'running' | 'failed' | 'stopped' | 'unschedulable';
  /** Why it is pending/unschedulable/failed; names the scheduling plugin that refused. */
  readonly reason?: string;
  readonly restarts: number;
  /** The address the workload is reachable at, once running. */
  readonly address?: string;
  /** The last health check verdict of its agent; `unknown` before the first check or without one. */
  readonly health?: 'unknown' | 'healthy' | 'unhealthy';
  /** The container runtime that runs it (`runc` or `process`), once started. */
  readonly runtime?: string;
}

/** A node as the scheduler sees it. */
export interface SchedulableNode {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: ResourceQuantities;
  /** Resources of the workloads bound to (or reserved on) the node. */
  readonly allocated: ResourceQuantities;
  readonly taints: readonly NodeTaint[];
  /** False when its agent's heartbeats stopped; its workloads are then rescheduled. */
  readonly ready: boolean;
  /** Number of workloads bound to (or reserved on) the node. */
  readonly workloads: number;
  /** Reputation in [0, 1] agreed from the consensus fault detector's reports; 1 before any report. */
  readonly reputation: number;
  /** `isolated` nodes get no workloads and lose theirs; `suspected` ones are avoided. */
  readonly trust: 'active' | 'suspected' | 'isolated';
  /** The container runtimes its agent can run. */
  readonly runtimes: readonly string[];
  /** The address its workloads are reachable at. */
  readonly address: string;
}

/** A namespace's quota and what its workloads use. */
export interface NamespaceQuota {
  readonly namespace: string;
  /** The limits; an omitted resource is unlimited. */
  readonly limits: Partial<ResourceQuantities> & { readonly workloads?: number };
  /** What the namespace's admitted workloads ask for: placed, held or still pending (admission counts them all). */
  readonly used: ResourceQuantities & { readonly workloads: number };
}

/** One line a workload wrote, or an event of its agent (`system`). */
export interface LogLine {
  /** When it was read, from the node's clock (ms). */
  readonly at: number;
  readonly stream: 'stdout' | 'stderr' | 'system';
  readonly text: string;
}

/** Which container runtime a node's agent uses, and why. */
export interface NodeAgentInfo {
  readonly node: string;
  readonly runtime: 'runc' | 'process';
  /** A sentence: why this runtime (e.g. "runc 1.1.5 works here (root, cgroups v1)"). */
  readonly reason: string;
}

/**
 * Container scheduling: placements are decided deterministically and agreed through consensus,
 * then run by the chosen node's agent.
 *
 * Errors: `deploy` rejects with `E_SCHED_UNSCHEDULABLE` (the message names each plugin that
 * refused and why; the workload stays pending and is placed when a node fits), `E_SCHED_INVALID`
 * for a bad spec, `E_SCHED_QUOTA` when a namespace quota would be exceeded. `remove`, `reschedule`
 * and `logs` reject with `E_SCHED_NOT_FOUND` for an unknown workload; `logs` with
 * `E_SCHED_LOGS_UNAVAILABLE` when the node that runs it cannot be asked.
 */
export interface SchedulerService {
  /** Places a workload (through consensus) and resolves with the placement. */
  deploy(spec: WorkloadSpec): Promise<Placement>;
  /** Stops and removes a workload. */
  remove(name: string, namespace?: string): Promise<void>;
  /** Every workload and its state. */
  list(): readonly WorkloadStatus[];
  /** One workload's state. */
  get(name: string, namespace?: string): WorkloadStatus | undefined;
  /** The nodes and their resources. */
  nodes(): readonly SchedulableNode[];
  /**
   * The last lines a workload wrote (stdout and stderr, bounded per workload), read from the
   * node that runs it. @since 1.1.0
   */
  logs(name: string, namespace?: string, options?: { readonly tail?: number }): Promise<readonly LogLine[]>;
  /** Places a workload again, through the whole framework, possibly on another node. @since 1.1.0 */
  reschedule(name: string, namespace?: string): Promise<Placement>;
  /** Namespace quotas and their usage. @since 1.1.0 */
  quotas(): readonly NamespaceQuota[];
  /** Sets (through consensus) a namespace's quota; existing workloads stay. @since 1.1.0 */
  setQuota(namespace: string, limits: NamespaceQuota['limits']): Promise<void>;
  /** This node's agent: the runtime it chose and why; `undefined` when the agent is disabled. @since 1.1.0 */
  agent(): NodeAgentInfo | undefined;
}

/** The `scheduler` service. */
export const schedulerRef = createServiceRef<SchedulerService>({
  id: 'scheduler',
  version: '1.2.0',
  description: 'Workload placement through consensus and node agents',
});

// ---------------------------------------------------------------------------------------------
// The scheduling framework (after Kubernetes' pkg/scheduler/framework/interface.go)
// ---------------------------------------------------------------------------------------------

/**
 * What a scheduling plugin answers at an extension point:
 * - `success`: fine (usually written as returning `undefined`);
 * - `unschedulable`: the workload cannot go here (a filter: this node; elsewhere: anywhere now);
 * - `error`: the plugin failed; the cycle stops and the workload stays pending;
 * - `wait`: permit only — hold the workload, resources reserved, until allowed or timed out;
 * - `skip`: the plugin has nothing to do for this workload (see `SchedulingCycle.skip`).
 */
export type SchedulingCode = 'success' | 'unschedulable' | 'error' | 'wait' | 'skip';

/** A plugin's verdict; it always names the plugin, so a refusal can say who refused. */
export interface SchedulingStatus {
  readonly code: SchedulingCode;
  /** The scheduling plugin that produced it, e.g. `resource-fit`. */
  readonly plugin: string;
  /** Why, as a phrase an operator reads after the plugin's name ("insufficient memory"). */
  readonly reason?: string;
  /** For `wait`: how long to hold the workload, in agreed consensus time (ms). */
  readonly timeoutMs?: number;
}

/** A workload bound to or reserved on a node, as scheduling plugins see it. */
export interface PlacedWorkload {
  /** `namespace/name`. */
  readonly key: string;
  readonly spec: WorkloadSpec;
  readonly node: string;
  /** True while a permit plugin holds it (`wait`). */
  readonly waiting: boolean;
}

/** The replicated cluster state as one cycle sees it (read-only; iterate in the order given). */
export interface ClusterView {
  /** Every registered node, sorted by id. */
  readonly nodes: readonly SchedulableNode[];
  /** A node by id. */
  node(id: string): SchedulableNode | undefined;
  /** The workloads bound to or reserved on a node, sorted by key. */
  workloadsOn(nodeId: string): readonly PlacedWorkload[];
  /** Calls `fn` for every bound or reserved workload, in key order. */
  forEachPlaced(fn: (workload: PlacedWorkload) => void): void;
}

/**
 * One scheduling cycle: one workload being placed. Everything a plugin reads comes from here — the
 * replicated state and the agreed operation context — so every replica decides alike. Plugins must
 * not read clocks, randomness or anything local.
 */
export interface SchedulingCycle {
  /** `namespace/name` of the workload. */
  readonly key: string;
  /** The workload (namespace filled in). */
  readonly workload: WorkloadSpec & { readonly namespace: string };
  /** The consensus sequence number of the operation that started the cycle. */
  readonly sequence: number;
  /** The agreed timestamp of that operation (ms) — the only "now" a plugin may use. */
  readonly timestamp: number;
  /** The cluster. */
  readonly cluster: ClusterView;
  /** Scratch space for the cycle, shared by extension points (Kubernetes' CycleState). Key it by plugin name. */
  readonly state: Map<string, unknown>;
  /** Marks `plugin` as having nothing to do at `point` for this cycle (from preFilter / preScore). */
  skip(point: 'filter' | 'score', plugin: string): void;
  /** True when `plugin` asked to skip `point`; its filter or score tap should then do nothing. */
  isSkipped(point: 'filter' | 'score', plugin: string): boolean;
  /** Permit: lets a workload that `plugin` holds (`wait`) go on to binding, after this cycle. */
  allow(key: string, plugin: string): void;
  /** Permit: rejects a workload `plugin` holds; its reservation is released. */
  reject(key: string, plugin: string, reason: string): void;
  /** True when this is a permit re-run after `plugin` allowed the workload it held. */
  allowedBy(plugin: string): boolean;
  /** PostFilter: evicts a placed workload (preemption); it becomes pending and is placed again later. */
  evict(key: string, plugin: string, reason: string): void;
}

/** The nodes of a filter pass: taps reject the nodes a workload cannot go to. */
export interface FilterNodes {
  /** The nodes evaluated in this cycle, sorted by id (a rotating subset on large clusters). */
  readonly nodes: readonly SchedulableNode[];
  /** True while node `index` has not been rejected. */
  feasible(index: number): boolean;
  /** Rejects node `index` with an `unschedulable` (or `error`, which stops the cycle) status. */
  reject(index: number, status: SchedulingStatus): void;
  /** How many nodes are still feasible. */
  readonly feasibleCount: number;
}

/** Why no node fit, given to postFilter taps. */
export interface FilterDiagnosis {
  /** Nodes evaluated. */
  readonly evaluated: number;
  /** The first rejection of each rejected node (a preFilter refusal has no node). */
  readonly rejections: readonly { readonly node?: string; readonly status: SchedulingStatus }[];
}

/** What a postFilter tap answers: a nominated node (after it made room) or a status. */
export interface PostFilterResult {
  readonly status: SchedulingStatus;
  /** The node the framework tries once more after the tap made room (e.g. by `cycle.evict`). */
  readonly nominatedNode?: string;
}

/** The largest score a plugin may give a node after normalizeScore. */
export const MAX_NODE_SCORE = 100;

/** The score sheet of a cycle: one column per scoring plugin, one row per feasible node. */
export interface NodeScores {
  /** The feasible nodes, sorted by id; row `i` of every column is `nodes[i]`. */
  readonly nodes: readonly SchedulableNode[];
  /**
   * The column of `plugin` (created on first use, zero-filled, with `weight`, default 1). Scores
   * are in [0, MAX_NODE_SCORE] after normalizeScore; use integer arithmetic (floor), never
   * `Math.exp/log/pow`, whose last bits may differ between machines.
   */
  column(plugin: string, weight?: number): Float64Array;
  /** The plugins that scored, in the order they first wrote. */
  readonly plugins: readonly string[];
}

/**
 * `sched.pre-filter` — once per cycle, before filtering. Return `undefined` to go on; a status ends
 * preFilter: `unschedulable`/`error` reject the workload everywhere (the reason names the plugin),
 * `success` accepts without asking later taps. To skip your own filter, call
 * `cycle.skip('filter', name)` and return `undefined`. Taps are synchronous (called with `callSync`
 * inside the replicated state machine).
 */
export const schedPreFilterHook = defineHook<[cycle: SchedulingCycle], SchedulingStatus | undefined>({
  id: 'sched.pre-filter',
  kind: 'first',
  description: 'Scheduling: once per workload before filtering; a status rejects the workload',
});

/**
 * `sched.filter` — every tap sees the still-feasible nodes and rejects those the workload cannot
 * run on, each with a status naming the plugin. An `error` status stops the cycle.
 */
export const schedFilterHook = defineHook<[cycle: SchedulingCycle, nodes: FilterNodes]>({
  id: 'sched.filter',
  kind: 'series',
  description: 'Scheduling: reject the nodes a workload cannot run on',
});

/**
 * `sched.post-filter` — only when no node is feasible. A tap may make room (`cycle.evict`) and
 * nominate a node, which is filtered once more; the first result wins. Without one, the workload
 * is unschedulable and the diagnosis becomes its reason.
 */
export const schedPostFilterHook = defineHook<[cycle: SchedulingCycle, diagnosis: FilterDiagnosis], PostFilterResult | undefined>({
  id: 'sched.post-filter',
  kind: 'first',
  description: 'Scheduling: no node fits; a tap may make room and nominate a node',
});

/** `sched.pre-score` — once, with the feasible nodes; same answers as preFilter (`cycle.skip('score', name)`). */
export const schedPreScoreHook = defineHook<[cycle: SchedulingCycle, nodes: readonly SchedulableNode[]], SchedulingStatus | undefined>({
  id: 'sched.pre-score',
  kind: 'first',
  description: 'Scheduling: once with the feasible nodes, before scoring',
});

/** `sched.score` — each tap fills its column of the score sheet (any scale; normalizeScore follows). */
export const schedScoreHook = defineHook<[cycle: SchedulingCycle, scores: NodeScores]>({
  id: 'sched.score',
  kind: 'series',
  description: 'Scheduling: score the feasible nodes, one column per plugin',
});

/**
 * `sched.normalize-score` — each tap rescales its own column to [0, MAX_NODE_SCORE]. The framework
 * then clamps every column, weighs and sums them; the highest total wins, ties broken by a hash of
 * workload and node (rendezvous), so equal nodes share load yet every replica picks the same.
 */
export const schedNormalizeScoreHook = defineHook<[cycle: SchedulingCycle, scores: NodeScores]>({
  id: 'sched.normalize-score',
  kind: 'series',
  description: 'Scheduling: rescale score columns to [0, 100]',
});

/**
 * `sched.reserve` — the chosen node's resources are now reserved for the workload. Return
 * `undefined`; a status other than `success` rejects it and `sched.unreserve` runs.
 */
export const schedReserveHook = defineHook<[cycle: SchedulingCycle, node: SchedulableNode], SchedulingStatus | undefined>({
  id: 'sched.reserve',
  kind: 'first',
  description: 'Scheduling: the chosen node is reserved; a status rejects the placement',
});

/** `sched.unreserve` — a reserved placement was rejected later (or timed out waiting); undo what reserve did. Idempotent. */
export const schedUnreserveHook = defineHook<[cycle: SchedulingCycle, node: SchedulableNode]>({
  id: 'sched.unreserve',
  kind: 'series',
  description: 'Scheduling: a reservation was released',
});

/**
 * `sched.permit` — approve (`undefined`), reject (`unschedulable`) or hold (`wait` with
 * `timeoutMs`) the placement. A held workload keeps its reservation until the plugin calls
 * `cycle.allow` (from a later cycle) — permit then runs again, `cycle.allowedBy(plugin)` true — or
 * until agreed time passes its timeout, which rejects it.
 */
export const schedPermitHook = defineHook<[cycle: SchedulingCycle, node: SchedulableNode], SchedulingStatus | undefined>({
  id: 'sched.permit',
  kind: 'first',
  description: 'Scheduling: approve, reject or hold a placement',
});

/** `sched.pre-bind` — last check before binding; a status other than `success` rejects and unreserves. */
export const schedPreBindHook = defineHook<[cycle: SchedulingCycle, node: SchedulableNode], SchedulingStatus | undefined>({
  id: 'sched.pre-bind',
  kind: 'first',
  description: 'Scheduling: before binding; a status rejects the placement',
});

/**
 * `sched.bind` — binders in turn: `undefined` passes to the next binder (Kubernetes' skip),
 * `success` binds the workload to the node, another status rejects. The built-in binder (order
 * `post`) binds.
 */
export const schedBindHook = defineHook<[cycle: SchedulingCycle, node: SchedulableNode], SchedulingStatus | undefined>({
  id: 'sched.bind',
  kind: 'first',
  description: 'Scheduling: bind the workload to the chosen node',
});

/** `sched.post-bind` — informational: the workload is bound. */
export const schedPostBindHook = defineHook<[cycle: SchedulingCycle, placement: Placement]>({
  id: 'sched.post-bind',
  kind: 'series',
  description: 'Scheduling: a workload was bound',
});
