/**
 * Reputation: a score in [0, 1] per node, lowered by evidence and recovering with a half-life —
 * the seed architecture's "reputation-based fault detection". Each kind of evidence has a weight;
 * the score is multiplied by (1 − weight). Performance evidence (timeouts, a slow primary) can
 * bring a node to `high` (a view change when it is primary) but never to `critical`: only
 * misbehaviour a replica can see in signed messages isolates a node.
 */
import type { Severity } from '@hypermesh/runtime';

/** What a node was seen doing. */
export type EvidenceKind =
  | 'equivocation'
  | 'invalid-signature'
  | 'malformed'
  | 'replay'
  | 'bad-digest'
  | 'not-primary'
  | 'wrong-view'
  | 'invalid-certificate'
  | 'invalid-operation'
  | 'timeout'
  | 'slow-primary'
  | 'analytics';

/** Weight of each kind of evidence: the fraction of the reputation it removes. */
export const EVIDENCE_WEIGHT: Readonly<Record<EvidenceKind, number>> = {
  // Two signed PRE-PREPAREs for one (view, seq) with different digests is proof.
  equivocation: 1,
  'invalid-signature': 0.25,
  malformed: 0.15,
  replay: 0.15,
  'bad-digest': 0.3,
  'not-primary': 0.25,
  'wrong-view': 0.05,
  'invalid-certificate': 0.3,
  'invalid-operation': 0.1,
  timeout: 0.3,
  'slow-primary': 0.2,
  analytics: 0.2,
};

/** Evidence that says a node is slow or unlucky rather than lying. */
export const PERFORMANCE_EVIDENCE: ReadonlySet<EvidenceKind> = new Set(['timeout', 'slow-primary', 'analytics']);

/** Performance evidence never takes a reputation below this (it stops short of `critical`). */
export const PERFORMANCE_FLOOR = 0.25;

/** Reputation below which each severity applies. */
export const SEVERITY_THRESHOLDS: readonly [Severity, number][] = [
  ['critical', 0.2],
  ['high', 0.4],
  ['medium', 0.6],
  ['low', 0.8],
];

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** The severity of a reputation, or `undefined` when the node is trusted. */
export function severityOf(reputation: number): Severity | undefined {
  for (const [severity, below] of SEVERITY_THRESHOLDS) if (reputation < below) return severity;
  return undefined;
}

/** Orders severities: `undefined` < low < medium < high < critical. */
export function severityRank(severity: Severity | undefined): number {
  return severity === undefined ? 0 : RANK[severity];
}

/** A reputation that recovers towards 1 with a half-life. */
export class Reputation {
  private score = 1;
  private at: number;

  constructor(
    now: number,
    private readonly halfLifeMs: number,
  ) {
    this.at = now;
  }

  /** The score now. */
  value(now: number): number {
    if (now > this.at && this.score < 1 && this.halfLifeMs > 0) {
      this.score = 1 - (1 - this.score) * Math.pow(2, -(now - this.at) / this.halfLifeMs);
    }
    this.at = Math.max(this.at, now);
    return this.score;
  }

  /** Lowers the score by `weight` (a fraction), not below `floor` (an already lower score stays). */
  penalize(weight: number, now: number, floor = 0): number {
    const current = this.value(now);
    const lowered = current * (1 - Math.min(1, Math.max(0, weight)));
    this.score = Math.min(current, Math.max(floor, lowered));
    return this.score;
  }
}
