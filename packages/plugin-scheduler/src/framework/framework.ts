import {
  isHypermeshError,
  schedBindHook,
  schedFilterHook,
  schedNormalizeScoreHook,
  schedPermitHook,
  schedPostBindHook,
  schedPostFilterHook,
  schedPreBindHook,
  schedPreFilterHook,
  schedPreScoreHook,
  schedReserveHook,
  schedScoreHook,
  schedUnreserveHook,
  type ClusterView,
  type HookApi,
  type HookRef,
  type PostFilterResult,
  type SchedulableNode,
  type SchedulingStatus,
} from '@hypermesh/runtime';
import { FilterPass, ScoreSheet, type Cycle } from './cycle.js';
import { describeDiagnosis, mainRejection, type Rejection } from './diagnosis.js';
import { isSuccess, schedulingError } from './status.js';

/** What the framework needs from the replicated state it schedules into. */
export interface FrameworkHost {
  readonly view: ClusterView;
  /** Where the next filter window starts (round robin over nodes); part of the replicated state. */
  nextStartIndex: number;
  /** Allocates the workload's resources on the node (reserve). */
  reserve(key: string, node: string): void;
  /** Releases a reservation. */
  unreserve(key: string): void;
  /** Records the binding. */
  bind(key: string, node: string): void;
}

/** Knobs of a scheduling cycle; cluster-wide (every replica must use the same). */
export interface FrameworkOptions {
  /**
   * Share of the nodes to find feasible before scoring (Kubernetes' percentageOfNodesToScore):
   * 100 evaluates every node, 0 adapts to the cluster size (50% minus 1% per 125 nodes, at least 5%),
   * and at least 100 nodes are always looked for.
   */
  readonly percentageOfNodesToScore: number;
}

/** How a cycle ended. */
export type CycleOutcome =
  | { readonly kind: 'bound'; readonly node: string }
  | { readonly kind: 'waiting'; readonly node: string; readonly status: SchedulingStatus }
  | { readonly kind: 'rejected'; readonly status: SchedulingStatus; readonly reason: string };

const MIN_FEASIBLE_NODES_TO_FIND = 100;

/** How many feasible nodes to look for before scoring, for `total` nodes. */
export function feasibleNodesToFind(total: number, percentage: number): number {
  if (total < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return total;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((total * pct) / 100));
}

/** Calls a hook and turns a failing tap into an `error` status that names the tap. */
function guarded<Args extends unknown[], R>(hooks: HookApi, hook: HookRef<Args, R>, ...args: Args): R | SchedulingStatus {
  try {
    return hooks.callSync(hook, ...args);
  } catch (err) {
    const tap = isHypermeshError(err) ? (err.details?.tap as string | undefined) : undefined;
    const cause = isHypermeshError(err) && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
    return schedulingError(tap ?? 'framework', `threw: ${cause}`);
  }
}

const isStatus = (v: unknown): v is SchedulingStatus => v !== null && typeof v === 'object' && typeof (v as SchedulingStatus).code === 'string';

const rejected = (status: SchedulingStatus, reason: string): CycleOutcome => ({ kind: 'rejected', status, reason });

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(seed: number, text: string): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** The hash state after a workload key and a separator, reused for every node of a cycle. */
const tieBreakSeed = (key: string): number => Math.imul(fnv1a(FNV_OFFSET, key), FNV_PRIME);

/** A 32-bit FNV-1a hash of `key` and `node`: the rendezvous tie-break between equal scores. */
export function tieBreak(key: string, node: string): number {
  return fnv1a(tieBreakSeed(key), node) >>> 0;
}

/**
 * Runs one scheduling cycle through the extension-point hooks: preFilter → filter (round-robin
 * windows until enough nodes are feasible) → postFilter when none is → preScore → score →
 * normalizeScore → select → reserve → permit → preBind → bind → postBind. Deterministic given the
 * state, the workload and the taps: no clock, no randomness, ties broken by {@link tieBreak}.
 */
export function runCycle(hooks: HookApi, host: FrameworkHost, cycle: Cycle, options: FrameworkOptions): CycleOutcome {
  const pre = guarded(hooks, schedPreFilterHook, cycle);
  if (isStatus(pre) && pre.code !== 'success' && pre.code !== 'skip') return rejected(pre, describeDiagnosis(0, [{ status: pre }]));

  const all = host.view.nodes;
  if (all.length === 0) {
    const status = { code: 'unschedulable', plugin: 'framework', reason: 'no nodes are registered' } as const;
    return rejected(status, describeDiagnosis(0, [{ status }]));
  }
  const filtered = filterNodes(hooks, host, cycle, all, options);
  if ('kind' in filtered) return filtered;
  let { feasible } = filtered;

  if (feasible.length === 0) {
    const nominated = postFilter(hooks, host, cycle, filtered.rejections, filtered.evaluated);
    if ('kind' in nominated) return nominated;
    feasible = [nominated.node];
  }

  const preScore = guarded(hooks, schedPreScoreHook, cycle, feasible);
  if (isStatus(preScore) && preScore.code !== 'success' && preScore.code !== 'skip') {
    return rejected(preScore, describeDiagnosis(feasible.length, [{ status: preScore }]));
  }
  const chosen = feasible.length === 1 ? feasible[0]! : selectHost(hooks, cycle, feasible);
  if (isStatus(chosen)) return rejected(chosen, describeDiagnosis(feasible.length, [{ status: chosen }]));

  host.reserve(cycle.key, chosen.id);
  const reserve = guarded(hooks, schedReserveHook, cycle, chosen);
  if (!isSuccess(reserve as SchedulingStatus | undefined)) return release(hooks, host, cycle, chosen, reserve as SchedulingStatus);
  return permitAndBind(hooks, host, cycle, chosen);
}

/**
 * The tail of a cycle from permit on, for a workload already reserved on `node`: also how a held
 * workload resumes once its permit plugin allowed it.
 */
export function permitAndBind(hooks: HookApi, host: FrameworkHost, cycle: Cycle, node: SchedulableNode): CycleOutcome {
  const permit = guarded(hooks, schedPermitHook, cycle, node);
  if (isStatus(permit) && permit.code === 'wait') return { kind: 'waiting', node: node.id, status: permit };
  if (!isSuccess(permit as SchedulingStatus | undefined)) return release(hooks, host, cycle, node, permit as SchedulingStatus);

  const preBind = guarded(hooks, schedPreBindHook, cycle, node);
  if (!isSuccess(preBind as SchedulingStatus | undefined)) return release(hooks, host, cycle, node, preBind as SchedulingStatus);

  const bind = guarded(hooks, schedBindHook, cycle, node);
  if (bind === undefined) return release(hooks, host, cycle, node, schedulingError('framework', 'no bind plugin bound the workload'));
  if (!isSuccess(bind as SchedulingStatus)) return release(hooks, host, cycle, node, bind as SchedulingStatus);
  host.bind(cycle.key, node.id);
  // Informational: a failing post-bind tap is counted by the runtime and changes nothing here.
  guarded(hooks, schedPostBindHook, cycle, { workload: cycle.workload.name, namespace: cycle.workload.namespace, node: node.id, sequence: cycle.sequence });
  return { kind: 'bound', node: node.id };
}

/** Undoes a reservation after a later point refused: unreserve taps, then the allocation. */
export function release(hooks: HookApi, host: FrameworkHost, cycle: Cycle, node: SchedulableNode, status: SchedulingStatus): CycleOutcome {
  guarded(hooks, schedUnreserveHook, cycle, node);
  host.unreserve(cycle.key);
  return rejected(status, describeDiagnosis(1, [{ node: node.id, status }]));
}

interface Filtered {
  readonly feasible: SchedulableNode[];
  readonly rejections: Rejection[];
  readonly evaluated: number;
}

function filterNodes(hooks: HookApi, host: FrameworkHost, cycle: Cycle, all: readonly SchedulableNode[], options: FrameworkOptions): Filtered | CycleOutcome {
  const total = all.length;
  const want = feasibleNodesToFind(total, options.percentageOfNodesToScore);
  const start = host.nextStartIndex % total;
  const feasible: SchedulableNode[] = [];
  const rejections: Rejection[] = [];
  let processed = 0;
  while (processed < total && feasible.length < want) {
    const size = Math.min(total - processed, want);
    const window: SchedulableNode[] = new Array<SchedulableNode>(size);
    for (let i = 0; i < size; i++) window[i] = all[(start + processed + i) % total]!;
    processed += size;
    const pass = new FilterPass(window);
    const thrown = guarded(hooks, schedFilterHook, cycle, pass);
    if (isStatus(thrown)) return rejected(thrown, describeDiagnosis(processed, [{ status: thrown }]));
    if (pass.error !== undefined) return rejected(pass.error, describeDiagnosis(processed, [{ status: pass.error }]));
    for (let i = 0; i < size; i++) {
      const verdict = pass.verdict(i);
      if (verdict === undefined) feasible.push(window[i]!);
      else rejections.push({ node: window[i]!.id, status: verdict });
    }
  }
  host.nextStartIndex = (start + processed) % total;
  if (feasible.length > want) feasible.length = want;
  return { feasible, rejections, evaluated: processed };
}

function postFilter(
  hooks: HookApi,
  host: FrameworkHost,
  cycle: Cycle,
  rejections: readonly Rejection[],
  evaluated: number,
): { node: SchedulableNode } | CycleOutcome {
  const unschedulable = (): CycleOutcome => {
    const first = mainRejection(rejections) ?? { code: 'unschedulable', plugin: 'framework', reason: 'no node fits' };
    return rejected({ ...first, code: 'unschedulable' }, describeDiagnosis(evaluated, rejections));
  };
  const result = guarded(hooks, schedPostFilterHook, cycle, { evaluated, rejections });
  if (result === undefined) return unschedulable();
  if (isStatus(result)) return rejected(result, describeDiagnosis(evaluated, [{ status: result }]));
  const { status, nominatedNode }: PostFilterResult = result;
  if (status.code !== 'success' || nominatedNode === undefined) {
    return status.code === 'error' ? rejected(status, describeDiagnosis(evaluated, [{ status }])) : unschedulable();
  }
  const node = host.view.node(nominatedNode);
  if (node === undefined) return unschedulable();
  const pass = new FilterPass([node]);
  const thrown = guarded(hooks, schedFilterHook, cycle, pass);
  if (isStatus(thrown)) return rejected(thrown, describeDiagnosis(evaluated, [{ status: thrown }]));
  const verdict = pass.verdict(0);
  if (verdict !== undefined) return rejected(verdict, describeDiagnosis(evaluated, [{ node: node.id, status: verdict }]));
  return { node };
}

function selectHost(hooks: HookApi, cycle: Cycle, feasible: readonly SchedulableNode[]): SchedulableNode | SchedulingStatus {
  const sheet = new ScoreSheet(feasible);
  const scored = guarded(hooks, schedScoreHook, cycle, sheet);
  if (isStatus(scored)) return scored;
  const normalized = guarded(hooks, schedNormalizeScoreHook, cycle, sheet);
  if (isStatus(normalized)) return normalized;
  const totals = sheet.totals();
  const seed = tieBreakSeed(cycle.key);
  let best = 0;
  let bestTie = -1; // computed only when another node ties with the best
  for (let i = 1; i < feasible.length; i++) {
    const total = totals[i]!;
    if (total < totals[best]!) continue;
    if (total > totals[best]!) {
      best = i;
      bestTie = -1;
      continue;
    }
    if (bestTie < 0) bestTie = fnv1a(seed, feasible[best]!.id) >>> 0;
    const tie = fnv1a(seed, feasible[i]!.id) >>> 0;
    if (tie > bestTie || (tie === bestTie && feasible[i]!.id < feasible[best]!.id)) {
      best = i;
      bestTie = tie;
    }
  }
  return feasible[best]!;
}
