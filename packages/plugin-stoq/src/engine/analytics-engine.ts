import type {
  AnalyticsEvent,
  AnalyticsService,
  AnomalyScore,
  ClockService,
  CustomDetector,
  DatapathService,
  DnsAnswerEvent,
  DnsObservation,
  DnsQueryEvent,
  DnsQueryVerdict,
  FlowObservation,
  ModelStatus,
  ThreatEvent,
} from '@hypermesh/runtime';
import { ActionEngine, type Finding, type PolicyKind } from '../actions/action-engine.js';
import { Enforcer } from '../actions/enforcer.js';
import { ProtectedSubjects } from '../actions/protected-subjects.js';
import type { StoqConfig } from '../config.js';
import { CLIENT_DETECTORS, DOMAIN_DETECTORS, type StreamDetector } from '../detectors/stream-detectors.js';
import { RateShiftDetector } from '../detectors/rate-shift.js';
import { ratioToScore } from '../detectors/score.js';
import { FlowTable, type FlowModel } from '../flows/flow-table.js';
import type { ForestTrainer } from '../forest/forest-trainer.js';
import type { ParsedNameClassifier } from '../names/classify-name.js';
import type { NameModel } from '../names/name-model.js';
import { CountMinSketch } from '../sketch/count-min.js';
import { HyperLogLog } from '../sketch/hyperloglog.js';
import { SpaceSaving } from '../sketch/space-saving.js';
import { AnomalyModel } from './anomaly-model.js';
import { EngineCounters } from './engine-counters.js';
import { LruMap } from './lru-map.js';
import { NameInfoCache, type NameInfo } from './name-info.js';
import { estimateResponseSize } from './response-size.js';
import { ClientCounter, ClientState, DomainCounter, DomainState, VECTOR_DIMENSIONS, type SubjectState } from './subject-state.js';
import { validateEvent } from './validate-event.js';

/** What the engine needs from its surroundings. */
export interface EngineOptions {
  readonly config: StoqConfig;
  readonly clock: ClockService;
  /** This node's id (seeds, alert bodies). */
  readonly nodeId: string;
  /** The loaded name model (its benign statistics also measure payload bits). */
  readonly model: NameModel;
  /** The name classifier; undefined when `ml_inference` is off. */
  readonly classifier: ParsedNameClassifier | undefined;
  /** The datapath, when one is loaded: client measures go there. */
  readonly datapath?: DatapathService;
  /** Receives every threat event (the plugin emits `threat.detected` and alerts). Must not throw. */
  readonly emit: (threat: ThreatEvent) => void;
  /** Trains isolation forests; undefined disables retraining. */
  readonly trainer?: ForestTrainer;
  /** Reports problems that should be logged once. */
  readonly warn?: (message: string) => void;
}

const TYPES_TXT_NULL = new Set(['TXT', 'NULL']);
/** Subjects scored per tick and kind: bounds the time one tick blocks the event loop (≈ 500 × 10 µs). */
const SCORING_BATCH = 500;

/**
 * The STOQ engine: everything behind the `analytics` service, usable without a node (benchmarks,
 * tests, offline replays). `observe` and the `dns.query` path are synchronous, never throw and
 * touch O(1) state per event: the name's cached verdict, one client and one domain entry (bounded
 * LRU maps), a few sketches and the stream detectors. Isolation-forest scores are computed in
 * `tick()`, in bounded batches, for the subjects that saw traffic.
 */
export class AnalyticsEngine {
  readonly counters = new EngineCounters();
  readonly protection: ProtectedSubjects;
  readonly enforcer: Enforcer;
  readonly actions: ActionEngine;
  private readonly config: StoqConfig;
  private readonly clock: ClockService;
  private readonly names: NameInfoCache;
  private readonly clients: LruMap<string, ClientState>;
  private readonly domains: LruMap<string, DomainState>;
  private readonly flows: FlowTable;
  private readonly clientModel: AnomalyModel;
  private readonly domainModel: AnomalyModel;
  private readonly rates: RateShiftDetector;
  private readonly talkers = new SpaceSaving(256);
  /** How often each name was queried (all clients), halved every window. */
  private readonly nameCounts = new CountMinSketch(1 << 14, 4);
  /** First sightings of domains without state, halved every window. */
  private readonly domainSightings = new CountMinSketch(1 << 16, 3);
  private readonly distinctNames = new HyperLogLog(14);
  private readonly distinctClients = new HyperLogLog(12);
  private readonly detectors = new Set<CustomDetector>();
  private readonly vector = new Float64Array(VECTOR_DIMENSIONS);
  private readonly clientQueue: SubjectState[] = [];
  private readonly domainQueue: SubjectState[] = [];
  private window = Number.NaN;
  private nextRetrain: number;
  private threatSeq = 0;

  constructor(private readonly options: EngineOptions) {
    const config = options.config;
    this.config = config;
    this.clock = options.clock;
    this.names = new NameInfoCache(config.limits.name_cache, options.classifier, options.model);
    this.clients = new LruMap(config.limits.clients);
    this.domains = new LruMap(config.limits.domains);
    this.flows = new FlowTable({
      maxFlows: config.limits.flows,
      tauMs: Math.max(config.flows.interval * 5, 1000),
      intervalMs: config.flows.interval,
      arOrder: config.flows.ar_order,
      capacityBytesPerSecond: config.flows.capacity_bytes_per_second,
    });
    this.clientModel = new AnomalyModel('clients', VECTOR_DIMENSIONS, config.forest, config.forest.client_threshold);
    this.domainModel = new AnomalyModel('domains', VECTOR_DIMENSIONS, config.forest, config.forest.domain_threshold);
    this.rates = new RateShiftDetector(config.seasonal);
    this.protection = new ProtectedSubjects(config.policy.allow_clients, config.policy.allow_domains, config.policy.cluster_nodes);
    const useDatapath = config.policy.enforcement !== 'dns' && options.datapath !== undefined;
    this.enforcer = new Enforcer(useDatapath ? options.datapath : undefined, config.policy.rate_limit_qps);
    this.actions = new ActionEngine(config, this.enforcer, this.protection, {
      emit: (threat) => {
        this.counters.threat(threat.kind, threat.action);
        options.emit(threat);
      },
      nextId: () => `${options.nodeId}-${(++this.threatSeq).toString(36)}-${Math.floor(this.clock.now()).toString(36)}`,
    });
    this.nextRetrain = this.clock.now() + config.forest.retrain_every;
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  /** Feeds one event of any kind from outside: validated here; a malformed one is counted and dropped. */
  observe(event: unknown): void {
    if (!this.config.enabled) return;
    const started = this.counters.startTiming();
    try {
      const valid = validateEvent(event);
      if (typeof valid === 'string') return this.counters.drop(valid, this.options.warn);
      if (valid.kind === 'dns') this.dns(valid.at, valid.client, valid.name, valid.type, valid.rcode, valid.responseSize, undefined, valid);
      else this.flow(valid);
    } catch (err) {
      this.counters.drop('internal', this.options.warn, err);
    } finally {
      this.counters.endTiming(started);
    }
  }

  /** The `dns.query` tap: observes the query and returns the enforcement verdict. Never throws. */
  observeQuery(query: DnsQueryEvent): DnsQueryVerdict | undefined {
    if (!this.config.enabled) return undefined;
    const started = this.counters.startTiming();
    try {
      const q = query as Partial<DnsQueryEvent> | null;
      const at = q?.receivedAt;
      const client = q?.client;
      const name = q?.question?.name;
      const type = q?.question?.type;
      if (typeof at !== 'number' || !Number.isFinite(at) || typeof client !== 'string' || client.length === 0 || typeof name !== 'string' || typeof type !== 'string') {
        this.counters.drop('not-an-event', this.options.warn);
        return undefined;
      }
      const info = this.dns(at, client, name, type, undefined, undefined, typeof q?.size === 'number' ? q.size : undefined, undefined);
      return this.enforcer.verdict(client, info?.domain, at);
    } catch (err) {
      this.counters.drop('internal', this.options.warn, err);
      return undefined;
    } finally {
      this.counters.endTiming(started);
    }
  }

  /** The `dns.answer` tap: learns the rcode and response size of a query. Never throws. */
  observeAnswer(answer: DnsAnswerEvent): void {
    if (!this.config.enabled) return;
    try {
      const q = answer?.query;
      const rcode = answer?.resolution?.rcode;
      if (q === undefined || typeof rcode !== 'string' || typeof q.question?.name !== 'string') return;
      const info = this.names.get(q.question.name);
      if (typeof info === 'string') return;
      this.counters.events.answers++;
      this.answered(q.receivedAt, q.client, info, rcode, estimateResponseSize(answer.resolution));
    } catch (err) {
      this.counters.drop('internal', this.options.warn, err);
    }
  }

  private dns(
    at: number,
    client: string,
    name: string,
    type: string,
    rcode: string | undefined,
    responseSize: number | undefined,
    querySize: number | undefined,
    observation: DnsObservation | undefined,
  ): NameInfo | undefined {
    const info = this.names.get(name);
    if (typeof info === 'string') {
      this.counters.drop('bad-name', this.options.warn, info);
      return undefined;
    }
    this.counters.events.dns++;
    this.rollWindow(at);
    const c = this.client(client, at);
    const d = this.domain(info.domain, at);
    const k = c.counters;
    k.add(ClientCounter.Queries);
    k.add(ClientCounter.NameLength, info.length);
    k.add(ClientCounter.NameScore, info.score);
    k.add(ClientCounter.QueryBytes, querySize ?? info.length + 16);
    c.names.add(name);
    c.rate.mark(at);
    if (c.score < 0.5) c.baseline.mark(at); // a flooding client must not raise its own baseline
    if (type === 'ANY') k.add(ClientCounter.AnyQueries);
    const txtNull = TYPES_TXT_NULL.has(type);
    if (txtNull) k.add(ClientCounter.TxtNull);
    if (info.label === 'dga') c.dgaNames.add(name);
    if (info.label === 'tunnel') k.add(ClientCounter.TunnelNames);

    if (d !== undefined) {
      const dk = d.counters;
      dk.add(DomainCounter.Queries);
      dk.add(DomainCounter.NameLength, info.length);
      dk.add(DomainCounter.PayloadBits, info.payloadBits);
      if (txtNull) dk.add(DomainCounter.TxtNull);
      if (info.label === 'tunnel') dk.add(DomainCounter.TunnelNames);
      if (name.length > info.domain.length) d.subdomains.add(name);
      d.clients.add(client);
    }

    this.talkers.add(client);
    this.nameCounts.add(name);
    this.distinctNames.add(name);
    this.distinctClients.add(client);
    if (this.config.analytics.anomaly_detection) this.rates.add(at, 1, (querySize ?? info.length + 16) + (responseSize ?? 0));
    if (rcode !== undefined) this.answered(at, client, info, rcode, responseSize ?? 0);
    if (this.config.analytics.pattern_analysis) {
      this.detect(c, at, CLIENT_DETECTORS, this.clientModel);
      if (d !== undefined) this.detect(d, at, DOMAIN_DETECTORS, this.domainModel);
    }
    if (this.config.analytics.anomaly_detection) {
      this.anomaly(c, this.clientModel, at);
      if (d !== undefined) this.anomaly(d, this.domainModel, at);
    }
    if (this.detectors.size > 0) this.custom(observation ?? { kind: 'dns', at, client, name, type: type as DnsObservation['type'] });
    return info;
  }

  private answered(at: number, client: string, info: NameInfo, rcode: string, responseSize: number): void {
    const c = this.clients.peek(client);
    const d = this.domains.peek(info.domain);
    const nx = rcode === 'NXDOMAIN';
    const large = responseSize >= this.config.detectors.large_response;
    if (c !== undefined) {
      c.roll(at);
      c.counters.add(ClientCounter.Answered);
      if (nx) c.counters.add(ClientCounter.NxDomain);
      c.counters.add(ClientCounter.ResponseBytes, responseSize);
      if (large) c.counters.add(ClientCounter.LargeResponses);
      if (this.config.analytics.pattern_analysis) this.detect(c, at, CLIENT_DETECTORS, this.clientModel);
    }
    if (d !== undefined) {
      d.roll(at);
      d.counters.add(DomainCounter.Answered);
      if (nx) d.counters.add(DomainCounter.NxDomain);
      d.counters.add(DomainCounter.ResponseBytes, responseSize);
      if (this.config.analytics.pattern_analysis) this.detect(d, at, DOMAIN_DETECTORS, this.domainModel);
    }
  }

  private flow(sample: FlowObservation): void {
    this.counters.events.flow++;
    this.flows.observe(sample);
    if (this.config.analytics.anomaly_detection) this.rates.add(sample.at, 0, sample.bytes);
    if (this.detectors.size > 0) this.custom(sample);
  }

  private client(address: string, at: number): ClientState {
    return this.entry(this.clients, address, at, () => new ClientState(address, this.config.window));
  }

  /**
   * The state of a domain — created only at its second query in about a window (a count-min sketch
   * remembers first sightings), so the one-off domains that make up most of a long tail cost a
   * sketch update instead of a state entry. Every detector needs volume under a domain anyway.
   */
  private domain(domain: string, at: number): DomainState | undefined {
    const known = this.domains.get(domain);
    if (known !== undefined) {
      known.roll(at);
      return known;
    }
    if (this.domainSightings.add(domain) < 2) return undefined;
    return this.entry(this.domains, domain, at, () => new DomainState(domain, this.config.window));
  }

  private entry<S extends SubjectState>(table: LruMap<string, S>, key: string, at: number, create: () => S): S {
    let state = table.get(key);
    if (state === undefined) {
      state = create();
      table.set(key, state);
    }
    state.roll(at);
    return state;
  }

  // ── detection ─────────────────────────────────────────────────────────────────────────────

  private detect<S extends SubjectState>(state: S, at: number, detectors: readonly StreamDetector<S>[], model: AnomalyModel): void {
    let best = 0;
    for (const detector of detectors) {
      const ratio = detector.ratio(state, at, this.config.detectors);
      const score = ratioToScore(ratio);
      if (score > best) best = score;
      if (score < this.actions.floor(detector.policy) && !(state.flagged && this.actions.active(detector.kind, this.subjectOf(state.subject)))) continue;
      state.flagged = true;
      this.actions.consider(this.finding(detector.kind, detector.policy, state.subject, score, at, () => detector.reasons(state, at, this.config.detectors)));
    }
    state.score = Math.max(best, ratioToScore(model.ratio(state.anomaly)));
  }

  /**
   * Samples the subject's vector for training (inline: cheap) and queues it for scoring, which runs
   * in `tick()` — the forest is never walked on the per-packet path.
   */
  private anomaly(state: SubjectState, model: AnomalyModel, at: number): void {
    if (at - state.sampledAt >= this.config.forest.sample_every) {
      state.sampledAt = at;
      // keep known attacks out of the training window
      if (state.score < 0.5) model.sample(state.vector(at, this.vector));
    }
    if (!state.queued && model.ready() && at - state.scoredAt >= this.config.forest.score_every) {
      state.queued = true;
      (model === this.clientModel ? this.clientQueue : this.domainQueue).push(state);
    }
  }

  /** Scores queued subjects (at most `SCORING_BATCH` per tick and kind, the rest wait). */
  private scoreQueued(queue: SubjectState[], model: AnomalyModel): void {
    const batch = queue.splice(0, SCORING_BATCH);
    for (const state of batch) {
      state.queued = false;
      const at = state.lastSeen;
      state.scoredAt = at;
      state.anomaly = model.score(state.vector(at, this.vector));
      const score = ratioToScore(model.ratio(state.anomaly));
      if (score > state.score) state.score = score;
      if (score < this.actions.floor('anomaly') && !(state.flagged && this.actions.active('anomaly', this.subjectOf(state.subject)))) continue;
      state.flagged = true;
      const vector = Array.from(this.vector);
      const anomaly = state.anomaly;
      this.actions.consider(
        this.finding('anomaly', 'anomaly', state.subject, score, at, () => [
          {
            feature: `${model.name}_isolation_score`,
            value: Math.round(anomaly * 1000) / 1000,
            threshold: model.threshold,
            weight: 1,
            explanation: `isolation-forest score ${anomaly.toFixed(3)} of its behaviour vector [${vector.map((v) => v.toFixed(2)).join(', ')}] among ${model.name} (threshold ${model.threshold})`,
          },
        ]),
      );
    }
  }


  private subjectOf(subject: ThreatEvent['subject']): ThreatEvent['subject'] {
    const node = subject.client === undefined ? undefined : this.protection.nodeOf(subject.client);
    return node === undefined ? subject : { ...subject, node };
  }

  private finding(kind: Finding['kind'], policy: PolicyKind, subject: ThreatEvent['subject'], score: number, at: number, reasons: Finding['reasons']): Finding {
    return { kind, policy, subject: this.subjectOf(subject), score, reasons, at };
  }

  private custom(event: AnalyticsEvent): void {
    for (const detector of this.detectors) {
      let found;
      try {
        found = detector.inspect(event);
      } catch (err) {
        this.counters.detectorError(detector.name, this.options.warn, err);
        continue;
      }
      if (found === undefined || !(found.score >= 0) || found.score > 1) continue;
      const reasons = found.reasons;
      this.actions.consider(this.finding(detector.kind, policyOf(detector.kind), found.subject, found.score, event.at, () => reasons));
    }
  }

  // ── time ──────────────────────────────────────────────────────────────────────────────────

  private rollWindow(at: number): void {
    const window = Math.floor(at / this.config.window);
    if (window === this.window) return;
    if (!Number.isNaN(this.window) && window > this.window) {
      // age the sketches: counts halve every window
      this.talkers.decay(0.5);
      this.nameCounts.decay(0.5);
      this.domainSightings.decay(0.5);
    }
    this.window = Math.max(window, Number.isNaN(this.window) ? window : this.window);
  }

  /**
   * Periodic work, off the per-packet path (the plugin calls it every second on the clock):
   * reviews actions, closes rate steps (seasonal model and change points), retrains forests.
   */
  tick(): void {
    const now = this.clock.now();
    this.actions.review(now);
    if (this.config.analytics.anomaly_detection) {
      this.scoreQueued(this.clientQueue, this.clientModel);
      this.scoreQueued(this.domainQueue, this.domainModel);
      for (const shift of this.rates.close(now)) {
        const ratio = Math.max(1, shift.level);
        const reasons = shift.reasons;
        this.actions.consider(this.finding('anomaly', 'anomaly', {}, ratioToScore(ratio), now, () => reasons));
      }
      if (now >= this.nextRetrain) {
        this.nextRetrain = now + this.config.forest.retrain_every;
        void this.retrain();
      }
    }
  }

  /** Retrains both forests now (in the worker). Resolves when done; failures are counted and logged. */
  async retrain(): Promise<void> {
    const trainer = this.options.trainer;
    if (trainer === undefined) return;
    for (const model of [this.clientModel, this.domainModel]) {
      try {
        const outcome = await model.retrain(trainer, this.options.nodeId, () => this.clock.now());
        if (outcome === 'trained') this.counters.trained(model.trainedWhere ?? 'worker', model.trainingMs);
      } catch (err) {
        this.counters.trainingFailed(this.options.warn, err);
      }
    }
  }

  // ── queries ───────────────────────────────────────────────────────────────────────────────

  /** Current anomaly scores, highest first. */
  scores(limit = 20): ReturnType<AnalyticsService['scores']> {
    const top = <S extends SubjectState>(entries: Iterable<[string, S]>): AnomalyScore[] => {
      const list: AnomalyScore[] = [];
      for (const [subject, s] of entries) if (s.score > 0) list.push({ subject, score: Math.round(s.score * 1000) / 1000, updatedAt: s.lastSeen });
      return list.sort((a, b) => b.score - a.score || (a.subject < b.subject ? -1 : 1)).slice(0, Math.max(0, limit));
    };
    return { clients: top(this.clients.entries()), domains: top(this.domains.entries()) };
  }

  /** The anomaly score of a cluster node: the highest score of its addresses (and of open incidents about it). */
  nodeScore(nodeId: string): number | undefined {
    let best: number | undefined;
    for (const address of this.protection.addressesOf(nodeId)) {
      const c = this.clients.peek(address);
      if (c !== undefined) best = Math.max(best ?? 0, c.score);
    }
    const incident = this.actions.incidentScore((s) => s.node === nodeId);
    if (incident !== undefined) best = Math.max(best ?? 0, incident);
    return best === undefined ? undefined : Math.round(best * 1000) / 1000;
  }

  /** Clients with the most queries recently (counts halve every window). */
  topTalkers(limit = 10): { client: string; queries: number }[] {
    return this.talkers.top(limit).map((h) => ({ client: h.key, queries: Math.round(h.count) }));
  }

  /** State of the models. */
  modelStatus(): ModelStatus {
    const trainedAt = [this.clientModel.trainedAt, this.domainModel.trainedAt].filter((t): t is number => t !== undefined);
    return {
      classifier: this.options.classifier?.modelName ?? 'off',
      ...(trainedAt.length > 0 ? { anomalyTrainedAt: Math.max(...trainedAt) } : {}),
      trainingSamples: this.clientModel.samples() + this.domainModel.samples(),
    };
  }

  /** Adds a custom detector. */
  addDetector(detector: CustomDetector): () => void {
    this.detectors.add(detector);
    return () => void this.detectors.delete(detector);
  }

  /** The model of one flow (`proto source:port > destination:port`). */
  flowModel(key: string): FlowModel | undefined {
    return this.flows.model(key, this.clock.now());
  }

  /** The link as a whole: statistics, bandwidth forecast, congestion. */
  linkModel(): ReturnType<FlowTable['linkModel']> {
    return this.flows.linkModel(this.clock.now());
  }

  /** Sizes of the bounded state. */
  tracked(): { clients: number; domains: number; flows: number; names: number; distinctNames: number; distinctClients: number; scoringQueue: number } {
    return {
      scoringQueue: this.clientQueue.length + this.domainQueue.length,
      clients: this.clients.size,
      domains: this.domains.size,
      flows: this.flows.size().tracked,
      names: this.names.stats().size,
      distinctNames: Math.round(this.distinctNames.count()),
      distinctClients: Math.round(this.distinctClients.count()),
    };
  }

  /** The flow keys tracked. */
  flowKeys(): string[] {
    return this.flows.keys();
  }
}

function policyOf(kind: ThreatEvent['kind']): PolicyKind {
  switch (kind) {
    case 'water-torture':
      return 'water_torture';
    case 'query-flood':
      return 'query_flood';
    default:
      return kind;
  }
}
