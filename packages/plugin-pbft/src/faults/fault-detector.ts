/**
 * The fault detector: evidence → reputation → severity → action, as the seed architecture lays it
 * out. low: watch more closely; medium: a further penalty; high: a view change when the node is
 * the primary; critical: isolation — its messages are ignored and `node.suspected` is called.
 * Never more than f nodes are isolated, and never this node: ignoring a node's messages is, for
 * PBFT, the same as that node being cut off, which the protocol is safe against by construction.
 */
import type { NodeSuspicion, Severity } from '@hypermesh/runtime';
import { EVIDENCE_WEIGHT, PERFORMANCE_EVIDENCE, PERFORMANCE_FLOOR, Reputation, severityOf, severityRank, type EvidenceKind } from './reputation.js';

/** Reputation at which an isolated node is let back in. */
const RELEASE_AT = 0.5;
/** The same kind of evidence from one node counts at most once per this many ms. */
const EVIDENCE_SPACING_MS = 10;
const MAX_REASONS = 8;
/** The penalty applied when a node reaches `medium` (the seed's `apply_penalty(node, 0.1)`). */
const MEDIUM_PENALTY = 0.1;

/** Options of {@link FaultDetector}. */
export interface FaultDetectorOptions {
  /** This node. */
  readonly self: string;
  /** The replica group. */
  readonly replicas: readonly string[];
  /** Faults tolerated: the isolation bound. */
  readonly f: number;
  /** Detector on/off; off still records nothing against anyone. */
  readonly enabled: boolean;
  /** Whether isolation is allowed. */
  readonly isolation: boolean;
  readonly halfLifeMs: number;
  readonly now: () => number;
  /** True when `nodeId` is the primary of the current view. */
  readonly isPrimary: (nodeId: string) => boolean;
  /** Asks the replica to change views because the primary is at fault. */
  readonly requestViewChange: (nodeId: string, reasons: readonly string[]) => void;
  /** Told about every action (logs, metrics, the `node.suspected` hook). */
  readonly onSuspicion: (suspicion: NodeSuspicion) => void;
}

interface NodeRecord {
  readonly reputation: Reputation;
  readonly reasons: string[];
  readonly lastEvidence: Map<EvidenceKind, number>;
  /** The highest severity already acted on. */
  acted: Severity | undefined;
  isolated: boolean;
  /** The view in which a view change was last requested against it. */
  viewChangeRequested: boolean;
}

/** Per-node reputation and the actions it triggers. */
export class FaultDetector {
  private readonly nodes = new Map<string, NodeRecord>();

  constructor(private readonly options: FaultDetectorOptions) {}

  private record(nodeId: string): NodeRecord {
    let r = this.nodes.get(nodeId);
    if (r === undefined) {
      r = {
        reputation: new Reputation(this.options.now(), this.options.halfLifeMs),
        reasons: [],
        lastEvidence: new Map(),
        acted: undefined,
        isolated: false,
        viewChangeRequested: false,
      };
      this.nodes.set(nodeId, r);
    }
    return r;
  }

  /** Records evidence against a node; `weight` overrides the kind's weight. */
  report(nodeId: string, kind: EvidenceKind, detail: string, weight = EVIDENCE_WEIGHT[kind]): void {
    if (!this.options.enabled || nodeId === this.options.self || !this.options.replicas.includes(nodeId)) return;
    const now = this.options.now();
    const r = this.record(nodeId);
    const last = r.lastEvidence.get(kind);
    if (kind !== 'equivocation' && last !== undefined && now - last < EVIDENCE_SPACING_MS) return;
    r.lastEvidence.set(kind, now);
    r.reasons.push(`${kind}: ${detail}`);
    if (r.reasons.length > MAX_REASONS) r.reasons.shift();
    r.reputation.penalize(weight, now, PERFORMANCE_EVIDENCE.has(kind) ? PERFORMANCE_FLOOR : 0);
    this.evaluate(nodeId, r);
  }

  /** True when the node's messages are to be ignored. */
  isIsolated(nodeId: string): boolean {
    return this.nodes.get(nodeId)?.isolated ?? false;
  }

  /** The node's reputation now. */
  reputation(nodeId: string): number {
    return this.nodes.get(nodeId)?.reputation.value(this.options.now()) ?? 1;
  }

  /** `active`, `suspected` or `isolated`. */
  state(nodeId: string): 'active' | 'suspected' | 'isolated' {
    const r = this.nodes.get(nodeId);
    if (r === undefined) return 'active';
    if (r.isolated) return 'isolated';
    return severityOf(r.reputation.value(this.options.now())) === undefined ? 'active' : 'suspected';
  }

  /** Nodes isolated now. */
  isolated(): string[] {
    return [...this.nodes.entries()].filter(([, r]) => r.isolated).map(([id]) => id);
  }

  /** A new view began: a primary at fault in it is judged afresh. */
  newView(): void {
    for (const [id, r] of this.nodes) {
      r.viewChangeRequested = false;
      this.evaluate(id, r);
    }
  }

  /** Periodic re-evaluation: recovery by decay, release from isolation, the primary's standing. */
  tick(): void {
    for (const [id, r] of this.nodes) this.evaluate(id, r);
  }

  private evaluate(nodeId: string, r: NodeRecord): void {
    const now = this.options.now();
    let reputation = r.reputation.value(now);
    if (r.isolated && reputation >= RELEASE_AT) {
      r.isolated = false;
      r.reasons.length = 0;
    }
    let severity = severityOf(reputation);
    if (severityRank(severity) < severityRank(r.acted)) r.acted = severity;
    if (severityRank(severity) > severityRank(r.acted)) {
      if (severity === 'medium') {
        reputation = r.reputation.penalize(MEDIUM_PENALTY, now);
        severity = severityOf(reputation);
      }
      r.acted = severity;
      this.act(nodeId, r, severity!, reputation);
    }
    if (severityRank(severity) >= severityRank('high') && !r.viewChangeRequested && this.options.isPrimary(nodeId)) {
      r.viewChangeRequested = true;
      this.options.requestViewChange(nodeId, [...r.reasons]);
      this.suspect(nodeId, r, severity!, reputation, 'view-change');
    }
  }

  private act(nodeId: string, r: NodeRecord, severity: Severity, reputation: number): void {
    if (severity === 'critical' && this.options.isolation && !r.isolated && this.isolated().length < this.options.f) {
      r.isolated = true;
      this.suspect(nodeId, r, severity, reputation, 'isolate');
      return;
    }
    if (severity === 'high' && this.options.isPrimary(nodeId)) return; // the view change below says it
    this.suspect(nodeId, r, severity, reputation, severity === 'low' ? 'watch' : 'penalty');
  }

  private suspect(nodeId: string, r: NodeRecord, severity: Severity, reputation: number, action: NodeSuspicion['action']): void {
    this.options.onSuspicion({ nodeId, reputation, severity, reasons: [...r.reasons], action, at: this.options.now() });
  }
}
