/**
 * Checkpoints and garbage collection (§4.3). After executing a multiple of K a replica digests
 * its state and multicasts CHECKPOINT; 2f+1 matching CHECKPOINTs make the checkpoint stable: the
 * low watermark moves up, the log below it is discarded, and the stable checkpoint (snapshot and
 * proof) is written to storage. A proof of a stable checkpoint the replica has not reached yet
 * means it is behind: after a grace period it fetches the state (state transfer).
 */
import { sha256 } from '../messages/batch.js';
import { toBase64, type Opened } from '../messages/envelope.js';
import type { CheckpointMessage, CheckpointProof, Digest, StableCheckpointMessage } from '../messages/types.js';
import type { StoredCommitted, StoredPrepared } from '../storage/storage.js';
import type { Replica } from './replica.js';

/** The digest quoted for the genesis checkpoint (seq 0), which needs no proof. */
export const GENESIS_DIGEST: Digest = '0'.repeat(64);

/** A stable checkpoint with its proof and, when this replica has it, the snapshot. */
export interface StableCheckpoint {
  readonly seq: number;
  readonly digest: Digest;
  readonly proof: readonly Uint8Array[];
  readonly snapshot: Uint8Array | undefined;
}

interface OwnCheckpoint {
  readonly digest: Digest;
  readonly snapshot: Uint8Array;
  readonly envelope: Uint8Array;
}

/** A verified proof of a checkpoint this replica has not reached. */
export interface CheckpointTarget {
  readonly seq: number;
  readonly digest: Digest;
  readonly proof: readonly Uint8Array[];
  readonly at: number;
}

/** Checkpoint votes, stability and the stable checkpoint. */
export class Checkpoints {
  stable: StableCheckpoint = { seq: 0, digest: GENESIS_DIGEST, proof: [], snapshot: undefined };
  target: CheckpointTarget | undefined;
  private readonly own = new Map<number, OwnCheckpoint>();
  private readonly votes = new Map<number, Map<string, { digest: Digest; envelope: Uint8Array }>>();

  constructor(private readonly r: Replica) {}

  /** Takes the checkpoint after executing `seq` and multicasts it. */
  take(seq: number): void {
    const r = this.r;
    const snapshot = r.env.executor.snapshot();
    const digest = sha256(snapshot);
    const envelope = r.seal({ type: 'checkpoint', from: r.id, seq, digest });
    this.own.set(seq, { digest, snapshot, envelope });
    r.env.observer?.checkpoint?.({ seq, digest });
    r.broadcast(envelope, 'checkpoint');
    this.vote(seq, r.id, digest, envelope);
  }

  /** This replica's own CHECKPOINT envelopes above `after` and the low watermark (retransmission). */
  ownEnvelopes(after: number): Uint8Array[] {
    return [...this.own.entries()].filter(([seq]) => seq > this.stable.seq && seq > after).map(([, c]) => c.envelope);
  }

  /** A CHECKPOINT from a replica. */
  onCheckpoint(opened: Opened<CheckpointMessage>): void {
    const r = this.r;
    const m = opened.message;
    if (m.seq === 0 || m.seq % r.config.checkpoint_interval !== 0) {
      r.drop(m.from, 'malformed', `CHECKPOINT for seq ${m.seq}, not a multiple of ${r.config.checkpoint_interval}`);
      return;
    }
    if (m.seq <= this.stable.seq) return;
    if (m.seq > r.high) {
      r.drop(m.from, 'out-of-window', `CHECKPOINT for seq ${m.seq} above the high watermark ${r.high}`);
      return;
    }
    this.vote(m.seq, m.from, m.digest, opened.envelope);
  }

  private vote(seq: number, from: string, digest: Digest, envelope: Uint8Array): void {
    let votes = this.votes.get(seq);
    if (votes === undefined) this.votes.set(seq, (votes = new Map()));
    if (votes.has(from)) return;
    votes.set(from, { digest, envelope });
    const matching = this.r.group.ids.filter((id) => votes.get(id)?.digest === digest);
    if (matching.length >= this.r.group.quorum) this.reached(seq, digest, matching.slice(0, this.r.group.quorum).map((id) => votes.get(id)!.envelope));
  }

  /** Verifies a checkpoint proof: 2f+1 CHECKPOINTs from distinct replicas for (seq, digest). */
  verify(proof: CheckpointProof): Uint8Array[] | string {
    const r = this.r;
    if (proof.seq === 0) return [];
    if (proof.seq % r.config.checkpoint_interval !== 0) return `checkpoint ${proof.seq} is not a multiple of ${r.config.checkpoint_interval}`;
    const signers = new Map<string, Uint8Array>();
    for (const b64 of proof.proof) {
      const opened = r.env.auth.openEmbedded(b64, 'checkpoint');
      if (!opened.ok) return `checkpoint proof: ${opened.detail}`;
      const m = opened.message;
      if (!r.group.has(m.from) || m.seq !== proof.seq || m.digest !== proof.digest) return `checkpoint proof holds a CHECKPOINT for another checkpoint or from a non-replica`;
      signers.set(m.from, opened.envelope);
    }
    if (signers.size < r.group.quorum) return `checkpoint proof has ${signers.size} distinct CHECKPOINTs, ${r.group.quorum} needed`;
    return [...signers.values()];
  }

  /** The stable checkpoint as carried in VIEW-CHANGE and stable-checkpoint messages. */
  proof(): CheckpointProof {
    return { seq: this.stable.seq, digest: this.stable.digest, proof: this.stable.proof.map(toBase64) };
  }

  /** A proof of a stable checkpoint from a peer that saw this replica behind. */
  onStableCheckpoint(m: StableCheckpointMessage): void {
    const proof = this.verify(m.checkpoint);
    if (typeof proof === 'string') {
      this.r.drop(m.from, 'invalid-certificate', proof);
      this.r.faults.report(m.from, 'invalid-certificate', `sent a stable-checkpoint with an invalid proof: ${proof}`);
      return;
    }
    this.reached(m.checkpoint.seq, m.checkpoint.digest, proof);
  }

  /**
   * A checkpoint is known stable. If this replica executed that far, it becomes its stable
   * checkpoint (or, if its own digest differs, it fetches the agreed state). Otherwise it is a
   * target to catch up to; `now` starts the state transfer at once (a NEW-VIEW moved past us).
   */
  reached(seq: number, digest: Digest, proof: readonly Uint8Array[], now = false): void {
    const r = this.r;
    if (seq <= this.stable.seq) return;
    if (seq <= r.lastExecuted) {
      const own = this.own.get(seq);
      if (own === undefined) return;
      if (own.digest === digest) {
        this.makeStable({ seq, digest, proof, snapshot: own.snapshot });
        return;
      }
      r.env.logger.error({ seq, ours: own.digest, agreed: digest }, `this replica's state at checkpoint ${seq} differs from the one 2f+1 replicas agreed on; fetching the agreed state`);
      r.transfer.start({ seq, digest, proof, at: r.now() });
      return;
    }
    if (this.target === undefined || this.target.seq < seq) this.target = { seq, digest, proof, at: r.now() };
    if (now) r.transfer.start(this.target);
  }

  /** Housekeeping: a target still out of reach after a grace period triggers state transfer. */
  tick(): void {
    const r = this.r;
    const target = this.target;
    if (target === undefined) return;
    if (target.seq <= this.stable.seq) {
      this.target = undefined;
      return;
    }
    if (target.seq <= r.lastExecuted) return;
    const next = r.log.get(r.lastExecuted + 1);
    if (next?.committed === undefined && r.now() - target.at >= r.config.status_interval) r.transfer.start(target);
  }

  /** The snapshot of checkpoint (seq, digest), if this replica holds it. */
  snapshotFor(seq: number, digest: Digest): Uint8Array | undefined {
    if (this.stable.seq === seq && this.stable.digest === digest) return this.stable.snapshot;
    const own = this.own.get(seq);
    return own?.digest === digest ? own.snapshot : undefined;
  }

  /** Records a stable checkpoint: storage, garbage collection, the window moves. */
  makeStable(checkpoint: StableCheckpoint): void {
    const r = this.r;
    this.stable = checkpoint;
    if (this.target !== undefined && this.target.seq <= checkpoint.seq) this.target = undefined;
    const prepared: StoredPrepared[] = [];
    const committed: StoredCommitted[] = [];
    for (const slot of r.log.ordered()) {
      if (slot.seq <= checkpoint.seq) continue;
      if (slot.prepared !== undefined) prepared.push({ seq: slot.seq, ...slot.prepared });
      const batch = slot.committed !== undefined && slot.executed ? r.batches.get(slot.committed.digest) : undefined;
      if (batch !== undefined) committed.push({ seq: slot.seq, view: slot.committed!.view, digest: slot.committed!.digest, batch: batch.bytes, commits: slot.committed!.commits });
    }
    if (checkpoint.snapshot !== undefined) {
      r.env.storage.recordCheckpoint({ seq: checkpoint.seq, digest: checkpoint.digest, snapshot: checkpoint.snapshot, proof: checkpoint.proof }, { view: r.view, prepared, committed });
    }
    r.log.collect(checkpoint.seq);
    for (const seq of this.own.keys()) if (seq < checkpoint.seq) this.own.delete(seq);
    for (const seq of this.votes.keys()) if (seq <= checkpoint.seq) this.votes.delete(seq);
    r.collectBatches();
    r.env.metrics.checkpoints.inc();
    r.requests.maybePropose();
  }
}
