import {
  analyticsRef,
  clockRef,
  createServiceRef,
  datapathRef,
  definePlugin,
  dnsAnswerHook,
  dnsQueryHook,
  threatDetectedHook,
  transportRef,
  type AnalyticsService,
  type DatapathService,
  type Severity,
  type ThreatEvent,
} from '@hypermesh/runtime';
import { isIP } from 'node:net';
import { WebhookSink } from './actions/webhook.js';
import { stoqConfigSchema, type StoqConfig } from './config.js';
import { AnalyticsEngine } from './engine/analytics-engine.js';
import { STOQ_PLUGIN_NAME } from './errors.js';
import type { CongestionAssessment } from './flows/congestion.js';
import type { FlowStatistics } from './flows/flow-stats.js';
import type { BandwidthPrediction, FlowModel } from './flows/flow-table.js';
import { ForestTrainer } from './forest/forest-trainer.js';
import { registerStoqMetrics, type WebhookCounters } from './metrics.js';
import { classifierFor, defaultNameClassifier, defaultNameModel, type NameVerdict } from './names/classify-name.js';

/** The package version (also the plugin's). */
export const STOQ_VERSION = '0.1.0';

/** The link as a whole: all flows together. */
export interface LinkModel {
  /** Aggregate statistics of every flow. */
  readonly statistics: FlowStatistics;
  /** AR(p) forecast of the byte rate for the next interval. */
  readonly bandwidthPrediction: BandwidthPrediction | undefined;
  /** The congestion detector's last assessment. */
  readonly congestion: CongestionAssessment;
}

/**
 * Everything the `analytics` contract offers, plus what only this implementation has: flow
 * models, the link's congestion assessment, the name classifier and an immediate retrain.
 */
export interface StoqService extends AnalyticsService {
  /** The model of one flow, keyed `proto source:port > destination:port`. */
  flowModel(key: string): FlowModel | undefined;
  /** Keys of the flows tracked, most recently seen last. */
  flows(): readonly string[];
  /** The link: statistics, AR(p) bandwidth forecast, congestion probability. */
  link(): LinkModel;
  /** Classifies one name with this node's model; throws `E_STOQ_NAME` for a malformed name. */
  classifyName(qname: string): NameVerdict;
  /** Retrains the isolation forests now (in the worker thread). */
  retrain(): Promise<void>;
  /** Where client actions are enforced: the datapath, or this plugin's `dns.query` tap. */
  enforcement(): 'datapath' | 'dns';
}

/** The STOQ-specific service (`stoq`), for integrators and tools; other plugins use `analyticsRef`. */
export const stoqRef = createServiceRef<StoqService>({
  id: 'stoq',
  version: '1.0.0',
  description: 'STOQ engine: analytics plus flow models, link congestion and the name classifier',
});

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/**
 * `@hypermesh/plugin-stoq`: streaming statistics, anomaly detection, threat classification and
 * response. Provides `analytics` (and `stoq`); taps `dns.query` (pre, synchronous: observes and
 * refuses only what the action engine decided) and `dns.answer` (learns rcodes and sizes);
 * consumes `datapath.events()` and acts through the datapath when one is loaded.
 */
export const stoqPlugin = definePlugin({
  name: STOQ_PLUGIN_NAME,
  version: STOQ_VERSION,
  description: 'Streaming statistics, anomaly detection, threat classification and response (STOQ)',
  requires: { runtime: '^0.1.0' },
  optionalServices: [datapathRef, transportRef],
  provides: [analyticsRef, stoqRef],
  config: stoqConfigSchema,
  setup(ctx) {
    const config: StoqConfig = ctx.config;
    const clock = ctx.use(clockRef);
    const datapath = config.policy.enforcement === 'dns' ? undefined : ctx.useOptional(datapathRef);
    if (config.policy.enforcement === 'datapath' && datapath === undefined) {
      ctx.logger.warn("policy.enforcement is 'datapath' but no plugin provides the datapath service; enforcing in the dns.query tap instead");
    }
    const model = defaultNameModel();
    const classifier = config.analytics.ml_inference ? classifierFor(model) : undefined;
    const trainer = config.analytics.anomaly_detection ? new ForestTrainer() : undefined;
    const webhookCounters: WebhookCounters = { delivered: 0, failed: 0, dropped: 0 };
    const webhook =
      config.webhook.url === undefined
        ? undefined
        : new WebhookSink({ url: config.webhook.url, retries: config.webhook.retries, backoffMs: config.webhook.backoff, timeoutMs: config.webhook.timeout }, clock, (outcome, alert, detail) => {
            webhookCounters[outcome]++;
            if (outcome !== 'delivered') ctx.logger.warn({ threat: alert.threat.id, outcome }, `webhook alert ${outcome}: ${detail}`);
          });

    const emit = (threat: ThreatEvent) => {
      // off the packet path: taps of threat.detected run after observe returns
      queueMicrotask(() => {
        ctx.hooks.call(threatDetectedHook, threat).catch((err: unknown) => ctx.logger.warn({ err, threat: threat.id }, 'a threat.detected tap failed'));
      });
      if (webhook !== undefined && (threat.action === 'alert' || SEVERITY_RANK[threat.severity] >= SEVERITY_RANK[config.webhook.min_severity] || threat.lifts !== undefined)) {
        webhook.send({ source: STOQ_PLUGIN_NAME, node: ctx.nodeId, threat });
      }
      ctx.logger.info({ threat: threat.id, kind: threat.kind, action: threat.action, subject: threat.subject, score: threat.score }, threat.lifts ? 'threat action lifted' : 'threat detected');
    };

    const engine = new AnalyticsEngine({
      config,
      clock,
      nodeId: ctx.nodeId,
      model,
      classifier,
      ...(datapath !== undefined ? { datapath } : {}),
      emit,
      ...(trainer !== undefined ? { trainer } : {}),
      warn: (message) => ctx.logger.warn(message),
    });

    const service = {
      observe: (event) => engine.observe(event),
      scores: (limit) => engine.scores(limit),
      nodeScore: (nodeId) => engine.nodeScore(nodeId),
      topTalkers: (limit) => engine.topTalkers(limit),
      recentThreats: (limit = 50) => engine.actions.recentThreats(limit),
      modelStatus: () => engine.modelStatus(),
      addDetector: (detector) => engine.addDetector(detector),
      activeThreats: () => engine.actions.activeThreats(),
      release: (threatId) => engine.actions.release(threatId, clock.now()),
      flowModel: (key) => engine.flowModel(key),
      flows: () => engine.flowKeys(),
      link: () => engine.linkModel(),
      classifyName: (qname) => (classifier ?? defaultNameClassifier()).classify(qname),
      retrain: () => engine.retrain(),
      enforcement: () => engine.enforcer.mode(),
    } satisfies StoqService;
    ctx.provide(analyticsRef, service);
    ctx.provide(stoqRef, service);
    registerStoqMetrics(ctx.metrics, engine, webhookCounters);

    if (!config.enabled) {
      ctx.logger.info('STOQ is disabled (spec.stoq.enabled: false): the analytics service observes nothing');
      return;
    }
    ctx.hooks.tap(dnsQueryHook, (query) => engine.observeQuery(query), { name: 'stoq-observe', order: 'pre' });
    ctx.hooks.tap(
      dnsAnswerHook,
      (answer) => {
        engine.observeAnswer(answer);
        return answer;
      },
      { name: 'stoq-answers', order: 'post' },
    );

    let timer: ReturnType<typeof clock.setInterval> | undefined;
    ctx.onStart(() => {
      const transport = ctx.useOptional(transportRef);
      for (const peer of transport?.peers() ?? []) {
        // a peer id that is an address (or HOST:PORT) protects that address too
        const host = peer.replace(/^\[|\]?:\d+$/g, '');
        if (isIP(host) !== 0) engine.protection.addNode(peer, host);
      }
      timer = clock.setInterval(() => engine.tick(), 1000);
      if (datapath !== undefined) void consumeDatapath(datapath, engine, config.performance.batch_size, ctx.signal, (err) => ctx.logger.warn({ err }, 'the datapath event stream failed; flows are no longer observed'));
      ctx.logger.info({ enforcement: engine.enforcer.mode(), classifier: classifier?.modelName ?? 'off' }, 'STOQ analytics started');
    });
    ctx.onStop(async () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      webhook?.close();
      await trainer?.close();
    });
    ctx.onHealthCheck(() => {
      const p99 = engine.counters.latencyPercentile(99);
      const budget = config.performance.processing_latency_us;
      const fallback = trainer?.fallbackReason();
      if (p99 !== undefined && p99 > budget) return { status: 'degraded', detail: `observe p99 is ${p99.toFixed(1)} µs, over the ${budget} µs budget` };
      if (fallback !== undefined) return { status: 'degraded', detail: fallback };
      const t = engine.tracked();
      return { status: 'ok', detail: `${t.clients} clients, ${t.domains} domains, ${engine.actions.activeThreats().length} active threats; enforcement: ${engine.enforcer.mode()}` };
    });
  },
});

/** Feeds datapath events to the engine in batches, yielding to the event loop between batches. */
async function consumeDatapath(datapath: DatapathService, engine: AnalyticsEngine, batch: number, signal: AbortSignal, fail: (err: unknown) => void): Promise<void> {
  let n = 0;
  try {
    for await (const event of datapath.events()) {
      if (signal.aborted) return;
      if (event.kind === 'flow') engine.observe(event);
      else if (event.kind === 'dns-answered') engine.observe({ kind: 'dns', at: event.at, client: event.source, name: event.name, type: event.type, rcode: 'NOERROR' });
      if (++n % batch === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    if (!signal.aborted) fail(err);
  }
}
