/**
 * What a replica keeps across restarts (§4.3 and the durability item of the design): its view,
 * the prepared certificates it vouched for (so a VIEW-CHANGE after a restart still carries them),
 * committed batches with their commit certificates, and stable checkpoints with their proofs.
 */

/** A prepared certificate as stored: PRE-PREPARE and 2f PREPARE envelopes. */
export interface StoredPrepared {
  readonly seq: number;
  readonly view: number;
  readonly digest: string;
  readonly prePrepare: Uint8Array;
  readonly prepares: readonly Uint8Array[];
}

/** A committed batch: its body and 2f+1 COMMIT envelopes. */
export interface StoredCommitted {
  readonly seq: number;
  readonly view: number;
  readonly digest: string;
  readonly batch: Uint8Array;
  readonly commits: readonly Uint8Array[];
}

/** A stable checkpoint: the snapshot and 2f+1 CHECKPOINT envelopes for (seq, digest). */
export interface StoredCheckpoint {
  readonly seq: number;
  readonly digest: string;
  readonly snapshot: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** What a previous run left behind. */
export interface RecoveredState {
  /** The highest view the replica entered, if it ever recorded one. */
  readonly view: number | undefined;
  readonly checkpoint: StoredCheckpoint | undefined;
  /** Latest prepared certificate per sequence number above the checkpoint. */
  readonly prepared: readonly StoredPrepared[];
  /** Committed batches above the checkpoint, by sequence number. */
  readonly committed: readonly StoredCommitted[];
}

/** What is carried into a new log segment when a checkpoint becomes stable. */
export interface CheckpointCarry {
  readonly view: number;
  readonly prepared: readonly StoredPrepared[];
  readonly committed: readonly StoredCommitted[];
}

/**
 * A replica's durable log. Records are buffered until {@link ReplicaStorage.sync}; `recordView`
 * and `recordCheckpoint` are durable when they return. A replica syncs before it sends a message
 * that depends on a record (a COMMIT depends on its prepared certificate).
 */
export interface ReplicaStorage {
  /** Reads what is stored (at start). */
  load(): RecoveredState;
  /** Records the view the replica enters; durable on return. */
  recordView(view: number): void;
  /** Buffers a prepared certificate. */
  recordPrepared(record: StoredPrepared): void;
  /** Buffers a committed batch. */
  recordCommitted(record: StoredCommitted): void;
  /** Records a stable checkpoint and drops what it makes obsolete; durable on return. */
  recordCheckpoint(checkpoint: StoredCheckpoint, carry: CheckpointCarry): void;
  /** True when buffered records are not yet durable. */
  readonly dirty: boolean;
  /** Makes buffered records durable (write + fsync). */
  sync(): void;
  /** Releases files. */
  close(): void;
}

function merge(into: Map<number, StoredPrepared>, record: StoredPrepared): void {
  const existing = into.get(record.seq);
  if (existing === undefined || existing.view <= record.view) into.set(record.seq, record);
}

/** Accumulates records, in log order, into a {@link RecoveredState}. */
class RecoveryBuilder {
  private view: number | undefined;
  private checkpoint: StoredCheckpoint | undefined;
  private readonly prepared = new Map<number, StoredPrepared>();
  private readonly committed = new Map<number, StoredCommitted>();

  /** Adds a view record. */
  addView(view: number): void {
    this.view = Math.max(this.view ?? 0, view);
  }

  /** Adds a checkpoint record: everything at or below it is obsolete. */
  addCheckpoint(checkpoint: StoredCheckpoint): void {
    if (this.checkpoint !== undefined && this.checkpoint.seq >= checkpoint.seq) return;
    this.checkpoint = checkpoint;
    for (const seq of [...this.prepared.keys()]) if (seq <= checkpoint.seq) this.prepared.delete(seq);
    for (const seq of [...this.committed.keys()]) if (seq <= checkpoint.seq) this.committed.delete(seq);
  }

  /** Adds a prepared certificate. */
  addPrepared(record: StoredPrepared): void {
    if (record.seq > (this.checkpoint?.seq ?? 0)) merge(this.prepared, record);
  }

  /** Adds a committed batch. */
  addCommitted(record: StoredCommitted): void {
    if (record.seq > (this.checkpoint?.seq ?? 0)) this.committed.set(record.seq, record);
  }

  /** The state so far. */
  build(): RecoveredState {
    const bySeq = <T extends { seq: number }>(m: Map<number, T>) => [...m.values()].sort((a, b) => a.seq - b.seq);
    return { view: this.view, checkpoint: this.checkpoint, prepared: bySeq(this.prepared), committed: bySeq(this.committed) };
  }
}

/** One record of the log, in memory or as read back from a file. */
export type LogRecord =
  | { readonly kind: 'view'; readonly view: number }
  | { readonly kind: 'prepared'; readonly record: StoredPrepared }
  | { readonly kind: 'committed'; readonly record: StoredCommitted }
  | { readonly kind: 'checkpoint'; readonly record: StoredCheckpoint };

/** The records that open a new log segment at a stable checkpoint. */
export function checkpointRecords(checkpoint: StoredCheckpoint, carry: CheckpointCarry): LogRecord[] {
  return [
    { kind: 'checkpoint', record: checkpoint },
    { kind: 'view', view: carry.view },
    ...carry.prepared.map((record) => ({ kind: 'prepared' as const, record })),
    ...carry.committed.map((record) => ({ kind: 'committed' as const, record })),
  ];
}

/** Folds records, in log order, into what a restarted replica recovers. */
export function foldRecords(records: readonly LogRecord[]): RecoveredState {
  const builder = new RecoveryBuilder();
  for (const r of records) {
    if (r.kind === 'view') builder.addView(r.view);
    else if (r.kind === 'prepared') builder.addPrepared(r.record);
    else if (r.kind === 'committed') builder.addCommitted(r.record);
    else builder.addCheckpoint(r.record);
  }
  return builder.build();
}

/**
 * Storage in memory, for simulations and nodes without a `data_dir`. Keep the object to model a
 * disk that survives a restart; `crash()` drops what was never synced, as a power cut would.
 */
export class MemoryStorage implements ReplicaStorage {
  private durable: LogRecord[] = [];
  private pending: LogRecord[] = [];

  get dirty(): boolean {
    return this.pending.length > 0;
  }

  load(): RecoveredState {
    return foldRecords(this.durable);
  }

  recordView(view: number): void {
    this.pending.push({ kind: 'view', view });
    this.sync();
  }

  recordPrepared(record: StoredPrepared): void {
    this.pending.push({ kind: 'prepared', record });
  }

  recordCommitted(record: StoredCommitted): void {
    this.pending.push({ kind: 'committed', record });
  }

  recordCheckpoint(checkpoint: StoredCheckpoint, carry: CheckpointCarry): void {
    this.sync();
    this.durable = checkpointRecords(checkpoint, carry);
  }

  sync(): void {
    if (this.pending.length === 0) return;
    this.durable.push(...this.pending);
    this.pending = [];
  }

  /** Drops unsynced records (a crash before fsync). */
  crash(): void {
    this.pending = [];
  }

  close(): void {
    // nothing to release
  }
}
