/**
 * The normal case (§4.2): the primary assigns a sequence number and multicasts PRE-PREPARE; backups
 * that accept it multicast PREPARE; a replica with the PRE-PREPARE and 2f matching PREPAREs is
 * *prepared* and multicasts COMMIT; with 2f+1 matching COMMITs it is *committed-local* and executes
 * in order. A PRE-PREPARE is accepted when it is signed by the primary of the current view, its
 * sequence number is within the watermarks, no other digest was accepted for the same (v, n), its
 * body matches its digest and every request in it verifies and passes validation.
 *
 * A PREPARE carries the PRE-PREPARE its sender accepted: two PRE-PREPAREs signed by the primary for
 * one (v, n) with different digests are proof of equivocation, and a replica whose own copy of the
 * PRE-PREPARE was lost learns it from any PREPARE.
 */
import { sha256 } from '../messages/batch.js';
import { fromBase64, isCanonicalPrePrepare, rebuildPrePrepare, signatureOf, toBase64, withAttachment, type Opened } from '../messages/envelope.js';
import type { CommitMessage, Digest, PrePrepareMessage, PrepareMessage } from '../messages/types.js';
import type { VerifiedBatch } from './batches.js';
import { Slot, type AcceptedPrePrepare, type Votes } from './log.js';
import type { Replica } from './replica.js';

/** The first `count` envelopes of a vote table, in replica order (deterministic certificates). */
function pick(r: Replica, votes: Votes, count: number): Uint8Array[] {
  return r.group.ids.filter((id) => votes.has(id)).slice(0, count).map((id) => votes.get(id)!);
}

/** PRE-PREPARE, PREPARE and COMMIT handling. */
export class Agreement {
  constructor(private readonly r: Replica) {}

  /** As primary: orders a batch body at the next sequence number. */
  propose(body: Uint8Array): void {
    const r = this.r;
    const batch = r.batches.verify(body);
    if (typeof batch === 'string') {
      r.env.logger.error({ problem: batch }, 'the batch this primary built does not verify; it was not proposed');
      return;
    }
    // A primary signs one PRE-PREPARE per (view, seq): skip numbers this view already used.
    while (r.log.get(r.nextSeq)?.prePrepare?.view === r.view) r.nextSeq++;
    const seq = r.nextSeq++;
    const envelope = r.seal({ type: 'pre-prepare', from: r.id, view: r.view, seq, digest: batch.digest });
    const slot = r.log.slot(seq);
    const accepted: AcceptedPrePrepare = { view: r.view, digest: batch.digest, envelope, at: r.now() };
    slot.prePrepare = accepted;
    const frame = withAttachment(envelope, body);
    slot.sentPrePrepare = { view: r.view, frame, at: r.now() };
    r.broadcast(frame, 'pre-prepare');
    r.requests.markProposed(batch.requests.map((o) => o.request), r.id, r.now());
    this.checkPrepared(slot);
  }

  /**
   * False when a PREPARE or COMMIT can no longer change anything here: the slot is already prepared
   * (for that digest) or committed. Such a vote is neither verified nor used.
   */
  wants(m: PrepareMessage | CommitMessage): boolean {
    const r = this.r;
    if (m.view !== r.view || !r.active || !r.inWindow(m.seq)) return true;
    const slot = r.log.get(m.seq);
    if (slot === undefined) return true;
    if (m.type === 'commit') return slot.committed === undefined;
    return !(slot.prepared?.view === m.view && slot.prepared.digest === m.digest);
  }

  /** A normal-case message of the current view (the view gate already passed). */
  receive(opened: Opened<PrePrepareMessage | PrepareMessage | CommitMessage>): void {
    const m = opened.message;
    const r = this.r;
    if (!r.inWindow(m.seq)) {
      r.drop(m.from, m.seq <= r.low ? 'stale' : 'out-of-window', `${m.type} for seq ${m.seq} outside the watermarks (${r.low}, ${r.high}]`);
      return;
    }
    if (m.type === 'pre-prepare') this.onPrePrepare(opened as Opened<PrePrepareMessage>);
    else if (m.type === 'prepare') this.onPrepare(opened as Opened<PrepareMessage>);
    else this.onCommit(opened as Opened<CommitMessage>);
  }

  private onPrePrepare(opened: Opened<PrePrepareMessage>): void {
    const r = this.r;
    const m = opened.message;
    if (m.from !== r.primary()) {
      r.drop(m.from, 'not-primary', `PRE-PREPARE for view ${m.view} from '${m.from}', but the primary is '${r.primary()}'`);
      r.faults.report(m.from, 'not-primary', `sent a PRE-PREPARE for view ${m.view} without being its primary`);
      return;
    }
    if (!isCanonicalPrePrepare(opened.envelope, m)) {
      r.drop(m.from, 'malformed', `PRE-PREPARE for seq ${m.seq} is not canonically encoded`);
      r.faults.report(m.from, 'malformed', `sent a PRE-PREPARE for seq ${m.seq} that is not canonically encoded`);
      return;
    }
    const slot = r.log.slot(m.seq);
    const header: AcceptedPrePrepare = { view: m.view, digest: m.digest, envelope: opened.envelope, at: r.now() };
    if (!this.consistent(slot, header)) return;
    if (opened.attachment.byteLength === 0) {
      this.awaitBody(slot, header, m.from);
      return;
    }
    if (sha256(opened.attachment) !== m.digest) {
      r.drop(m.from, 'bad-digest', `PRE-PREPARE for seq ${m.seq} carries a batch that does not hash to its digest`);
      r.faults.report(m.from, 'bad-digest', `PRE-PREPARE (view ${m.view}, seq ${m.seq}) with a body that does not match its digest`);
      return;
    }
    this.accept(slot, header, opened.attachment, true);
  }

  /**
   * Checks a PRE-PREPARE against what the slot already holds for the same view. Returns false
   * (and records the proof) when the primary signed two digests for one (v, n).
   */
  private consistent(slot: Slot, header: AcceptedPrePrepare): boolean {
    const held = slot.prePrepare?.view === header.view ? slot.prePrepare : slot.awaitingBody?.view === header.view ? slot.awaitingBody : undefined;
    if (held === undefined) return true;
    if (held.digest === header.digest) {
      // A retransmission; if we were waiting for its body, it may carry it now.
      return slot.prePrepare === undefined;
    }
    const r = this.r;
    const primary = r.primary(header.view);
    r.drop(primary, 'equivocation', `two PRE-PREPAREs for view ${header.view}, seq ${slot.seq}: ${held.digest.slice(0, 12)}… and ${header.digest.slice(0, 12)}…`);
    r.faults.report(primary, 'equivocation', `two PRE-PREPAREs for view ${header.view}, seq ${slot.seq} with different digests`);
    return false;
  }

  private awaitBody(slot: Slot, header: AcceptedPrePrepare, holder: string): void {
    const r = this.r;
    const known = r.batches.get(header.digest);
    if (known !== undefined) {
      this.accept(slot, header, known.bytes, true);
      return;
    }
    slot.awaitingBody = header;
    r.transfer.wantBatch(header.digest, [holder, r.primary(header.view)]);
  }

  /** A batch body arrived: complete the PRE-PREPAREs that waited for it. */
  bodyArrived(digest: Digest): void {
    const r = this.r;
    const batch = r.batches.get(digest);
    if (batch === undefined) return;
    for (const slot of r.log.values()) {
      const header = slot.awaitingBody;
      if (header !== undefined && header.digest === digest && header.view === r.view && r.active) this.accept(slot, header, batch.bytes, true);
    }
  }

  /**
   * Accepts a PRE-PREPARE with its body. `check` runs the backups' validation; PRE-PREPAREs of a
   * NEW-VIEW are accepted as the NEW-VIEW decided them.
   */
  accept(slot: Slot, header: AcceptedPrePrepare, body: Uint8Array | undefined, check: boolean): void {
    const r = this.r;
    let batch: VerifiedBatch | undefined;
    if (body !== undefined) {
      const verified = r.batches.verify(body, header.digest);
      if (typeof verified === 'string') {
        const primary = r.primary(header.view);
        r.drop(primary, 'malformed', `batch of seq ${slot.seq}: ${verified}`);
        r.faults.report(primary, 'malformed', `proposed a malformed batch for seq ${slot.seq}: ${verified}`);
        return;
      }
      batch = verified;
    }
    if (check && batch !== undefined) {
      const problem = this.validationProblem(batch);
      if (problem !== undefined) {
        const primary = r.primary(header.view);
        r.drop(primary, 'invalid-operation', `batch of seq ${slot.seq} not prepared: ${problem}`);
        r.faults.report(primary, 'invalid-operation', `proposed for seq ${slot.seq} ${problem}`);
        return;
      }
    }
    slot.prePrepare = header;
    slot.awaitingBody = undefined;
    // Only a PRE-PREPARE the primary just made measures how fast it orders (not a NEW-VIEW's).
    if (batch !== undefined) r.requests.markProposed(batch.requests.map((o) => o.request), check ? r.primary(header.view) : undefined, header.at);
    if (r.primary(header.view) !== r.id && r.mayVote(header.view) && slot.sentPrepare?.view !== header.view) {
      const envelope = r.seal({ type: 'prepare', from: r.id, view: header.view, seq: slot.seq, digest: header.digest, prePrepare: toBase64(signatureOf(header.envelope)) });
      Slot.vote(slot.prepares, header.view, header.digest, r.id, envelope);
      slot.sentPrepare = { view: header.view, frame: envelope, at: r.now() };
      r.broadcast(envelope, 'prepare');
    }
    this.checkPrepared(slot);
  }

  /**
   * The reason a batch may not be prepared here, if any (§ validation before PREPARE). The
   * primary's refusals are checked too: a refusal is agreed only when this replica would refuse
   * as well, so a faulty primary cannot veto valid operations — the backups withhold their
   * PREPAREs and the view changes.
   */
  private validationProblem(batch: VerifiedBatch): string | undefined {
    const executor = this.r.env.executor;
    for (const { request, rejection } of batch.requests) {
      if (rejection !== undefined) {
        if (executor.has(request.namespace) && executor.validate(request.namespace, request.operation).valid) {
          return `a refusal of an operation of client '${request.client}' that this replica finds valid (the primary said: ${rejection.message})`;
        }
        continue;
      }
      if (!executor.has(request.namespace)) return `an operation for namespace '${request.namespace}', which this replica has no state machine for`;
      const verdict = executor.validate(request.namespace, request.operation);
      if (!verdict.valid) return `an operation of client '${request.client}' this replica finds invalid: ${verdict.reason}`;
    }
    return undefined;
  }

  private onPrepare(opened: Opened<PrepareMessage>): void {
    const r = this.r;
    const m = opened.message;
    if (m.from === r.primary()) {
      r.drop(m.from, 'malformed', `PREPARE from the primary of view ${m.view}`);
      return;
    }
    const slot = r.log.slot(m.seq);
    const mine = slot.prePrepare?.view === m.view ? slot.prePrepare : slot.awaitingBody?.view === m.view ? slot.awaitingBody : undefined;
    if (mine === undefined || mine.digest !== m.digest) {
      // Only then is the primary's signature worth checking: it is equivocation evidence, or ours was lost.
      const envelope = rebuildPrePrepare({ from: r.primary(m.view), view: m.view, seq: m.seq, digest: m.digest }, fromBase64(m.prePrepare));
      const embedded = r.env.auth.open(envelope);
      if (!embedded.ok) {
        r.drop(m.from, 'invalid-certificate', `PREPARE for seq ${m.seq} carries a PRE-PREPARE signature that does not verify`);
        r.faults.report(m.from, 'invalid-certificate', `PREPARE for seq ${m.seq} with a PRE-PREPARE signature that does not verify`);
        return;
      }
      const header: AcceptedPrePrepare = { view: m.view, digest: m.digest, envelope: embedded.envelope, at: r.now() };
      if (this.consistent(slot, header) && mine === undefined) this.awaitBody(slot, header, m.from);
    }
    Slot.vote(slot.prepares, m.view, m.digest, m.from, opened.envelope);
    if (slot.prePrepare !== undefined && slot.prePrepare.digest === m.digest) r.slow.observeResponse(r.now() - slot.prePrepare.at);
    this.checkPrepared(slot);
  }

  private onCommit(opened: Opened<CommitMessage>): void {
    const m = opened.message;
    const slot = this.r.log.slot(m.seq);
    Slot.vote(slot.commits, m.view, m.digest, m.from, opened.envelope);
    this.checkCommitted(slot);
  }

  /** Prepared: the PRE-PREPARE and 2f matching PREPAREs from backups. Then COMMIT. */
  checkPrepared(slot: Slot): void {
    const r = this.r;
    const pp = slot.prePrepare;
    if (pp === undefined || pp.view !== r.view || !r.active || slot.prepared?.view === r.view) return;
    const votes = Slot.votes(slot.prepares, pp.view, pp.digest);
    votes.delete(r.primary(pp.view));
    if (votes.size < r.group.quorum - 1) return;
    const prepares = pick(r, votes, r.group.quorum - 1);
    slot.prepared = { view: pp.view, digest: pp.digest, prePrepare: pp.envelope, prepares };
    r.env.storage.recordPrepared({ seq: slot.seq, view: pp.view, digest: pp.digest, prePrepare: pp.envelope, prepares });
    if (r.mayVote(pp.view) && slot.sentCommit?.view !== pp.view) {
      // The prepared certificate must be durable before we vouch for it with a COMMIT.
      r.env.storage.sync();
      const envelope = r.seal({ type: 'commit', from: r.id, view: pp.view, seq: slot.seq, digest: pp.digest });
      Slot.vote(slot.commits, pp.view, pp.digest, r.id, envelope);
      slot.sentCommit = { view: pp.view, frame: envelope, at: r.now() };
      r.broadcast(envelope, 'commit');
    }
    this.checkCommitted(slot);
  }

  /** Committed-local: prepared and 2f+1 matching COMMITs. Then execute in order. */
  checkCommitted(slot: Slot): void {
    const r = this.r;
    const p = slot.prepared;
    if (slot.committed !== undefined || p === undefined || p.view !== r.view) return;
    const votes = Slot.votes(slot.commits, p.view, p.digest);
    if (votes.size < r.group.quorum) return;
    slot.committed = { view: p.view, digest: p.digest, commits: pick(r, votes, r.group.quorum) };
    r.execution.executeReady();
  }

  /**
   * Accepts a commit certificate fetched from a peer (catch-up): 2f+1 valid COMMITs from distinct
   * replicas for (view, seq, digest) prove the batch committed, whatever view we are in.
   */
  acceptCommitCertificate(from: string, view: number, seq: number, digest: Digest, commits: readonly string[], body: Uint8Array): void {
    const r = this.r;
    if (seq <= r.lastExecuted || seq > r.high) return;
    const slot = r.log.slot(seq);
    if (slot.committed !== undefined) return;
    const signers = new Map<string, Uint8Array>();
    for (const c of commits) {
      const opened = r.env.auth.openEmbedded(c, 'commit');
      if (!opened.ok || !r.group.has(opened.message.from)) continue;
      const m = opened.message;
      if (m.view === view && m.seq === seq && m.digest === digest) signers.set(m.from, opened.envelope);
    }
    if (signers.size < r.group.quorum) {
      r.drop(from, 'invalid-certificate', `commit certificate for seq ${seq} has ${signers.size} valid COMMITs, ${r.group.quorum} needed`);
      r.faults.report(from, 'invalid-certificate', `sent a commit certificate for seq ${seq} with too few valid COMMITs`);
      return;
    }
    const batch = r.batches.verify(body, digest);
    if (typeof batch === 'string') {
      r.drop(from, 'bad-digest', `committed batch for seq ${seq}: ${batch}`);
      r.faults.report(from, 'bad-digest', `sent a committed batch for seq ${seq} that does not verify`);
      return;
    }
    slot.committed = { view, digest, commits: pick(r, signers, r.group.quorum) };
    r.execution.executeReady();
  }
}
