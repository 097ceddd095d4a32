/**
 * Invariant checkers for simulated clusters. They watch every replica's executions (through the
 * replica observer and `onCommit`) and check:
 * - agreement: no two correct replicas execute different batches, or apply different operations,
 *   at one sequence number, and their checkpoint digests agree;
 * - validity: every applied operation was submitted;
 * - exactly-once: no replica applies one request (client id, timestamp) twice, and no operation is
 *   applied more often than it was submitted;
 * - liveness (on request): every submission got an answer.
 */
import { canonicalJson, type CommittedOperation, type JsonValue } from '@hypermesh/runtime';
import type { Digest } from '../messages/types.js';

/** Thrown by `assertInvariants`; the message starts with the seed that replays the run. */
export class InvariantViolation extends Error {
  constructor(
    readonly seed: string,
    readonly violations: readonly string[],
  ) {
    super(`invariants violated (replay with seed ${JSON.stringify(seed)}):\n  - ${violations.join('\n  - ')}`);
    this.name = 'InvariantViolation';
  }
}

interface Applied {
  readonly key: string;
  readonly operation: string;
}

interface Execution {
  readonly digest: Digest;
  readonly applied: readonly Applied[];
}

const sameApplied = (a: Execution, b: Execution) =>
  a.applied.length === b.applied.length && a.applied.every((x, i) => x.key === b.applied[i]!.key && x.operation === b.applied[i]!.operation);

/** What a submission became. */
export interface SubmissionRecord {
  readonly operation: string;
  state: 'pending' | 'ok' | 'error' | 'lost';
  error?: string;
}

/** Collects what replicas do and checks it. */
export class InvariantTracker {
  private readonly violations: string[] = [];
  /** Per replica: sequence number → what it executed there. */
  private readonly executions: Map<number, Execution>[];
  /** Per replica: request key → sequence number where it was applied. */
  private readonly appliedAt: Map<string, number>[];
  /** Sequence number → the first correct replica's execution. */
  private readonly agreed = new Map<number, { replica: number; execution: Execution }>();
  private readonly checkpoints = new Map<number, { replica: number; digest: Digest }>();
  private readonly submittedCount = new Map<string, number>();
  readonly submissions: SubmissionRecord[] = [];

  constructor(
    private readonly n: number,
    private readonly faulty: (replica: number) => boolean,
  ) {
    this.executions = Array.from({ length: n }, () => new Map());
    this.appliedAt = Array.from({ length: n }, () => new Map());
  }

  /** A submission was made. */
  submitted(operation: JsonValue): SubmissionRecord {
    const text = canonicalJson(operation);
    this.submittedCount.set(text, (this.submittedCount.get(text) ?? 0) + 1);
    const record: SubmissionRecord = { operation: text, state: 'pending' };
    this.submissions.push(record);
    return record;
  }

  private fail(message: string): void {
    if (this.violations.length < 50) this.violations.push(message);
  }

  /** Replica `i` executed the batch `digest` at `seq`, applying `applied` (observer). */
  executed(i: number, seq: number, digest: Digest, applied: readonly CommittedOperation[]): void {
    const execution: Execution = {
      digest,
      applied: applied.map((op) => ({
        key: `${op.context.clientId}#${op.context.requestTimestamp}`,
        operation: canonicalJson({ namespace: op.namespace, operation: op.operation }),
      })),
    };
    const mine = this.executions[i]!;
    const existing = mine.get(seq);
    if (existing !== undefined) {
      // A replay from disk after a restart must be the same batch with the same effects.
      if (existing.digest !== digest || !sameApplied(existing, execution)) this.fail(`replica ${i} executed seq ${seq} twice with different outcomes`);
      return;
    }
    mine.set(seq, execution);
    for (const a of execution.applied) {
      const at = this.appliedAt[i]!.get(a.key);
      if (at !== undefined && at !== seq) this.fail(`exactly-once: replica ${i} applied request ${a.key} at seq ${at} and again at seq ${seq}`);
      this.appliedAt[i]!.set(a.key, seq);
    }
    if (this.faulty(i)) return;
    const agreed = this.agreed.get(seq);
    if (agreed === undefined) this.agreed.set(seq, { replica: i, execution });
    else if (agreed.execution.digest !== digest) {
      this.fail(`agreement: replicas ${agreed.replica} and ${i} executed different batches at seq ${seq} (${agreed.execution.digest.slice(0, 12)}… vs ${digest.slice(0, 12)}…)`);
    } else if (!sameApplied(agreed.execution, execution)) {
      this.fail(`agreement: replicas ${agreed.replica} and ${i} applied different operations at seq ${seq}`);
    }
  }

  /** Replica `i` took a checkpoint. */
  checkpoint(i: number, seq: number, digest: Digest): void {
    if (this.faulty(i)) return;
    const seen = this.checkpoints.get(seq);
    if (seen === undefined) this.checkpoints.set(seq, { replica: i, digest });
    else if (seen.digest !== digest) this.fail(`agreement: replicas ${seen.replica} and ${i} have different states at checkpoint ${seq}`);
  }

  /**
   * The operations replica `i` has committed, in order, as submitted. Sequence numbers it skipped
   * by state transfer are filled from the agreed record.
   */
  committed(i: number, lastExecuted: number): JsonValue[] {
    const out: JsonValue[] = [];
    for (let seq = 1; seq <= lastExecuted; seq++) {
      const execution = this.executions[i]!.get(seq) ?? this.agreed.get(seq)?.execution;
      for (const a of execution?.applied ?? []) out.push((JSON.parse(a.operation) as { operation: JsonValue }).operation);
    }
    return out;
  }

  /** Every violation found, plus validity, exactly-once counts and (optionally) liveness. */
  check(liveness: boolean): string[] {
    const found = [...this.violations];
    const counts = new Map<string, number>();
    for (const { execution } of this.agreed.values()) {
      for (const a of execution.applied) {
        const op = (JSON.parse(a.operation) as { operation: JsonValue }).operation;
        const text = canonicalJson(op);
        if (!this.submittedCount.has(text)) found.push(`validity: operation ${text.slice(0, 120)} was applied but never submitted`);
        counts.set(text, (counts.get(text) ?? 0) + 1);
      }
    }
    for (const [text, count] of counts) {
      const submitted = this.submittedCount.get(text) ?? 0;
      if (count > submitted) found.push(`exactly-once: operation ${text.slice(0, 120)} applied ${count} times, submitted ${submitted}`);
    }
    if (liveness) {
      const stuck = this.submissions.filter((s) => s.state === 'pending');
      if (stuck.length > 0) found.push(`liveness: ${stuck.length} submission(s) never answered, e.g. ${stuck[0]!.operation.slice(0, 120)}`);
      const failed = this.submissions.filter((s) => s.state === 'error');
      if (failed.length > 0) found.push(`liveness: ${failed.length} submission(s) failed, e.g. ${failed[0]!.operation.slice(0, 80)}: ${failed[0]!.error}`);
    }
    return found;
  }
}
