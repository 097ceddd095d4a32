/**
 * Status exchange and retransmission (after Castro's implementation, TOCS §5.2): replicas
 * periodically multicast what they have — view, stable checkpoint, last executed — and peers answer
 * with what the sender is missing: the NEW-VIEW or VIEW-CHANGE of a later view, a stable checkpoint
 * proof, or their own normal-case messages for sequence numbers it has not executed. The network
 * may lose any message; this is what makes progress resume once it delivers again.
 */
import type { StatusMessage } from '../messages/types.js';
import type { Replica } from './replica.js';

/** Sequence numbers above a peer's last executed one that are retransmitted per status. */
const RETRANSMIT_SPAN = 64;
/** When nothing is pending, a status goes out every this many ticks. */
const IDLE_EVERY = 5;

interface PeerStatus extends StatusMessage {
  readonly at: number;
}

/** STATUS messages and the retransmissions they trigger. */
export class StatusExchange {
  private readonly peers = new Map<string, PeerStatus>();
  private ticks = 0;

  constructor(private readonly r: Replica) {}

  /** A peer that executed beyond `executed`, preferring the furthest (for catch-up). */
  peerAhead(executed: number): string | undefined {
    let best: PeerStatus | undefined;
    for (const p of this.peers.values()) if (p.executed > executed && (best === undefined || p.executed > best.executed)) best = p;
    return best?.from;
  }

  /** Multicasts this replica's status: every tick while something is pending, else now and then. */
  tick(): void {
    const r = this.r;
    this.ticks++;
    const busy = r.requests.size > 0 || !r.active || r.transfer.busy || r.checkpoints.target !== undefined || this.peerAhead(r.lastExecuted) !== undefined;
    if (!busy && this.ticks % IDLE_EVERY !== 0) return;
    const viewChanges = r.active ? [] : r.viewChanges.holders(r.view);
    r.broadcast(
      r.seal({ type: 'status', from: r.id, view: r.view, active: r.active, stable: r.low, executed: r.lastExecuted, viewChanges }),
      'status',
    );
  }

  /** Answers a peer's status with what it misses. */
  onStatus(m: StatusMessage): void {
    const r = this.r;
    const previous = this.peers.get(m.from);
    this.peers.set(m.from, { ...m, at: r.now() });
    if (r.active && r.view > 0 && (m.view < r.view || (m.view === r.view && !m.active))) {
      const newView = r.viewChanges.newViewEnvelope(r.view);
      if (newView !== undefined) r.send(m.from, newView, 'new-view');
    }
    if (!r.active && (m.view < r.view || (m.view === r.view && !m.active && !m.viewChanges.includes(r.id)))) {
      const own = r.viewChanges.ownEnvelope(r.view);
      if (own !== undefined) r.send(m.from, own, 'view-change');
    }
    if (m.executed < r.low) {
      r.send(m.from, r.seal({ type: 'stable-checkpoint', from: r.id, checkpoint: r.checkpoints.proof() }), 'stable-checkpoint');
    }
    for (const envelope of r.checkpoints.ownEnvelopes(m.stable)) r.send(m.from, envelope, 'checkpoint');
    // Normal-case retransmission only for a peer that made no progress since its last status: a
    // peer that is merely busy would get its in-flight messages twice.
    if (!(r.active && m.active && m.view === r.view) || previous === undefined || previous.executed !== m.executed) return;
    const now = r.now();
    const from = Math.max(m.executed, r.low) + 1;
    const to = Math.min(m.executed + RETRANSMIT_SPAN, r.high);
    for (let seq = from; seq <= to; seq++) {
      const slot = r.log.get(seq);
      if (slot === undefined) continue;
      const sent = [
        [slot.sentPrePrepare, 'pre-prepare'],
        [slot.sentPrepare, 'prepare'],
        [slot.sentCommit, 'commit'],
      ] as const;
      for (const [message, type] of sent) {
        if (message !== undefined && message.view === r.view && now - message.at >= r.config.status_interval) r.send(m.from, message.frame, type);
      }
    }
  }
}
