/**
 * The PBFT protocol messages (Castro & Liskov, OSDI 1999 §4; TOCS 2002 §4), as they are signed and
 * sent. Each message body is JSON signed by its sender (`from`); embedded messages (a PRE-PREPARE in
 * a PREPARE, certificates in VIEW-CHANGE / NEW-VIEW) are whole signed envelopes, base64 encoded, so
 * any replica can check them again. Batch bodies and snapshots travel as a frame's attachment,
 * bound to a signed message by their SHA-256 digest.
 */
import type { JsonValue } from '@hypermesh/runtime';

/** A SHA-256 digest, lower-case hex. */
export type Digest = string;

/** One client request (⟨REQUEST, o, t, c⟩). */
export interface RequestEntry {
  /** Client id: `<node id>/<slot>`; the node part must be the bundle's signer. */
  readonly client: string;
  /** The client's timestamp; strictly increasing per client id (exactly-once). */
  readonly timestamp: number;
  /** State machine namespace. */
  readonly namespace: string;
  /** The operation. */
  readonly operation: JsonValue;
}

/** REQUEST: one or more requests of one client node, signed once (client-side batching). */
export interface RequestMessage {
  readonly type: 'request';
  readonly from: string;
  readonly requests: readonly RequestEntry[];
}

/** PRE-PREPARE header ⟨PRE-PREPARE, v, n, d⟩; the batch body (whose digest is d) rides alongside. */
export interface PrePrepareMessage {
  readonly type: 'pre-prepare';
  readonly from: string;
  readonly view: number;
  readonly seq: number;
  readonly digest: Digest;
}

/**
 * PREPARE ⟨PREPARE, v, n, d, i⟩, carrying the primary's signature of the PRE-PREPARE it answers.
 * PRE-PREPARE bodies are canonical, so (primary(v), v, n, d) and that signature rebuild the signed
 * PRE-PREPARE: equivocation evidence, and the header for a replica whose own copy was lost.
 */
export interface PrepareMessage {
  readonly type: 'prepare';
  readonly from: string;
  readonly view: number;
  readonly seq: number;
  readonly digest: Digest;
  /** The PRE-PREPARE's signature (base64). */
  readonly prePrepare: string;
}

/** COMMIT ⟨COMMIT, v, n, d, i⟩. */
export interface CommitMessage {
  readonly type: 'commit';
  readonly from: string;
  readonly view: number;
  readonly seq: number;
  readonly digest: Digest;
}

/** The outcome of one request as a replica reports it. */
export type ReplyEntry =
  | { readonly client: string; readonly timestamp: number; readonly result: JsonValue }
  | { readonly client: string; readonly timestamp: number; readonly error: { readonly code: string; readonly message: string } };

/** REPLY ⟨REPLY, v, t, c, i, r⟩ for every request of one client node in one batch. */
export interface ReplyMessage {
  readonly type: 'reply';
  readonly from: string;
  readonly view: number;
  readonly replies: readonly ReplyEntry[];
}

/** CHECKPOINT ⟨CHECKPOINT, n, d, i⟩: the digest of the state after executing n. */
export interface CheckpointMessage {
  readonly type: 'checkpoint';
  readonly from: string;
  readonly seq: number;
  readonly digest: Digest;
}

/** A stable checkpoint with its proof: 2f+1 CHECKPOINT envelopes for (seq, digest). */
export interface CheckpointProof {
  readonly seq: number;
  readonly digest: Digest;
  /** Base64 CHECKPOINT envelopes; empty for the genesis checkpoint (seq 0). */
  readonly proof: readonly string[];
}

/** A prepared certificate: the PRE-PREPARE and 2f matching PREPAREs from backups. */
export interface PreparedProof {
  readonly prePrepare: string;
  readonly prepares: readonly string[];
}

/** VIEW-CHANGE ⟨VIEW-CHANGE, v+1, n, C, P, i⟩. */
export interface ViewChangeMessage {
  readonly type: 'view-change';
  readonly from: string;
  /** The view being moved to. */
  readonly view: number;
  readonly checkpoint: CheckpointProof;
  readonly prepared: readonly PreparedProof[];
}

/** NEW-VIEW ⟨NEW-VIEW, v+1, V, O⟩. */
export interface NewViewMessage {
  readonly type: 'new-view';
  readonly from: string;
  readonly view: number;
  /** V: 2f+1 VIEW-CHANGE envelopes (base64). */
  readonly viewChanges: readonly string[];
  /** O: PRE-PREPARE envelopes of the new view, one per sequence number in (min-s, max-s]. */
  readonly prePrepares: readonly string[];
}

/** STATUS: what a replica has, so peers retransmit what it misses (Castro's implementation). */
export interface StatusMessage {
  readonly type: 'status';
  readonly from: string;
  readonly view: number;
  /** False while the replica is changing views. */
  readonly active: boolean;
  /** Its stable checkpoint (low watermark). */
  readonly stable: number;
  /** The last sequence number it executed. */
  readonly executed: number;
  /** While changing views: the replicas whose VIEW-CHANGE for `view` it holds. */
  readonly viewChanges: readonly string[];
}

/** A stable checkpoint proof sent to a replica that is behind it. */
export interface StableCheckpointMessage {
  readonly type: 'stable-checkpoint';
  readonly from: string;
  readonly checkpoint: CheckpointProof;
}

/** Asks for batch bodies by digest. */
export interface FetchBatchesMessage {
  readonly type: 'fetch-batches';
  readonly from: string;
  readonly digests: readonly Digest[];
}

/** One batch body (the attachment), whose SHA-256 is `digest`. */
export interface BatchMessage {
  readonly type: 'batch';
  readonly from: string;
  readonly digest: Digest;
}

/** Asks for chunks of the checkpoint snapshot (seq, digest), from chunk `chunk` on. */
export interface FetchStateMessage {
  readonly type: 'fetch-state';
  readonly from: string;
  readonly seq: number;
  readonly digest: Digest;
  readonly chunk: number;
}

/** One chunk of a checkpoint snapshot (the attachment). */
export interface StateChunkMessage {
  readonly type: 'state-chunk';
  readonly from: string;
  readonly seq: number;
  readonly digest: Digest;
  readonly chunk: number;
  readonly chunks: number;
}

/** Asks for committed batches after `after` (catch-up). */
export interface FetchCommittedMessage {
  readonly type: 'fetch-committed';
  readonly from: string;
  readonly after: number;
  readonly limit: number;
}

/** A committed batch (the attachment) with its commit certificate: 2f+1 COMMITs for (view, seq, digest). */
export interface CommittedMessage {
  readonly type: 'committed';
  readonly from: string;
  readonly view: number;
  readonly seq: number;
  readonly digest: Digest;
  readonly commits: readonly string[];
}

/** Every protocol message. */
export type PbftMessage =
  | RequestMessage
  | PrePrepareMessage
  | PrepareMessage
  | CommitMessage
  | ReplyMessage
  | CheckpointMessage
  | ViewChangeMessage
  | NewViewMessage
  | StatusMessage
  | StableCheckpointMessage
  | FetchBatchesMessage
  | BatchMessage
  | FetchStateMessage
  | StateChunkMessage
  | FetchCommittedMessage
  | CommittedMessage;

/** A message type name. */
export type PbftMessageType = PbftMessage['type'];

/** Message types a replica may pass on although another node signed them. */
export const RELAYABLE_TYPES: ReadonlySet<PbftMessageType> = new Set(['request', 'new-view', 'view-change']);
