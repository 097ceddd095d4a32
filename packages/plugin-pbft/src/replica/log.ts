/**
 * The message log (§4.2): per sequence number, the PRE-PREPARE accepted in the current view, the
 * PREPARE and COMMIT votes received, the replica's latest prepared certificate (kept across views
 * for VIEW-CHANGE), its commit certificate, and what it sent itself (for retransmission).
 */
import type { Digest } from '../messages/types.js';

/** A PRE-PREPARE this replica accepted (or sent, as primary). */
export interface AcceptedPrePrepare {
  readonly view: number;
  readonly digest: Digest;
  /** The signed header envelope. */
  readonly envelope: Uint8Array;
  /** When it arrived (ms). */
  readonly at: number;
}

/** A prepared certificate: PRE-PREPARE + 2f matching PREPAREs from backups. */
export interface PreparedCertificate {
  readonly view: number;
  readonly digest: Digest;
  readonly prePrepare: Uint8Array;
  readonly prepares: readonly Uint8Array[];
}

/** A commit certificate: 2f+1 matching COMMITs. */
export interface CommitCertificate {
  readonly view: number;
  readonly digest: Digest;
  readonly commits: readonly Uint8Array[];
}

/** A message this replica sent for a slot, kept for retransmission. */
export interface SentMessage {
  readonly view: number;
  /** The frame as sent (with the batch body for a PRE-PREPARE). */
  readonly frame: Uint8Array;
  at: number;
}

/** Votes for one (view, digest): sender → envelope. */
export type Votes = Map<string, Uint8Array>;

/** Votes of one kind for a slot: per view, each sender's first vote (so a sender cannot flood it). */
export type VoteTable = Map<number, Map<string, { readonly digest: Digest; readonly envelope: Uint8Array }>>;

/** Everything known about one sequence number. */
export class Slot {
  /** The PRE-PREPARE accepted in `prePrepare.view`. */
  prePrepare: AcceptedPrePrepare | undefined;
  /** A PRE-PREPARE header whose batch body has not arrived yet. */
  awaitingBody: AcceptedPrePrepare | undefined;
  /** PREPARE votes by view, then sender. */
  readonly prepares: VoteTable = new Map();
  /** COMMIT votes by view, then sender. */
  readonly commits: VoteTable = new Map();
  /** The latest prepared certificate (highest view). */
  prepared: PreparedCertificate | undefined;
  /** Set once committed-local; never changes afterwards. */
  committed: CommitCertificate | undefined;
  executed = false;
  sentPrePrepare: SentMessage | undefined;
  sentPrepare: SentMessage | undefined;
  sentCommit: SentMessage | undefined;

  constructor(readonly seq: number) {}

  /** Records a sender's vote (its first for the view counts). */
  static vote(table: VoteTable, view: number, digest: Digest, sender: string, envelope: Uint8Array): void {
    let byView = table.get(view);
    if (byView === undefined) table.set(view, (byView = new Map()));
    if (!byView.has(sender)) byView.set(sender, { digest, envelope });
  }

  /** The votes for (view, digest). */
  static votes(table: VoteTable, view: number, digest: Digest): Votes {
    const out: Votes = new Map();
    for (const [sender, vote] of table.get(view) ?? []) if (vote.digest === digest) out.set(sender, vote.envelope);
    return out;
  }

  /** Forgets everything of views before `view`, except the prepared and commit certificates. */
  enterView(view: number): void {
    if (this.prePrepare !== undefined && this.prePrepare.view < view) this.prePrepare = undefined;
    if (this.awaitingBody !== undefined && this.awaitingBody.view < view) this.awaitingBody = undefined;
    for (const table of [this.prepares, this.commits]) for (const v of [...table.keys()]) if (v < view) table.delete(v);
    for (const sent of ['sentPrePrepare', 'sentPrepare', 'sentCommit'] as const) {
      if (this[sent] !== undefined && this[sent].view < view) this[sent] = undefined;
    }
  }
}

/** The slots between the low watermark and the high one. */
export class MessageLog {
  private readonly slots = new Map<number, Slot>();

  /** The slot for `seq`, created on first use. */
  slot(seq: number): Slot {
    let s = this.slots.get(seq);
    if (s === undefined) this.slots.set(seq, (s = new Slot(seq)));
    return s;
  }

  /** The slot for `seq`, if it exists. */
  get(seq: number): Slot | undefined {
    return this.slots.get(seq);
  }

  /** Slots in sequence order. */
  ordered(): Slot[] {
    return [...this.slots.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Drops slots at or below `seq` (garbage collection at a stable checkpoint). */
  collect(seq: number): void {
    for (const s of this.slots.keys()) if (s <= seq) this.slots.delete(s);
  }

  /** Number of slots held. */
  get size(): number {
    return this.slots.size;
  }

  /** Every slot, unordered. */
  values(): IterableIterator<Slot> {
    return this.slots.values();
  }
}
