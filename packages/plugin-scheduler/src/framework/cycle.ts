import {
  MAX_NODE_SCORE,
  type ClusterView,
  type FilterNodes,
  type NodeScores,
  type SchedulableNode,
  type SchedulingCycle,
  type SchedulingStatus,
  type WorkloadSpec,
} from '@hypermesh/runtime';

/** What a cycle's plugins may ask of the replicated state beyond reading it; applied in order. */
export interface CycleEffects {
  /** A permit plugin lets a held workload go on. */
  allow(key: string, plugin: string): void;
  /** A permit plugin rejects a held workload. */
  reject(key: string, plugin: string, reason: string): void;
  /** A postFilter plugin evicts a placed workload to make room. */
  evict(key: string, plugin: string, reason: string): void;
}

const NO_PLUGINS: ReadonlySet<string> = new Set();

/** One scheduling cycle (see {@link SchedulingCycle}). */
export class Cycle implements SchedulingCycle {
  readonly state = new Map<string, unknown>();
  private skipped: Set<string> | undefined;

  constructor(
    readonly key: string,
    readonly workload: WorkloadSpec & { readonly namespace: string },
    readonly sequence: number,
    readonly timestamp: number,
    readonly cluster: ClusterView,
    private readonly effects: CycleEffects,
    private readonly allowed: ReadonlySet<string> = NO_PLUGINS,
  ) {}

  skip(point: 'filter' | 'score', plugin: string): void {
    (this.skipped ??= new Set()).add(`${point}\0${plugin}`);
  }

  isSkipped(point: 'filter' | 'score', plugin: string): boolean {
    return this.skipped !== undefined && this.skipped.has(`${point}\0${plugin}`);
  }

  allow(key: string, plugin: string): void {
    this.effects.allow(key, plugin);
  }

  reject(key: string, plugin: string, reason: string): void {
    this.effects.reject(key, plugin, reason);
  }

  allowedBy(plugin: string): boolean {
    return this.allowed.has(plugin);
  }

  evict(key: string, plugin: string, reason: string): void {
    this.effects.evict(key, plugin, reason);
  }
}

/** A filter pass over a window of nodes (see {@link FilterNodes}). */
export class FilterPass implements FilterNodes {
  private readonly verdicts: (SchedulingStatus | undefined)[];
  feasibleCount: number;
  /** The first `error` a filter reported; it stops the cycle. */
  error: SchedulingStatus | undefined;

  constructor(readonly nodes: readonly SchedulableNode[]) {
    this.verdicts = new Array<SchedulingStatus | undefined>(nodes.length);
    this.feasibleCount = nodes.length;
  }

  feasible(index: number): boolean {
    return index >= 0 && index < this.nodes.length && this.verdicts[index] === undefined;
  }

  reject(index: number, status: SchedulingStatus): void {
    if (!this.feasible(index) || status.code === 'success' || status.code === 'skip') return;
    this.verdicts[index] = status;
    this.feasibleCount--;
    if (status.code === 'error') this.error ??= status;
  }

  /** Why node `index` was rejected, or `undefined` when it is feasible. */
  verdict(index: number): SchedulingStatus | undefined {
    return this.verdicts[index];
  }
}

interface Column {
  readonly weight: number;
  readonly values: Float64Array;
}

/** The score sheet of a cycle (see {@link NodeScores}). */
export class ScoreSheet implements NodeScores {
  private readonly columns = new Map<string, Column>();
  readonly plugins: string[] = [];

  constructor(readonly nodes: readonly SchedulableNode[]) {}

  column(plugin: string, weight = 1): Float64Array {
    let column = this.columns.get(plugin);
    if (column === undefined) {
      column = { weight: Number.isFinite(weight) && weight >= 0 ? weight : 1, values: new Float64Array(this.nodes.length) };
      this.columns.set(plugin, column);
      this.plugins.push(plugin);
    }
    return column.values;
  }

  /** Σ weight × clamp(floor(score), 0, MAX_NODE_SCORE) per node, columns in the order they were written. */
  totals(): Float64Array {
    const totals = new Float64Array(this.nodes.length);
    for (const plugin of this.plugins) {
      const { weight, values } = this.columns.get(plugin)!;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        const clamped = v > 0 ? (v < MAX_NODE_SCORE ? Math.floor(v) : MAX_NODE_SCORE) : 0; // NaN → 0
        totals[i] = totals[i]! + weight * clamped;
      }
    }
    return totals;
  }
}
