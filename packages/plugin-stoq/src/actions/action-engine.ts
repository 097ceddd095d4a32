import type { Severity, ThreatEvent, ThreatKind, ThreatReason } from '@hypermesh/runtime';
import type { StoqConfig } from '../config.js';
import type { Enforcer, Measure } from './enforcer.js';
import type { ProtectedSubjects } from './protected-subjects.js';

/** The policy key of each threat kind. */
export type PolicyKind = 'dga' | 'tunnel' | 'water_torture' | 'amplification' | 'query_flood' | 'anomaly';

/** A detector's finding, handed to the action engine. */
export interface Finding {
  readonly kind: ThreatKind;
  readonly policy: PolicyKind;
  readonly subject: ThreatEvent['subject'];
  /** In [0, 1]; 0.7 means the detector's threshold is reached. */
  readonly score: number;
  /** Built only when an incident starts. */
  readonly reasons: () => readonly ThreatReason[];
  /** Event time (ms). */
  readonly at: number;
}

interface Incident {
  readonly key: string;
  readonly threat: ThreatEvent;
  readonly policy: PolicyKind;
  readonly measure: Measure | undefined;
  /** Last time the score was at or above `release_below`. */
  lastAbove: number;
  score: number;
  until: number;
}

/** Where the action engine sends what it decides. */
export interface ActionSinks {
  /** Emits `threat.detected` (and sends alerts); must not throw. */
  readonly emit: (threat: ThreatEvent) => void;
  /** A new incident id. */
  readonly nextId: () => string;
}

const severityOf = (score: number): Severity => (score >= 0.95 ? 'critical' : score >= 0.85 ? 'high' : score >= 0.7 ? 'medium' : 'low');

/** The key of a subject, for incidents and suppression. */
export function subjectKey(kind: ThreatKind, subject: ThreatEvent['subject']): string {
  return `${kind}|${subject.client ?? ''}|${subject.domain ?? ''}|${subject.node ?? ''}`;
}

/**
 * Turns findings into actions under the policy: one incident per (kind, subject) from the moment
 * its score reaches `act_at` until it has stayed below `release_below` for `release_after`
 * (hysteresis, so a score hovering near the threshold does not flap). Blocks and rate limits last
 * `ttl` and are renewed while the incident lasts. Allow-listed subjects and the cluster's own nodes
 * are never acted against (their incidents are recorded as `observe`). Every action emits a
 * `threat.detected` event; lifting one emits another whose `lifts` names it.
 */
export class ActionEngine {
  private readonly incidents = new Map<string, Incident>();
  private readonly released = new Map<string, number>();
  private readonly recent: ThreatEvent[] = [];

  constructor(
    private readonly config: StoqConfig,
    private readonly enforcer: Enforcer,
    private readonly protection: ProtectedSubjects,
    private readonly sinks: ActionSinks,
  ) {}

  /** The smallest score worth handing to {@link ActionEngine.consider} for this policy. */
  floor(policy: PolicyKind): number {
    const p = this.config.policy[policy];
    return Math.min(p.act_at, p.release_below);
  }

  /** True when an incident is open for this subject (its samples are kept out of training). */
  active(kind: ThreatKind, subject: ThreatEvent['subject']): boolean {
    return this.incidents.size > 0 && this.incidents.has(subjectKey(kind, subject));
  }

  /** Considers a finding: updates an open incident or opens one. */
  consider(finding: Finding): void {
    const key = subjectKey(finding.kind, finding.subject);
    const policy = this.config.policy[finding.policy];
    const open = this.incidents.get(key);
    if (open !== undefined) {
      if (finding.score >= policy.release_below) open.lastAbove = Math.max(open.lastAbove, finding.at);
      open.score = finding.score;
      return;
    }
    if (finding.score < policy.act_at) return;
    this.open(key, finding);
  }

  private open(key: string, finding: Finding): void {
    const policy = this.config.policy[finding.policy];
    const reasons = [...finding.reasons()];
    let action = policy.action;
    const shield = this.shield(finding.subject);
    const suppressedUntil = this.released.get(key);
    if (shield !== undefined && action !== 'observe') {
      reasons.push({ feature: 'protected', value: 1, weight: 0, explanation: `no action: ${shield}` });
      action = 'observe';
    } else if (suppressedUntil !== undefined && finding.at < suppressedUntil && action !== 'observe') {
      reasons.push({ feature: 'released', value: 1, weight: 0, explanation: 'an operator released this subject recently; observing only' });
      action = 'observe';
    }
    const enforcing = action === 'block' || action === 'rate-limit';
    const until = finding.at + this.config.policy.ttl;
    const threat: ThreatEvent = {
      id: this.sinks.nextId(),
      kind: finding.kind,
      severity: severityOf(finding.score),
      subject: finding.subject,
      score: Math.round(finding.score * 1000) / 1000,
      reasons,
      action,
      detectedAt: finding.at,
      ...(enforcing ? { expiresAt: until } : {}),
    };
    const measure: Measure | undefined = enforcing
      ? {
          action: action as Measure['action'],
          ...(finding.subject.client !== undefined ? { client: finding.subject.client } : {}),
          ...(finding.subject.client === undefined && finding.subject.domain !== undefined ? { domain: finding.subject.domain } : {}),
          until,
          reason: `${finding.kind} (threat ${threat.id}, score ${threat.score})`,
        }
      : undefined;
    if (measure !== undefined) this.enforcer.apply(measure, finding.at);
    this.incidents.set(key, { key, threat, policy: finding.policy, measure, lastAbove: finding.at, score: finding.score, until });
    this.record(threat);
  }

  private shield(subject: ThreatEvent['subject']): string | undefined {
    if (subject.node !== undefined) return `'${subject.node}' is a node of this cluster`;
    if (subject.client !== undefined) {
      const why = this.protection.client(subject.client);
      if (why !== undefined) return `${subject.client}: ${why}`;
    }
    if (subject.domain !== undefined) return this.protection.domain(subject.domain);
    return undefined;
  }

  private record(threat: ThreatEvent): void {
    this.recent.push(threat);
    if (this.recent.length > this.config.limits.recent_threats) this.recent.splice(0, this.recent.length - this.config.limits.recent_threats);
    this.sinks.emit(threat);
  }

  /** Renews measures of incidents still active and lifts those quiet for `release_after`. */
  review(now: number): void {
    for (const incident of [...this.incidents.values()]) {
      const quiet = now - incident.lastAbove >= this.config.policy.release_after;
      if (incident.measure === undefined) {
        if (quiet) this.incidents.delete(incident.key);
        continue;
      }
      if (quiet) this.lift(incident, now, `quiet: the score stayed below ${this.config.policy[incident.policy].release_below} for ${this.config.policy.release_after} ms`);
      else if (now >= incident.until - 1000) {
        incident.until = now + this.config.policy.ttl;
        this.enforcer.apply({ ...incident.measure, until: incident.until }, now);
      }
    }
    for (const [key, until] of this.released) if (now >= until) this.released.delete(key);
  }

  private lift(incident: Incident, now: number, why: string): void {
    this.incidents.delete(incident.key);
    if (incident.measure === undefined) return;
    this.enforcer.lift(incident.measure);
    this.record({
      id: this.sinks.nextId(),
      kind: incident.threat.kind,
      severity: 'low',
      subject: incident.threat.subject,
      score: Math.round(incident.score * 1000) / 1000,
      reasons: [{ feature: 'lifted', value: 1, weight: 1, explanation: `${incident.threat.action} lifted: ${why}` }],
      action: 'observe',
      detectedAt: now,
      lifts: incident.threat.id,
    });
  }

  /**
   * Lifts the action of threat `id` now (an operator's decision). The subject is then only
   * observed for one `ttl`, so the same traffic does not re-trigger it at once.
   */
  release(id: string, now: number): boolean {
    for (const incident of this.incidents.values()) {
      if (incident.threat.id !== id) continue;
      this.released.set(incident.key, now + this.config.policy.ttl);
      if (incident.measure === undefined) this.incidents.delete(incident.key);
      else this.lift(incident, now, 'released by an operator');
      return true;
    }
    return false;
  }

  /** Threats whose action is in force, newest first. */
  activeThreats(): ThreatEvent[] {
    return [...this.incidents.values()].map((i) => ({ ...i.threat, ...(i.measure ? { expiresAt: i.until } : {}) })).reverse();
  }

  /** Recent threat events (detections and lifts), newest first. */
  recentThreats(limit: number): ThreatEvent[] {
    return this.recent.slice(-Math.max(0, limit)).reverse();
  }

  /** Highest open-incident score of a subject matching `match`, or undefined. */
  incidentScore(match: (subject: ThreatEvent['subject']) => boolean): number | undefined {
    let best: number | undefined;
    for (const i of this.incidents.values()) if (match(i.threat.subject)) best = Math.max(best ?? 0, i.score);
    return best;
  }
}
