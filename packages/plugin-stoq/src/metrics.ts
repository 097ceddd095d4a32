import type { PluginMetrics } from '@hypermesh/runtime';
import type { AnalyticsEngine } from './engine/analytics-engine.js';

/** Counts of webhook deliveries, bumped by the plugin. */
export interface WebhookCounters {
  delivered: number;
  failed: number;
  dropped: number;
}

/**
 * Every metric `@hypermesh/plugin-stoq` exports. The engine keeps plain counters on its per-packet
 * path; these collectors read them when Prometheus scrapes, so observing costs no label lookups.
 */
export function registerStoqMetrics(metrics: PluginMetrics, engine: AnalyticsEngine, webhook: WebhookCounters): void {
  const c = engine.counters;
  metrics.counter({
    name: 'hypermesh_stoq_events_total',
    help: 'Events observed, by kind (dns queries, dns answers, flow samples)',
    labelNames: ['kind'],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(c.events)) this.inc({ kind }, n);
    },
  });
  metrics.counter({
    name: 'hypermesh_stoq_events_dropped_total',
    help: 'Malformed events counted and dropped, by reason',
    labelNames: ['reason'],
    collect() {
      this.reset();
      for (const [reason, n] of c.dropped) this.inc({ reason }, n);
    },
  });
  metrics.counter({
    name: 'hypermesh_stoq_threats_total',
    help: 'Threat events emitted, by kind and action',
    labelNames: ['kind', 'action'],
    collect() {
      this.reset();
      for (const [key, n] of c.threats) {
        const [kind, action] = key.split('|');
        this.inc({ kind: kind!, action: action! }, n);
      }
    },
  });
  metrics.gauge({
    name: 'hypermesh_stoq_active_threats',
    help: 'Threats whose action is in force',
    collect() {
      this.set(engine.actions.activeThreats().length);
    },
  });
  metrics.gauge({
    name: 'hypermesh_stoq_tracked',
    help: 'Entries in the bounded state tables, and distinct names and clients seen (HyperLogLog)',
    labelNames: ['table'],
    collect() {
      for (const [table, n] of Object.entries(engine.tracked())) this.set({ table }, n);
    },
  });
  metrics.gauge({
    name: 'hypermesh_stoq_observe_microseconds',
    help: 'Per-event cost of observe (sampled one event in 16), by quantile',
    labelNames: ['quantile'],
    collect() {
      for (const q of [50, 99]) {
        const v = c.latencyPercentile(q);
        if (v !== undefined) this.set({ quantile: String(q / 100) }, v);
      }
    },
  });
  metrics.counter({
    name: 'hypermesh_stoq_model_trainings_total',
    help: 'Isolation-forest trainings, by where they ran (worker, inline) or failed',
    labelNames: ['outcome'],
    collect() {
      this.reset();
      this.inc({ outcome: 'worker' }, c.trainings.worker);
      this.inc({ outcome: 'inline' }, c.trainings.inline);
      this.inc({ outcome: 'failed' }, c.trainings.failed);
    },
  });
  metrics.gauge({
    name: 'hypermesh_stoq_model_training_seconds',
    help: 'Duration of the last isolation-forest training',
    collect() {
      this.set(c.trainings.lastMs / 1000);
    },
  });
  metrics.counter({
    name: 'hypermesh_stoq_detector_errors_total',
    help: 'Custom detectors that threw, by detector',
    labelNames: ['detector'],
    collect() {
      this.reset();
      for (const [detector, n] of c.detectorErrors) this.inc({ detector }, n);
    },
  });
  metrics.counter({
    name: 'hypermesh_stoq_webhook_deliveries_total',
    help: 'Webhook alerts by outcome (delivered, failed after retries, dropped)',
    labelNames: ['outcome'],
    collect() {
      this.reset();
      for (const [outcome, n] of Object.entries(webhook)) this.inc({ outcome }, n);
    },
  });
}
