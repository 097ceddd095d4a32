import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration, SummaryConfiguration } from 'prom-client';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';
import type { HookRegistry } from '../hooks/hook-registry.js';
import { DurationHistogram } from './duration-histogram.js';

/**
 * The metrics API a plugin gets as `ctx.metrics`. Every metric is registered in the node's
 * registry (`node.metrics`), so one scrape shows the runtime's and every plugin's metrics.
 * Names should start with `hypermesh_`; a name registered twice is an error that names both.
 */
export interface PluginMetrics {
  /** The node's prom-client registry. */
  readonly registry: Registry;
  /** Creates and registers a counter. */
  counter<L extends string = string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L>;
  /** Creates and registers a gauge. */
  gauge<L extends string = string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L>;
  /** Creates and registers a histogram. */
  histogram<L extends string = string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L>;
  /** Creates and registers a summary. */
  summary<L extends string = string>(config: Omit<SummaryConfiguration<L>, 'registers'>): Summary<L>;
  /**
   * Registers a counter whose values are read from `read` each time the registry is scraped — for
   * totals the plugin already keeps as plain numbers (so the hot path only increments a field).
   * `read` returns every (labels, total) pair; a pair missing from one scrape is gone from it.
   */
  counterFrom(config: ScrapedMetricConfig, read: () => Iterable<ScrapedValue>): Counter;
  /** Registers a gauge whose values are read from `read` at each scrape; see {@link PluginMetrics.counterFrom}. */
  gaugeFrom(config: ScrapedMetricConfig, read: () => Iterable<ScrapedValue>): Gauge;
}

/** Name, help and label names of a metric read at scrape time ({@link PluginMetrics.counterFrom}). */
export interface ScrapedMetricConfig {
  readonly name: string;
  readonly help: string;
  /** Label names; default none. */
  readonly labelNames?: readonly string[];
}

/** One value of a scraped metric: its labels (`{}` without labels) and its value. */
export type ScrapedValue = readonly [labels: Readonly<Record<string, string>>, value: number];

/** A plugin's lifecycle state, as exported in `hypermesh_plugin_state`. */
export type PluginState =
  | 'registered'
  | 'setting-up'
  | 'ready'
  | 'starting'
  | 'started'
  | 'stopping'
  | 'stopped'
  | 'failed';

/** Every plugin state, in lifecycle order. */
export const PLUGIN_STATES: readonly PluginState[] = [
  'registered',
  'setting-up',
  'ready',
  'starting',
  'started',
  'stopping',
  'stopped',
  'failed',
];

interface MetricValue {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

/** A collector that prom-client's registry calls at scrape time. */
function collector(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => MetricValue[]) {
  return {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
    reset: () => undefined,
  };
}

/** @internal Builds the node's registry with the runtime's own metrics. */
export function createNodeMetrics(
  nodeId: string,
  hooks: HookRegistry,
  pluginStates: () => Iterable<[plugin: string, state: PluginState]>,
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  const register = (metric: ReturnType<typeof collector>) =>
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);

  register(
    collector('hypermesh_plugin_state', 'Lifecycle state of each plugin (1 for its current state)', 'gauge', () => {
      const values: MetricValue[] = [];
      for (const [plugin, current] of pluginStates()) {
        for (const state of PLUGIN_STATES) values.push({ value: state === current ? 1 : 0, labels: { plugin, state } });
      }
      return values;
    }),
  );
  register(
    collector('hypermesh_hook_calls_total', 'Calls of each hook on this node', 'counter', () =>
      [...hooks.states.values()].map((s) => ({ value: s.calls, labels: { hook: s.id } })),
    ),
  );
  register(
    collector('hypermesh_hook_errors_total', 'Failed tap invocations, by hook and plugin', 'counter', () => {
      const values: MetricValue[] = [];
      for (const s of hooks.states.values()) {
        for (const [plugin, n] of s.errors) values.push({ value: n, labels: { hook: s.id, plugin } });
      }
      return values;
    }),
  );
  register(
    collector('hypermesh_hook_duration_seconds', 'Duration of hook calls that had taps', 'histogram', () => {
      const values: MetricValue[] = [];
      const name = 'hypermesh_hook_duration_seconds';
      for (const s of hooks.states.values()) {
        const h = s.duration;
        let cumulative = 0;
        DurationHistogram.bounds.forEach((le, i) => {
          cumulative += h.counts[i]!;
          values.push({ value: cumulative, labels: { hook: s.id, le: String(le) }, metricName: `${name}_bucket` });
        });
        values.push({ value: h.count, labels: { hook: s.id, le: '+Inf' }, metricName: `${name}_bucket` });
        values.push({ value: h.sum, labels: { hook: s.id }, metricName: `${name}_sum` });
        values.push({ value: h.count, labels: { hook: s.id }, metricName: `${name}_count` });
      }
      return values;
    }),
  );
  return registry;
}

/** @internal The `ctx.metrics` of one plugin. */
export function createPluginMetrics(registry: Registry, plugin: string): PluginMetrics {
  const guard = <M>(name: string, make: () => M): M => {
    const existing = registry.getSingleMetric(name);
    if (existing !== undefined) {
      throw new HypermeshError(
        RuntimeErrorCode.InvalidArgument,
        `plugin '${plugin}' tried to register metric '${name}', which is already registered on this node; metric names must be unique — prefix them with the plugin's area (e.g. hypermesh_dns_…)`,
        { plugin },
      );
    }
    return make();
  };
  return {
    registry,
    counter: (config) => guard(config.name, () => new Counter({ ...config, registers: [registry] })),
    gauge: (config) => guard(config.name, () => new Gauge({ ...config, registers: [registry] })),
    histogram: (config) => guard(config.name, () => new Histogram({ ...config, registers: [registry] })),
    summary: (config) => guard(config.name, () => new Summary({ ...config, registers: [registry] })),
    counterFrom: (config, read) =>
      guard(config.name, () =>
        new Counter({
          name: config.name,
          help: config.help,
          labelNames: [...(config.labelNames ?? [])],
          registers: [registry],
          collect() {
            this.reset();
            for (const [labels, value] of read()) this.inc({ ...labels }, value);
          },
        }),
      ),
    gaugeFrom: (config, read) =>
      guard(config.name, () =>
        new Gauge({
          name: config.name,
          help: config.help,
          labelNames: [...(config.labelNames ?? [])],
          registers: [registry],
          collect() {
            this.reset();
            for (const [labels, value] of read()) this.set({ ...labels }, value);
          },
        }),
      ),
  };
}
