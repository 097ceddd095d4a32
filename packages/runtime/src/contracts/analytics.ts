import { createServiceRef } from '../services/service-ref.js';
import type { DnsRcode, DnsRecordType, DnsTransport } from './dns.js';

/** A DNS query observed by analytics (from `dns.query`, or from the datapath). */
export interface DnsObservation {
  readonly kind: 'dns';
  /** When it happened (ms, clock service time). */
  readonly at: number;
  /** The client's address. */
  readonly client: string;
  /** The queried name, lower-case without trailing dot. */
  readonly name: string;
  readonly type: DnsRecordType;
  readonly transport?: DnsTransport;
  /** The response code, when the answer is known. */
  readonly rcode?: DnsRcode;
  /** Response size in bytes, when known. */
  readonly responseSize?: number;
}

/** A flow sample (per 5-tuple counters over an interval), e.g. from the TC `flow_stats` program. */
export interface FlowObservation {
  readonly kind: 'flow';
  readonly at: number;
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** IP protocol number (6 TCP, 17 UDP, …). */
  readonly protocol: number;
  /** Packets and bytes since the previous sample of this flow. */
  readonly packets: number;
  readonly bytes: number;
  /** Size of the sampled packet, when the sample is one packet. */
  readonly packetSize?: number;
}

/** Anything analytics can observe. */
export type AnalyticsEvent = DnsObservation | FlowObservation;

/** The kinds of threat the analytics engine classifies. */
export type ThreatKind = 'dga' | 'tunnel' | 'water-torture' | 'amplification' | 'query-flood' | 'anomaly';

/** How bad a threat or a suspicion is. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** One feature that contributed to a verdict, and how strongly. */
export interface ThreatReason {
  /** The feature, e.g. `label_entropy`. */
  readonly feature: string;
  /** Its observed value. */
  readonly value: number;
  /** The threshold or expected value it was compared with, when there is one. */
  readonly threshold?: number;
  /** Its contribution to the score, in [0, 1]. */
  readonly weight: number;
  /** The same in words. */
  readonly explanation: string;
}

/** A detected threat, as passed to `threat.detected` taps. */
export interface ThreatEvent {
  /** Unique id of the detection. */
  readonly id: string;
  readonly kind: ThreatKind;
  readonly severity: Severity;
  /** Who or what it concerns. */
  readonly subject: { readonly client?: string; readonly domain?: string; readonly node?: string };
  /** The detector's score in [0, 1]. */
  readonly score: number;
  readonly reasons: readonly ThreatReason[];
  /** What the action engine decided. */
  readonly action: 'observe' | 'rate-limit' | 'block' | 'alert';
  readonly detectedAt: number;
  /** When a block or rate limit ends (ms), if it does. */
  readonly expiresAt?: number;
  /**
   * Set on the event that reverses an earlier action: the id of the threat whose block or rate
   * limit is lifted (its `action` is then `observe`).
   */
  readonly lifts?: string;
}

/** An anomaly score for a client, a domain or a node. */
export interface AnomalyScore {
  readonly subject: string;
  /** In [0, 1]; above ~0.6 is unusual. */
  readonly score: number;
  readonly updatedAt: number;
}

/** The state of the models behind the detectors. */
export interface ModelStatus {
  /** Name and version of the shipped name classifier model. */
  readonly classifier: string;
  /** When the anomaly model was last trained (ms), if it has been. */
  readonly anomalyTrainedAt?: number;
  /** Samples in the current training window. */
  readonly trainingSamples: number;
}

/** What a custom detector reports about one event. */
export interface DetectorFinding {
  /** Who or what it concerns: a client address, a domain, or a cluster node. */
  readonly subject: ThreatEvent['subject'];
  /** In [0, 1]; the action engine acts at the policy's `act_at` (0.7 by default). */
  readonly score: number;
  /** Which features fired and how strongly. */
  readonly reasons: readonly ThreatReason[];
}

/**
 * A detector another plugin adds to the analytics engine. `inspect` runs for every valid event on
 * the per-packet path: it must be synchronous and cheap, and return `undefined` for nothing found.
 * A detector that throws is counted and skipped for that event; it never breaks `observe`.
 */
export interface CustomDetector {
  /** A name for logs and metrics, e.g. `acme.blocklist-hits`. */
  readonly name: string;
  /** The kind of threat it reports (its policy is that kind's). */
  readonly kind: ThreatKind;
  /** Looks at one event. */
  inspect(event: AnalyticsEvent): DetectorFinding | undefined;
}

/**
 * Streaming analytics (STOQ): observes DNS queries and flows, scores clients, domains and nodes,
 * classifies threats and acts on them through the action engine.
 *
 * `observe` is on the per-packet path: it is synchronous, cheap and never throws — a malformed
 * event is counted and dropped.
 */
export interface AnalyticsService {
  /** Feeds one event. */
  observe(event: AnalyticsEvent): void;
  /** Current anomaly scores of clients and domains, highest first. */
  scores(limit?: number): { readonly clients: readonly AnomalyScore[]; readonly domains: readonly AnomalyScore[] };
  /** The anomaly score of a peer node (feeds the consensus reputation), if known. */
  nodeScore(nodeId: string): number | undefined;
  /** Clients with the most queries in the current window. */
  topTalkers(limit?: number): readonly { readonly client: string; readonly queries: number }[];
  /** Most recent detections, newest first. */
  recentThreats(limit?: number): readonly ThreatEvent[];
  /** Model state. */
  modelStatus(): ModelStatus;
  /** Adds a detector; returns a function that removes it. (Since 1.1.0.) */
  addDetector(detector: CustomDetector): () => void;
  /** Threats whose action (block, rate limit, alert, observe) is in force now, newest first. (Since 1.1.0.) */
  activeThreats(): readonly ThreatEvent[];
  /**
   * Lifts the action of a threat now, emitting the reversing `threat.detected` event; returns false
   * for an unknown or already lifted id. (Since 1.1.0.)
   */
  release(threatId: string): boolean;
}

/** The `analytics` service. */
export const analyticsRef = createServiceRef<AnalyticsService>({
  id: 'analytics',
  version: '1.1.0',
  description: 'Streaming statistics, anomaly detection and threat classification (STOQ)',
});
