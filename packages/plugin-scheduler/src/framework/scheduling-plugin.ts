import {
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
  type FilterDiagnosis,
  type HookApi,
  type Placement,
  type PostFilterResult,
  type SchedulableNode,
  type SchedulingCycle,
  type SchedulingStatus,
  type TapOrder,
  type Untap,
} from '@hypermesh/runtime';

/**
 * A scheduling plugin written per node, the way Kubernetes plugins are: implement the extension
 * points you need and {@link tapSchedulingPlugin} taps each one onto its hook, looping over nodes,
 * honouring `skip`, and writing your scores into your own column. Every method must be synchronous
 * and deterministic: read only the cycle (replicated state, agreed timestamp), never a clock.
 *
 * Return `undefined` (or a `success` status) to go on; statuses carry your plugin's name.
 */
export interface SchedulingPlugin {
  /** The plugin's name, e.g. `resource-fit`; statuses and diagnoses quote it. */
  readonly name: string;
  /** The weight of its score column (default 1). */
  readonly weight?: number;
  /** Once per workload. `skip` skips this plugin's `filter`; `unschedulable`/`error` reject the workload. */
  preFilter?(cycle: SchedulingCycle): SchedulingStatus | undefined;
  /** Once per still-feasible node: `unschedulable` keeps the workload off it. */
  filter?(cycle: SchedulingCycle, node: SchedulableNode): SchedulingStatus | undefined;
  /** Only when no node is feasible: make room and nominate a node, or return `undefined`. */
  postFilter?(cycle: SchedulingCycle, diagnosis: FilterDiagnosis): PostFilterResult | undefined;
  /** Once with the feasible nodes. `skip` skips this plugin's `score`. */
  preScore?(cycle: SchedulingCycle, nodes: readonly SchedulableNode[]): SchedulingStatus | undefined;
  /** A score for one feasible node, on any scale when `normalizeScore` rescales it, else in [0, 100]. */
  score?(cycle: SchedulingCycle, node: SchedulableNode): number;
  /** Rescales this plugin's scores (row `i` is `nodes[i]`) to [0, 100] in place. */
  normalizeScore?(cycle: SchedulingCycle, scores: Float64Array, nodes: readonly SchedulableNode[]): void;
  /** The workload's resources are reserved on `node`. */
  reserve?(cycle: SchedulingCycle, node: SchedulableNode): SchedulingStatus | undefined;
  /** Undo `reserve`; idempotent. */
  unreserve?(cycle: SchedulingCycle, node: SchedulableNode): void;
  /** Approve (`undefined`), reject, or `wait`. */
  permit?(cycle: SchedulingCycle, node: SchedulableNode): SchedulingStatus | undefined;
  /** Last check before binding. */
  preBind?(cycle: SchedulingCycle, node: SchedulableNode): SchedulingStatus | undefined;
  /** `success` binds; `undefined` leaves it to the next binder. */
  bind?(cycle: SchedulingCycle, node: SchedulableNode): SchedulingStatus | undefined;
  /** The workload is bound (informational). */
  postBind?(cycle: SchedulingCycle, placement: Placement): void;
}

/** Options of {@link tapSchedulingPlugin}. */
export interface TapSchedulingPluginOptions {
  /** The tap group on every hook (default `normal`). Built-in binders use `post`. */
  readonly order?: TapOrder;
  /** Overrides the plugin's score weight. */
  readonly weight?: number;
}

const passOn = (status: SchedulingStatus | undefined): SchedulingStatus | undefined =>
  status === undefined || status.code === 'success' ? undefined : status;

/**
 * Taps every extension point `plugin` implements onto its `sched.*` hook, named after the plugin.
 * Returns a function that removes every tap again.
 *
 * ```ts no-check
 * ctx.onStop(tapSchedulingPlugin(ctx.hooks, myPlugin));
 * ```
 */
export function tapSchedulingPlugin(hooks: HookApi, plugin: SchedulingPlugin, options: TapSchedulingPluginOptions = {}): Untap {
  const name = plugin.name;
  const tapOptions = { name, order: options.order ?? 'normal' };
  const weight = options.weight ?? plugin.weight ?? 1;
  const untaps: Untap[] = [];
  const p = plugin;

  /** preFilter / preScore: `skip` marks the coupled point skipped for this plugin. */
  const skipping =
    (point: 'filter' | 'score', status: SchedulingStatus | undefined, cycle: SchedulingCycle): SchedulingStatus | undefined => {
      if (status?.code !== 'skip') return passOn(status);
      cycle.skip(point, name);
      return undefined;
    };
  if (p.preFilter) untaps.push(hooks.tap(schedPreFilterHook, (cycle) => skipping('filter', p.preFilter!(cycle), cycle), tapOptions));
  if (p.filter) {
    untaps.push(
      hooks.tap(
        schedFilterHook,
        (cycle, pass) => {
          if (cycle.isSkipped('filter', name)) return;
          const nodes = pass.nodes;
          for (let i = 0; i < nodes.length; i++) {
            if (!pass.feasible(i)) continue;
            const status = p.filter!(cycle, nodes[i]!);
            if (status !== undefined && status.code !== 'success' && status.code !== 'skip') pass.reject(i, status);
          }
        },
        tapOptions,
      ),
    );
  }
  if (p.postFilter) untaps.push(hooks.tap(schedPostFilterHook, (cycle, diagnosis) => p.postFilter!(cycle, diagnosis), tapOptions));
  if (p.preScore) untaps.push(hooks.tap(schedPreScoreHook, (cycle, nodes) => skipping('score', p.preScore!(cycle, nodes), cycle), tapOptions));
  if (p.score) {
    untaps.push(
      hooks.tap(
        schedScoreHook,
        (cycle, sheet) => {
          if (cycle.isSkipped('score', name)) return;
          const column = sheet.column(name, weight);
          const nodes = sheet.nodes;
          for (let i = 0; i < nodes.length; i++) column[i] = p.score!(cycle, nodes[i]!);
        },
        tapOptions,
      ),
    );
    if (p.normalizeScore) {
      untaps.push(
        hooks.tap(
          schedNormalizeScoreHook,
          (cycle, sheet) => {
            if (!cycle.isSkipped('score', name) && sheet.plugins.includes(name)) p.normalizeScore!(cycle, sheet.column(name), sheet.nodes);
          },
          tapOptions,
        ),
      );
    }
  }
  if (p.reserve) untaps.push(hooks.tap(schedReserveHook, (cycle, node) => passOn(p.reserve!(cycle, node)), tapOptions));
  if (p.unreserve) untaps.push(hooks.tap(schedUnreserveHook, (cycle, node) => p.unreserve!(cycle, node), tapOptions));
  if (p.permit) {
    untaps.push(hooks.tap(schedPermitHook, (cycle, node) => (cycle.allowedBy(name) ? undefined : passOn(p.permit!(cycle, node))), tapOptions));
  }
  if (p.preBind) untaps.push(hooks.tap(schedPreBindHook, (cycle, node) => passOn(p.preBind!(cycle, node)), tapOptions));
  if (p.bind) {
    untaps.push(
      hooks.tap(
        schedBindHook,
        (cycle, node) => {
          const status = p.bind!(cycle, node);
          return status?.code === 'skip' ? undefined : status;
        },
        tapOptions,
      ),
    );
  }
  if (p.postBind) untaps.push(hooks.tap(schedPostBindHook, (cycle, placement) => p.postBind!(cycle, placement), tapOptions));

  return () => {
    for (const untap of untaps.splice(0)) untap();
  };
}
