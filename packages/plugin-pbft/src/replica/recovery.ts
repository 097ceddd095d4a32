/**
 * Recovery after a restart: install the stored stable checkpoint, replay the committed batches
 * stored after it, reload the prepared certificates (a later VIEW-CHANGE must still carry them),
 * and abstain from voting in every view up to the last one recorded — the replica may have voted
 * there before the crash, and it no longer knows how. It catches up on the rest from its peers.
 */
import type { RecoveredState } from '../storage/storage.js';
import type { Replica } from './replica.js';

/** Rebuilds a replica's state from what its storage kept. */
export function recover(r: Replica, state: RecoveredState): void {
  const { checkpoint } = state;
  if (checkpoint !== undefined) {
    r.env.executor.restore(checkpoint.snapshot);
    r.lastExecuted = checkpoint.seq;
    r.checkpoints.stable = { seq: checkpoint.seq, digest: checkpoint.digest, proof: checkpoint.proof, snapshot: checkpoint.snapshot };
  }
  let replayed = 0;
  for (const c of state.committed) {
    if (c.seq !== r.lastExecuted + 1) break;
    const batch = r.batches.verify(c.batch, c.digest);
    if (typeof batch === 'string') {
      r.env.logger.error({ seq: c.seq, problem: batch }, `the stored batch of seq ${c.seq} does not verify; recovery stops there and the rest comes from peers`);
      break;
    }
    const slot = r.log.slot(c.seq);
    slot.committed = { view: c.view, digest: c.digest, commits: c.commits };
    r.execution.run(slot, batch, true);
    replayed++;
  }
  for (const p of state.prepared) {
    if (p.seq <= r.low) continue;
    const slot = r.log.slot(p.seq);
    if (slot.prepared === undefined || slot.prepared.view < p.view) {
      slot.prepared = { view: p.view, digest: p.digest, prePrepare: p.prePrepare, prepares: p.prepares };
    }
  }
  if (state.view === undefined) {
    r.env.storage.recordView(0);
  } else {
    r.view = state.view;
    r.floorView = state.view;
    r.newViewInstalled = state.view === 0;
  }
  r.nextSeq = r.lastExecuted + 1;
  if (checkpoint !== undefined || replayed > 0 || state.view !== undefined) {
    r.env.logger.info(
      { checkpoint: checkpoint?.seq ?? 0, replayed, prepared: state.prepared.length, view: r.view },
      `replica ${r.id} recovered from storage: checkpoint ${checkpoint?.seq ?? 0}, ${replayed} committed batches replayed; it abstains from voting up to view ${r.floorView}`,
    );
  }
}
