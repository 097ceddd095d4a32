/**
 * Execution (§4.2, §4.3): committed batches run strictly in sequence order, each request through
 * the executor; replies go to each client node (one REPLY per node per batch); every K sequence
 * numbers the replica takes a checkpoint.
 */
import type { ReplyEntry } from '../messages/types.js';
import { clientNode, type VerifiedBatch } from './batches.js';
import type { Slot } from './log.js';
import type { Replica } from './replica.js';

/** Runs committed batches in order. */
export class Execution {
  private executing = false;
  private readonly outbox = new Map<string, ReplyEntry[]>();
  private flushQueued = false;

  constructor(private readonly r: Replica) {}

  /** Executes every committed batch that is next in order and whose body is known. */
  executeReady(): void {
    const r = this.r;
    if (this.executing) return;
    this.executing = true;
    try {
      for (;;) {
        const slot = r.log.get(r.lastExecuted + 1);
        const certificate = slot?.committed;
        if (slot === undefined || certificate === undefined) break;
        const batch = r.batches.get(certificate.digest);
        if (batch === undefined) {
          r.transfer.wantBatch(certificate.digest, []);
          break;
        }
        this.run(slot, batch, false);
      }
    } finally {
      this.executing = false;
    }
  }

  /** Executes one batch; `replay` is set while recovering from disk (no log record, no replies). */
  run(slot: Slot, batch: VerifiedBatch, replay: boolean): void {
    const r = this.r;
    const certificate = slot.committed!;
    const outcomes = r.env.executor.execute(batch.requests, { sequence: slot.seq, view: certificate.view, timestamp: batch.timestamp });
    slot.executed = true;
    r.lastExecuted = slot.seq;
    if (!replay) {
      r.env.storage.recordCommitted({ seq: slot.seq, view: certificate.view, digest: certificate.digest, batch: batch.bytes, commits: certificate.commits });
    }
    r.requests.onExecuted(outcomes);
    const byNode = new Map<string, ReplyEntry[]>();
    let executed = 0;
    for (const outcome of outcomes) {
      if (outcome.reply === undefined) continue;
      executed++;
      const node = clientNode(outcome.request.client);
      let list = byNode.get(node);
      if (list === undefined) byNode.set(node, (list = []));
      list.push(outcome.reply);
    }
    if (!replay) for (const [node, replies] of byNode) this.reply(node, replies);
    for (const outcome of outcomes) if (outcome.committed !== undefined) r.env.committed(outcome.committed);
    r.env.metrics.batchesCommitted.inc();
    r.env.metrics.requestsExecuted.inc(executed);
    r.env.metrics.batchSize.observe(batch.requests.length);
    if (executed > 0 && r.active && r.newViewInstalled) r.consecutiveViewChanges = 0;
    r.env.observer?.executed?.({
      seq: slot.seq,
      view: certificate.view,
      digest: certificate.digest,
      requests: batch.requests.map((o) => o.request),
      applied: outcomes.filter((o) => o.committed !== undefined).map((o) => o.committed!),
    });
    if (slot.seq % r.config.checkpoint_interval === 0) r.checkpoints.take(slot.seq);
  }

  /**
   * Queues replies to a client node (REPLY ⟨v, t, c, i, r⟩). Replies of every batch executed in
   * the same turn of the event loop go out together: one signed message per client node.
   */
  reply(node: string, replies: ReplyEntry[]): void {
    let queued = this.outbox.get(node);
    if (queued === undefined) this.outbox.set(node, (queued = []));
    queued.push(...replies);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flushReplies());
  }

  private flushReplies(): void {
    const r = this.r;
    this.flushQueued = false;
    const limit = Math.max(1, r.config.batch_size * 4);
    for (const [node, replies] of this.outbox) {
      for (let i = 0; i < replies.length; i += limit) {
        r.send(node, r.seal({ type: 'reply', from: r.id, view: r.view, replies: replies.slice(i, i + limit) }), 'reply');
      }
    }
    this.outbox.clear();
  }
}
