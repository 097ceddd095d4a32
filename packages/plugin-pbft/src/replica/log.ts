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

/** Votes for one (view, digest). */
export type Votes = Map<string, Uint8Array>;

/** Everything known about one sequence number. */
export class Slot {
  /** The PRE-PREPARE accepted in `prePrepare.view`. */
  prePrepare: AcceptedPrePrepare | undefined;
  /** A PRE-PREPARE header whose batch body has not arrived yet. */
  awaitingBody: AcceptedPrePrepare | undefined;
  /** PREPARE votes by `view:digest`, then sender. */
  readonly prepares = new Map<string, Votes>();
  /** COMMIT votes by `view:digest`, then sender. */
  readonly commits = new Map<string, Votes>();
  /** The latest prepared certificate (highest view). */
  prepared: PreparedCertificate | undefined;
  /** Set once committed-local; never changes afterwards. */
  committed: CommitCertificate | undefined;
  executed = false;
  sentPrePrepare: SentMessage | undefined;
  sentPrepare: SentMessage | undefined;
  sentCommit: SentMessage | undefined;

  constructor(readonly seq: number) {}

  /** Adds a vote; returns the votes for that (view, digest). The first vote of a sender counts. */
  static vote(table: Map<string, Votes>, view: number, digest: Digest, sender: string, envelope: Uint8Array): Votes {
    const key = `${view}:${digest}`;
    let votes = table.get(key);
    if (votes === undefined) table.set(key, (votes = new Map()));
    if (!votes.has(sender)) votes.set(sender, envelope);
    return votes;
  }

  /** The votes for (view, digest), if any. */
  static votes(table: Map<string, Votes>, view: number, digest: Digest): Votes | undefined {
    return table.get(`${view}:${digest}`);
  }

  /** Forgets everything of views before `view`, except the prepared and commit certificates. */
  enterView(view: number): void {
    if (this.prePrepare !== undefined && this.prePrepare.view < view) this.prePrepare = undefined;
    if (this.awaitingBody !== undefined && this.awaitingBody.view < view) this.awaitingBody = undefined;
    for (const table of [this.prepares, this.commits]) {
      for (const key of [...table.keys()]) if (Number(key.slice(0, key.indexOf(':'))) < view) table.delete(key);
    }
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
