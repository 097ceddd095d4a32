import {
  canonicalJsonBytes,
  type ClockService,
  type CommittedOperation,
  type ConsensusService,
  type DnsQuestion,
  type DnsRcode,
  type DnsResolution,
  type JsonValue,
  type ReplicatedStateMachine,
  type ValidationVerdict,
} from '@hypermesh/runtime';
import { EdeCode, typeName } from '../wire/record-types.js';
import type { DnsDisagreement } from '../resolver/hooks.js';
import { emptyResolution } from '../resolver/resolution.js';
import { recordFromJson, recordToJson, rrsetDigest, type RecordJson } from './rrset-digest.js';

/** The namespace of the agreed-RRset state machine. */
export const RRSET_NAMESPACE = 'dns.rrset';

/** Operations of `dns.rrset`. */
export type RrsetOperation =
  /** Every replica resolves the question itself when this commits. */
  | { readonly kind: 'question'; readonly name: string; readonly qtype: number }
  /** The proposed answer; each replica accepts it only if it matches what it resolved itself. */
  | {
      readonly kind: 'answer';
      readonly name: string;
      readonly qtype: number;
      readonly rcode: DnsRcode;
      readonly answers: readonly RecordJson[];
      readonly authorities: readonly RecordJson[];
    };

interface Committed {
  readonly op: Extract<RrsetOperation, { kind: 'answer' }>;
  readonly expiresAt: number;
}

interface Observation {
  digest: string | undefined;
  readonly at: number;
}

/** Options of {@link ClusterAgreement}. */
export interface ClusterAgreementOptions {
  readonly consensus: ConsensusService;
  readonly nodeId: string;
  readonly clock: ClockService;
  /** Resolves a question through this node's own upstreams (never through the cluster). */
  readonly observe: (question: DnsQuestion, qtype: number) => Promise<DnsResolution>;
  /** A committed RRset: every node fills its cache with it. */
  readonly onCommitted: (question: DnsQuestion, qtype: number, resolution: DnsResolution) => void;
  readonly onDisagreement: (disagreement: DnsDisagreement) => void;
  readonly timeoutMs: number;
  readonly settleMs: number;
  readonly attempts: number;
  /** How long an independent observation may back a validation. */
  readonly observationTtlMs?: number;
}

const keyOf = (name: string, qtype: number) => `${qtype}:${name}`;

/**
 * `agreement: cluster`. A node that misses resolves the question, commits a `question` operation
 * (on which every replica resolves it independently through its own upstreams), then proposes its
 * answer as an `answer` operation. Each replica's `validate` accepts the answer only when it equals
 * its own observation, so the answer commits only if 2f+1 replicas saw the same RRset; committed
 * RRsets fill every node's cache.
 */
export class ClusterAgreement {
  /** Agreed RRsets by key, pruned by the agreed timestamp so every replica prunes alike. */
  private readonly committed = new Map<string, Committed>();
  private readonly observations = new Map<string, Observation>();
  private readonly inflight = new Map<string, Promise<DnsResolution>>();
  private readonly unsubscribe: () => void;
  /** Answers this node proposed that did not commit. */
  failedProposals = 0;

  constructor(private readonly options: ClusterAgreementOptions) {
    options.consensus.registerStateMachine(RRSET_NAMESPACE, this.machine());
    this.unsubscribe = options.consensus.onCommit((op) => this.onCommit(op));
  }

  /** Stops listening to commits. */
  close(): void {
    this.unsubscribe();
  }

  private machine(): ReplicatedStateMachine<JsonValue, JsonValue> {
    return {
      validate: (op) => this.validate(op as unknown as RrsetOperation),
      apply: (op, context) => {
        const o = op as unknown as RrsetOperation;
        for (const [key, c] of this.committed) if (c.expiresAt <= context.timestamp) this.committed.delete(key);
        if (o.kind !== 'answer') return null;
        const ttl = Math.min(86_400, ...o.answers.map((r) => r.ttl), ...o.authorities.map((r) => r.ttl));
        this.committed.set(keyOf(o.name, o.qtype), { op: o, expiresAt: context.timestamp + ttl * 1000 });
        return { committed: keyOf(o.name, o.qtype) };
      },
      snapshot: () =>
        canonicalJsonBytes(
          [...this.committed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => ({ op: c.op as unknown as JsonValue, expiresAt: c.expiresAt })),
        ),
      restore: (snapshot) => {
        this.committed.clear();
        for (const c of JSON.parse(new TextDecoder().decode(snapshot)) as Committed[]) this.committed.set(keyOf(c.op.name, c.op.qtype), c);
      },
    };
  }

  private validate(o: RrsetOperation): ValidationVerdict {
    if (typeof o?.name !== 'string' || !Number.isInteger(o.qtype)) return { valid: false, reason: 'not a dns.rrset operation' };
    if (o.kind === 'question') return { valid: true };
    if (o.kind !== 'answer' || !Array.isArray(o.answers) || !Array.isArray(o.authorities)) return { valid: false, reason: 'malformed answer operation' };
    const seen = this.observation(keyOf(o.name, o.qtype));
    const what = `${o.name}/${typeName(o.qtype)}`;
    if (seen?.digest === undefined) return { valid: false, reason: `replica ${this.options.nodeId} has not resolved ${what} itself yet` };
    let digest: string;
    try {
      digest = rrsetDigest(o.rcode, o.answers.map(recordFromJson));
    } catch {
      return { valid: false, reason: `answer for ${what} has malformed records` };
    }
    if (digest !== seen.digest) return { valid: false, reason: `replica ${this.options.nodeId} resolved ${what} differently itself` };
    return { valid: true };
  }

  private observation(key: string): Observation | undefined {
    const o = this.observations.get(key);
    if (o !== undefined && this.options.clock.now() - o.at > (this.options.observationTtlMs ?? 30_000)) {
      this.observations.delete(key);
      return undefined;
    }
    return o;
  }

  private record(key: string, resolution: DnsResolution): void {
    this.observations.set(key, { digest: rrsetDigest(resolution.rcode, resolution.answers), at: this.options.clock.now() });
  }

  private onCommit(committed: CommittedOperation): void {
    if (committed.namespace !== RRSET_NAMESPACE) return;
    const o = committed.operation as unknown as RrsetOperation;
    const question: DnsQuestion = { name: o.name, type: typeName(o.qtype) };
    const key = keyOf(o.name, o.qtype);
    if (o.kind === 'question') {
      if (this.observation(key) !== undefined) return;
      this.observations.set(key, { digest: undefined, at: this.options.clock.now() });
      this.options.observe(question, o.qtype).then(
        (r) => {
          if (r.rcode === 'NOERROR' || r.rcode === 'NXDOMAIN') this.record(key, r);
          else this.observations.delete(key);
        },
        () => this.observations.delete(key),
      );
      return;
    }
    this.options.onCommitted(question, o.qtype, {
      question,
      rcode: o.rcode,
      answers: o.answers.map(recordFromJson),
      authorities: o.authorities.map(recordFromJson),
      additionals: [],
      authoritative: false,
      source: 'cluster',
      extendedErrors: [],
    });
  }

  /** Resolves a miss through the cluster; concurrent misses of one question share the work. */
  resolve(question: DnsQuestion, qtype: number): Promise<DnsResolution> {
    const key = keyOf(question.name, qtype);
    let p = this.inflight.get(key);
    if (p === undefined) {
      p = this.propose(question, qtype, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimeout(resolve, ms));
  }

  private async propose(question: DnsQuestion, qtype: number, key: string): Promise<DnsResolution> {
    const { consensus, clock, timeoutMs, settleMs, attempts } = this.options;
    const own = await this.options.observe(question, qtype);
    if (own.rcode !== 'NOERROR' && own.rcode !== 'NXDOMAIN') return own;
    this.record(key, own);
    const deadline = clock.now() + timeoutMs;
    const left = () => Math.max(1, deadline - clock.now());
    const problems: string[] = [];
    try {
      await consensus.submit(RRSET_NAMESPACE, { kind: 'question', name: question.name, qtype }, { timeoutMs: left() });
      const op: RrsetOperation = {
        kind: 'answer',
        name: question.name,
        qtype,
        rcode: own.rcode,
        answers: own.answers.map(recordToJson),
        authorities: own.authorities.map(recordToJson),
      };
      for (let attempt = 1; attempt <= attempts && clock.now() < deadline; attempt++) {
        await this.sleep(Math.min(settleMs * attempt, left()));
        try {
          await consensus.submit(RRSET_NAMESPACE, op as unknown as JsonValue, { timeoutMs: left() });
          return { ...own, source: 'cluster' };
        } catch (err) {
          problems.push(`attempt ${attempt}: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      problems.push(`question: ${(err as Error).message}`);
    }
    this.failedProposals++;
    this.options.onDisagreement({
      question,
      mode: 'cluster',
      answers: [{ rrset: rrsetDigest(own.rcode, own.answers), from: [this.options.nodeId] }],
      outcome: 'servfail',
      at: clock.now(),
    });
    return emptyResolution(question, 'SERVFAIL', 'cluster', [
      { infoCode: EdeCode.Other, extraText: `the cluster did not commit this answer: ${problems.join('; ')}`.slice(0, 200) },
    ]);
  }
}
