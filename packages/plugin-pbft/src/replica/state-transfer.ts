/**
 * State transfer and catch-up (§4.3, TOCS §5.3): a replica that is behind fetches what it misses
 * and verifies everything it receives. A checkpoint snapshot is fetched in chunks and accepted only
 * if it hashes to the digest that 2f+1 CHECKPOINTs vouch for; committed batches after it come with
 * their commit certificates (2f+1 COMMITs); batch bodies come by digest. Peers answer any replica
 * that asks; whoever answers, the proof is what counts, so a faulty peer can only waste time.
 */
import { sha256 } from '../messages/batch.js';
import { toBase64, withAttachment, type Opened } from '../messages/envelope.js';
import type { Digest, FetchBatchesMessage, FetchCommittedMessage, FetchStateMessage, StateChunkMessage } from '../messages/types.js';
import type { CheckpointTarget } from './checkpoints.js';
import type { Replica } from './replica.js';

/** Chunks sent per fetch-state request. */
const CHUNK_BURST = 4;
/** Committed batches asked for per fetch-committed request. */
const COMMITTED_BURST = 32;
/** Batch bodies served per fetch-batches request. */
const BATCH_BURST = 16;

interface Fetch {
  readonly target: CheckpointTarget;
  chunks: (Uint8Array | undefined)[];
  total: number | undefined;
  peer: number;
  askedAt: number;
}

interface WantedBatch {
  readonly holders: readonly string[];
  askedAt: number;
  tries: number;
}

/** Snapshot fetching, batch-body fetching, committed-batch catch-up, and serving them to peers. */
export class StateTransfer {
  private fetch: Fetch | undefined;
  private readonly wanted = new Map<Digest, WantedBatch>();
  private lastCatchUp = -Infinity;

  constructor(private readonly r: Replica) {}

  /** True while a snapshot is being fetched. */
  get busy(): boolean {
    return this.fetch !== undefined;
  }

  /** Digests of bodies this replica is waiting for. */
  wantedBatches(): IterableIterator<Digest> {
    return this.wanted.keys();
  }

  private others(): string[] {
    return this.r.group.ids.filter((id) => id !== this.r.id);
  }

  private chunkSize(): number {
    return Math.max(1024, Math.min(1024 * 1024, this.r.env.maxMessageBytes - 4096));
  }

  /** Starts fetching the snapshot of a stable checkpoint. */
  start(target: CheckpointTarget): void {
    if (this.fetch !== undefined && this.fetch.target.seq >= target.seq) return;
    const r = this.r;
    r.env.logger.info({ seq: target.seq, lastExecuted: r.lastExecuted }, `replica ${r.id} fetches the state of checkpoint ${target.seq} from its peers`);
    this.fetch = { target, chunks: [], total: undefined, peer: r.group.indexOf(r.id) + 1, askedAt: r.now() };
    this.request();
  }

  private request(): void {
    const f = this.fetch;
    if (f === undefined) return;
    const others = this.others();
    if (others.length === 0) return;
    const peer = others[f.peer % others.length]!;
    let chunk = 0;
    if (f.total !== undefined) while (chunk < f.total && f.chunks[chunk] !== undefined) chunk++;
    f.askedAt = this.r.now();
    this.r.send(peer, this.r.seal({ type: 'fetch-state', from: this.r.id, seq: f.target.seq, digest: f.target.digest, chunk }), 'fetch-state');
  }

  /** A state-transfer message. */
  receive(opened: Opened): void {
    const m = opened.message;
    switch (m.type) {
      case 'fetch-state':
        return this.serveState(m);
      case 'state-chunk':
        return this.onChunk(m, opened.attachment);
      case 'fetch-batches':
        return this.serveBatches(m);
      case 'batch':
        return this.onBatch(m.from, m.digest, opened.attachment);
      case 'fetch-committed':
        return this.serveCommitted(m);
      case 'committed':
        return this.r.agreement.acceptCommitCertificate(m.from, m.view, m.seq, m.digest, m.commits, opened.attachment);
      default:
        return;
    }
  }

  private sendStableProof(to: string): void {
    const r = this.r;
    if (r.low === 0) return;
    r.send(to, r.seal({ type: 'stable-checkpoint', from: r.id, checkpoint: r.checkpoints.proof() }), 'stable-checkpoint');
  }

  private serveState(m: FetchStateMessage): void {
    const r = this.r;
    const snapshot = r.checkpoints.snapshotFor(m.seq, m.digest);
    if (snapshot === undefined) {
      if (r.low > m.seq) this.sendStableProof(m.from);
      return;
    }
    const size = this.chunkSize();
    const chunks = Math.max(1, Math.ceil(snapshot.byteLength / size));
    for (let i = m.chunk; i < Math.min(chunks, m.chunk + CHUNK_BURST); i++) {
      const envelope = r.seal({ type: 'state-chunk', from: r.id, seq: m.seq, digest: m.digest, chunk: i, chunks });
      r.send(m.from, withAttachment(envelope, snapshot.subarray(i * size, (i + 1) * size)), 'state-chunk');
    }
  }

  private onChunk(m: StateChunkMessage, bytes: Uint8Array): void {
    const r = this.r;
    const f = this.fetch;
    if (f === undefined || m.seq !== f.target.seq || m.digest !== f.target.digest) return;
    if (f.total === undefined) f.total = m.chunks;
    if (m.chunks !== f.total) {
      r.drop(m.from, 'malformed', `state chunk count ${m.chunks} differs from ${f.total}`);
      return;
    }
    f.chunks[m.chunk] = new Uint8Array(bytes);
    f.askedAt = r.now();
    let have = 0;
    for (let i = 0; i < f.total; i++) if (f.chunks[i] !== undefined) have++;
    if (have < f.total) {
      if ((m.chunk + 1) % CHUNK_BURST === 0) this.request();
      return;
    }
    const snapshot = Buffer.concat(f.chunks as Uint8Array[]);
    if (sha256(snapshot) !== f.target.digest) {
      r.env.logger.warn({ seq: f.target.seq }, 'a snapshot assembled from peers does not match the agreed digest; asking another peer');
      f.chunks = [];
      f.total = undefined;
      f.peer++;
      this.request();
      return;
    }
    this.install(f.target, new Uint8Array(snapshot));
  }

  private install(target: CheckpointTarget, snapshot: Uint8Array): void {
    const r = this.r;
    this.fetch = undefined;
    try {
      r.env.executor.restore(snapshot);
    } catch (err) {
      r.env.logger.error({ err, seq: target.seq }, 'the agreed snapshot could not be installed; this replica cannot catch up until its state machines match the group');
      return;
    }
    for (const slot of r.log.values()) if (slot.seq > target.seq) slot.executed = false;
    r.lastExecuted = target.seq;
    r.nextSeq = Math.max(r.nextSeq, target.seq + 1);
    r.checkpoints.makeStable({ seq: target.seq, digest: target.digest, proof: target.proof, snapshot });
    r.env.metrics.stateTransfers.inc();
    r.env.observer?.stateTransferred?.({ seq: target.seq, digest: target.digest });
    r.env.logger.info({ seq: target.seq }, `replica ${r.id} installed the state of checkpoint ${target.seq}`);
    r.requests.pruneExecuted();
    r.execution.executeReady();
  }

  /** Asks peers for a batch body (`holders` first). */
  wantBatch(digest: Digest, holders: readonly string[]): void {
    if (this.r.batches.has(digest) || this.wanted.has(digest)) return;
    const w: WantedBatch = { holders: holders.filter((h) => h !== this.r.id), askedAt: this.r.now(), tries: 0 };
    this.wanted.set(digest, w);
    this.ask(digest, w);
  }

  private ask(digest: Digest, w: WantedBatch): void {
    const peers = w.holders.length > 0 && w.tries < w.holders.length ? w.holders : this.others();
    if (peers.length === 0) return;
    const peer = peers[w.tries % peers.length]!;
    w.askedAt = this.r.now();
    this.r.send(peer, this.r.seal({ type: 'fetch-batches', from: this.r.id, digests: [digest] }), 'fetch-batches');
  }

  private serveBatches(m: FetchBatchesMessage): void {
    const r = this.r;
    for (const digest of m.digests.slice(0, BATCH_BURST)) {
      const batch = r.batches.get(digest);
      if (batch === undefined) continue;
      r.send(m.from, withAttachment(r.seal({ type: 'batch', from: r.id, digest }), batch.bytes), 'batch');
    }
  }

  private onBatch(from: string, digest: Digest, bytes: Uint8Array): void {
    const r = this.r;
    if (!this.wanted.has(digest)) return;
    const batch = r.batches.verify(bytes, digest);
    if (typeof batch === 'string') {
      r.drop(from, 'bad-digest', `batch ${digest.slice(0, 12)}…: ${batch}`);
      r.faults.report(from, 'bad-digest', `answered a batch request with a body that does not verify`);
      return;
    }
    this.wanted.delete(digest);
    r.agreement.bodyArrived(digest);
    r.execution.executeReady();
  }

  private serveCommitted(m: FetchCommittedMessage): void {
    const r = this.r;
    if (m.after < r.low) {
      this.sendStableProof(m.from);
      return;
    }
    for (let seq = m.after + 1; seq <= Math.min(m.after + m.limit, r.lastExecuted); seq++) {
      const c = r.log.get(seq)?.committed;
      const batch = c === undefined ? undefined : r.batches.get(c.digest);
      if (c === undefined || batch === undefined) break;
      const envelope = r.seal({ type: 'committed', from: r.id, view: c.view, seq, digest: c.digest, commits: c.commits.map(toBase64) });
      r.send(m.from, withAttachment(envelope, batch.bytes), 'committed');
    }
  }

  /** Housekeeping: retry stalled fetches; catch up when peers executed further. */
  tick(): void {
    const r = this.r;
    const now = r.now();
    const patience = 2 * r.config.status_interval;
    if (this.fetch !== undefined && now - this.fetch.askedAt >= patience) {
      this.fetch.peer++;
      this.request();
    }
    for (const [digest, w] of this.wanted) {
      if (r.batches.has(digest)) this.wanted.delete(digest);
      else if (now - w.askedAt >= patience) {
        w.tries++;
        this.ask(digest, w);
      }
    }
    if (this.fetch !== undefined || now - this.lastCatchUp < r.config.status_interval) return;
    const next = r.log.get(r.lastExecuted + 1);
    if (next?.committed !== undefined) return;
    const ahead = r.status.peerAhead(r.lastExecuted);
    if (ahead === undefined) return;
    this.lastCatchUp = now;
    r.send(ahead, r.seal({ type: 'fetch-committed', from: r.id, after: r.lastExecuted, limit: COMMITTED_BURST }), 'fetch-committed');
  }
}
