/**
 * View changes (§4.4). A backup whose request timer expires (or whose fault detector blames the
 * primary) moves to view v+1 and multicasts VIEW-CHANGE with its stable checkpoint proof C and a
 * prepared certificate for every sequence number above it (P). The new primary collects 2f+1 valid
 * VIEW-CHANGEs (V) and multicasts NEW-VIEW with V and O: for each n between min-s (the latest stable
 * checkpoint in V) and max-s (the highest prepared n in V), a PRE-PREPARE for the digest prepared in
 * the highest view — or for the null request. Every replica recomputes O from V before it accepts.
 * A replica that sees f+1 replicas ask for later views joins the smallest of them; the wait for
 * NEW-VIEW doubles with each consecutive view change.
 */
import { NULL_DIGEST } from '../messages/batch.js';
import { toBase64, type Opened } from '../messages/envelope.js';
import type { Digest, NewViewMessage, ViewChangeMessage } from '../messages/types.js';
import type { Replica } from './replica.js';

/** VIEW-CHANGEs for views further ahead are not kept (a NEW-VIEW still brings a replica there). */
const MAX_VIEWS_AHEAD = 16;

/** A VIEW-CHANGE whose proofs were verified. */
interface ValidViewChange {
  readonly from: string;
  readonly view: number;
  readonly envelope: Uint8Array;
  readonly checkpoint: { readonly seq: number; readonly digest: Digest; readonly proof: readonly Uint8Array[] };
  /** Prepared certificates by sequence number. */
  readonly prepared: ReadonlyMap<number, { readonly view: number; readonly digest: Digest }>;
}

/** O, computed from V. */
interface NewViewPlan {
  readonly checkpoint: ValidViewChange['checkpoint'];
  readonly maxS: number;
  /** One entry per n in (min-s, max-s]; `holders` sent a certificate for that digest. */
  readonly entries: readonly { readonly seq: number; readonly digest: Digest; readonly holders: readonly string[] }[];
}

/** VIEW-CHANGE and NEW-VIEW. */
export class ViewChanges {
  private readonly received = new Map<number, Map<string, ValidViewChange>>();
  private readonly own = new Map<number, Uint8Array>();
  private readonly newViews = new Map<number, Uint8Array>();
  private readonly sentNewView = new Set<number>();
  private timer: ReturnType<Replica['timer']> | undefined;

  constructor(private readonly r: Replica) {}

  /** Replicas whose VIEW-CHANGE for `view` this replica holds. */
  holders(view: number): string[] {
    return [...(this.received.get(view)?.keys() ?? [])];
  }

  /** This replica's VIEW-CHANGE for `view`, if it sent one. */
  ownEnvelope(view: number): Uint8Array | undefined {
    return this.own.get(view);
  }

  /** The NEW-VIEW this replica installed for `view`, if any. */
  newViewEnvelope(view: number): Uint8Array | undefined {
    return this.newViews.get(view);
  }

  /** Moves to view `target` and multicasts VIEW-CHANGE. */
  start(target: number, reason: string): void {
    const r = this.r;
    if (target <= r.view) return;
    if (r.active) r.slow.endTerm(r.primary());
    r.view = target;
    r.active = false;
    r.newViewInstalled = false;
    r.consecutiveViewChanges++;
    r.env.storage.recordView(target);
    r.requests.onViewChange();
    r.cancel(this.timer);
    this.timer = undefined;
    const prepared = r.log
      .ordered()
      .filter((s) => s.seq > r.low && s.prepared !== undefined)
      .map((s) => ({ prePrepare: toBase64(s.prepared!.prePrepare), prepares: s.prepared!.prepares.map(toBase64) }));
    const message: ViewChangeMessage = { type: 'view-change', from: r.id, view: target, checkpoint: r.checkpoints.proof(), prepared };
    const envelope = r.seal(message);
    this.own.set(target, envelope);
    const valid = this.validate(message, envelope);
    if (typeof valid === 'string') r.env.logger.error({ problem: valid }, 'this replica built an invalid VIEW-CHANGE');
    else this.store(valid);
    r.env.metrics.viewChanges.inc();
    r.env.observer?.viewChangeStarted?.(target, reason);
    r.env.logger.warn({ view: target, reason }, `replica ${r.id} starts a view change to view ${target}: ${reason}`);
    r.broadcast(envelope, 'view-change');
    this.progress(target);
  }

  private store(vc: ValidViewChange): void {
    let byView = this.received.get(vc.view);
    if (byView === undefined) this.received.set(vc.view, (byView = new Map()));
    if (!byView.has(vc.from)) byView.set(vc.from, vc);
  }

  /** A VIEW-CHANGE from a replica (possibly relayed). */
  onViewChange(from: string, opened: Opened<ViewChangeMessage>): void {
    const r = this.r;
    const m = opened.message;
    if (m.view < r.view || (m.view === r.view && r.active)) {
      // The sender is behind: show it the view we installed.
      const newView = this.newViews.get(r.view);
      if (r.active && newView !== undefined) r.send(from, newView, 'new-view');
      return;
    }
    if (m.view > r.view + MAX_VIEWS_AHEAD) {
      r.drop(from, 'wrong-view', `VIEW-CHANGE for view ${m.view}, more than ${MAX_VIEWS_AHEAD} views ahead of view ${r.view}`);
      return;
    }
    if (this.received.get(m.view)?.has(m.from)) return;
    const valid = this.validate(m, opened.envelope);
    if (typeof valid === 'string') {
      r.drop(from, 'invalid-certificate', `VIEW-CHANGE of '${m.from}' for view ${m.view}: ${valid}`);
      r.faults.report(m.from, 'invalid-certificate', `sent a VIEW-CHANGE for view ${m.view} with ${valid}`);
      return;
    }
    this.store(valid);
    if (m.view > r.view) {
      // §4.5.2: f+1 replicas asking for later views include a correct one; join the smallest.
      const senders = new Set<string>();
      let smallest = Infinity;
      for (const [view, byView] of this.received) {
        if (view <= r.view) continue;
        for (const sender of byView.keys()) senders.add(sender);
        smallest = Math.min(smallest, view);
      }
      if (senders.size >= r.group.weak) this.start(smallest, `${senders.size} replicas asked for view ${smallest} or later`);
    }
    if (m.view === r.view && !r.active) this.progress(r.view);
  }

  /** With 2f+1 VIEW-CHANGEs: arm the NEW-VIEW timer, and send NEW-VIEW as the new primary. */
  private progress(view: number): void {
    const r = this.r;
    const votes = this.received.get(view)?.size ?? 0;
    if (votes < r.group.quorum) return;
    if (this.timer === undefined) {
      const wait = r.config.view_change_timeout * 2 ** Math.min(r.consecutiveViewChanges - 1, 8);
      this.timer = r.timer(() => {
        this.timer = undefined;
        if (!r.active && r.view === view) this.start(view + 1, `no valid NEW-VIEW for view ${view} within ${wait} ms`);
      }, wait);
    }
    if (r.group.primary(view) === r.id && r.mayVote(view) && !this.sentNewView.has(view)) this.sendNewView(view);
  }

  private sendNewView(view: number): void {
    const r = this.r;
    const byView = this.received.get(view)!;
    const chosen = [r.id, ...r.group.ids.filter((id) => id !== r.id)]
      .map((id) => byView.get(id))
      .filter((vc): vc is ValidViewChange => vc !== undefined)
      .slice(0, r.group.quorum);
    const plan = this.plan(chosen);
    const prePrepares = plan.entries.map((e) => r.seal({ type: 'pre-prepare', from: r.id, view, seq: e.seq, digest: e.digest }));
    const envelope = r.seal({
      type: 'new-view',
      from: r.id,
      view,
      viewChanges: chosen.map((vc) => toBase64(vc.envelope)),
      prePrepares: prePrepares.map(toBase64),
    });
    this.sentNewView.add(view);
    r.env.logger.info({ view, reproposed: plan.entries.length, minS: plan.checkpoint.seq }, `replica ${r.id} sends NEW-VIEW for view ${view}`);
    r.broadcast(envelope, 'new-view');
    this.install(view, plan, prePrepares, envelope);
  }

  /** Computes O from V (deterministic: highest view wins; ties go to the smaller digest). */
  private plan(vcs: readonly ValidViewChange[]): NewViewPlan {
    let checkpoint = vcs[0]!.checkpoint;
    for (const vc of vcs) if (vc.checkpoint.seq > checkpoint.seq) checkpoint = vc.checkpoint;
    let maxS = checkpoint.seq;
    for (const vc of vcs) for (const seq of vc.prepared.keys()) if (seq > maxS) maxS = seq;
    const entries: { seq: number; digest: Digest; holders: string[] }[] = [];
    for (let seq = checkpoint.seq + 1; seq <= maxS; seq++) {
      let best: { view: number; digest: Digest } | undefined;
      for (const vc of vcs) {
        const c = vc.prepared.get(seq);
        if (c !== undefined && (best === undefined || c.view > best.view || (c.view === best.view && c.digest < best.digest))) best = c;
      }
      const digest = best?.digest ?? NULL_DIGEST;
      entries.push({ seq, digest, holders: vcs.filter((vc) => vc.prepared.get(seq)?.digest === digest).map((vc) => vc.from) });
    }
    return { checkpoint, maxS, entries };
  }

  /** A NEW-VIEW from the primary of its view (possibly relayed). Every part is checked. */
  onNewView(from: string, opened: Opened<NewViewMessage>): void {
    const r = this.r;
    const m = opened.message;
    if (m.from !== r.group.primary(m.view)) {
      r.drop(from, 'not-primary', `NEW-VIEW for view ${m.view} signed by '${m.from}', not its primary '${r.group.primary(m.view)}'`);
      r.faults.report(m.from, 'not-primary', `sent a NEW-VIEW for view ${m.view} without being its primary`);
      return;
    }
    if (m.view < r.view || (m.view === r.view && r.newViewInstalled)) return;
    const problem = this.checkNewView(m);
    if (typeof problem === 'string') {
      r.drop(from, 'invalid-certificate', `NEW-VIEW for view ${m.view}: ${problem}`);
      r.faults.report(m.from, 'invalid-certificate', `sent a NEW-VIEW for view ${m.view} that does not check: ${problem}`);
      return;
    }
    this.install(m.view, problem.plan, problem.prePrepares, opened.envelope);
  }

  private checkNewView(m: NewViewMessage): { plan: NewViewPlan; prePrepares: Uint8Array[] } | string {
    const r = this.r;
    const vcs = new Map<string, ValidViewChange>();
    for (const b64 of m.viewChanges) {
      const opened = r.env.auth.openEmbedded(b64, 'view-change');
      if (!opened.ok) return `a VIEW-CHANGE in V: ${opened.detail}`;
      if (opened.message.view !== m.view) return `V holds a VIEW-CHANGE for view ${opened.message.view}`;
      if (!r.group.has(opened.message.from)) return `V holds a VIEW-CHANGE from non-replica '${opened.message.from}'`;
      const valid = this.validate(opened.message, opened.envelope);
      if (typeof valid === 'string') return `the VIEW-CHANGE of '${opened.message.from}' in V: ${valid}`;
      vcs.set(valid.from, valid);
    }
    if (vcs.size < r.group.quorum) return `V holds ${vcs.size} distinct VIEW-CHANGEs, ${r.group.quorum} needed`;
    const ordered = r.group.ids.map((id) => vcs.get(id)).filter((vc): vc is ValidViewChange => vc !== undefined);
    const plan = this.plan(ordered);
    if (m.prePrepares.length !== plan.entries.length) return `O has ${m.prePrepares.length} PRE-PREPAREs where V gives ${plan.entries.length}`;
    const prePrepares: Uint8Array[] = [];
    for (const [i, b64] of m.prePrepares.entries()) {
      const opened = r.env.auth.openEmbedded(b64, 'pre-prepare');
      if (!opened.ok) return `a PRE-PREPARE in O: ${opened.detail}`;
      const pp = opened.message;
      const entry = plan.entries[i]!;
      if (pp.from !== m.from || pp.view !== m.view || pp.seq !== entry.seq || pp.digest !== entry.digest) {
        return `O's PRE-PREPARE for seq ${pp.seq} does not match the one V calls for (seq ${entry.seq}, digest ${entry.digest.slice(0, 12)}…)`;
      }
      prePrepares.push(opened.envelope);
    }
    return { plan, prePrepares };
  }

  /** Enters view `view` as the NEW-VIEW decided it. */
  private install(view: number, plan: NewViewPlan, prePrepares: readonly Uint8Array[], envelope: Uint8Array): void {
    const r = this.r;
    if (r.view !== view) {
      if (r.active) r.slow.endTerm(r.primary());
      r.view = view;
      r.env.storage.recordView(view);
    }
    r.active = true;
    r.newViewInstalled = true;
    r.viewInstalledAt = r.now();
    // Before anything below can make this replica propose (a checkpoint becoming stable does):
    // as the new primary it continues after O, never inside it.
    r.nextSeq = Math.max(plan.maxS, r.low) + 1;
    r.cancel(this.timer);
    this.timer = undefined;
    this.newViews.set(view, envelope);
    for (const v of this.newViews.keys()) if (v < view) this.newViews.delete(v);
    for (const v of this.received.keys()) if (v <= view) this.received.delete(v);
    for (const v of this.own.keys()) if (v < view) this.own.delete(v);
    r.faults.newView();
    if (plan.checkpoint.seq > r.low) r.checkpoints.reached(plan.checkpoint.seq, plan.checkpoint.digest, plan.checkpoint.proof, true);
    for (const slot of r.log.values()) slot.enterView(view);
    const now = r.now();
    plan.entries.forEach((entry, i) => {
      if (entry.seq <= r.low) return;
      const slot = r.log.slot(entry.seq);
      const body = r.batches.get(entry.digest)?.bytes;
      r.agreement.accept(slot, { view, digest: entry.digest, envelope: prePrepares[i]!, at: now }, body, false);
      if (body === undefined) r.transfer.wantBatch(entry.digest, entry.holders);
    });
    r.env.observer?.viewInstalled?.(view);
    r.env.logger.info({ view, primary: r.primary(), reproposed: plan.entries.length }, `replica ${r.id} entered view ${view}`);
    r.requests.onNewView();
    r.replayFuture();
    r.execution.executeReady();
  }

  /** Checks a VIEW-CHANGE's checkpoint proof and prepared certificates. */
  private validate(m: ViewChangeMessage, envelope: Uint8Array): ValidViewChange | string {
    const r = this.r;
    if (m.view === 0) return 'a view change to view 0';
    const proof = r.checkpoints.verify(m.checkpoint);
    if (typeof proof === 'string') return proof;
    const prepared = new Map<number, { view: number; digest: Digest }>();
    for (const cert of m.prepared) {
      const pp = r.env.auth.openEmbedded(cert.prePrepare, 'pre-prepare');
      if (!pp.ok) return `a prepared certificate: ${pp.detail}`;
      const p = pp.message;
      if (p.from !== r.group.primary(p.view)) return `a prepared certificate whose PRE-PREPARE is not from the primary of view ${p.view}`;
      if (p.view >= m.view) return `a certificate prepared in view ${p.view}, not before view ${m.view}`;
      if (p.seq <= m.checkpoint.seq || p.seq > m.checkpoint.seq + r.config.watermark_window) return `a certificate for seq ${p.seq} outside the sender's window`;
      if (prepared.has(p.seq)) return `two certificates for seq ${p.seq}`;
      const signers = new Set<string>();
      for (const b64 of cert.prepares) {
        const opened = r.env.auth.openEmbedded(b64, 'prepare');
        if (!opened.ok) return `a PREPARE in the certificate for seq ${p.seq}: ${opened.detail}`;
        const q = opened.message;
        if (!r.group.has(q.from) || q.from === p.from || q.view !== p.view || q.seq !== p.seq || q.digest !== p.digest) {
          return `a PREPARE in the certificate for seq ${p.seq} does not match its PRE-PREPARE`;
        }
        signers.add(q.from);
      }
      if (signers.size < r.group.quorum - 1) return `the certificate for seq ${p.seq} has ${signers.size} PREPAREs, ${r.group.quorum - 1} needed`;
      prepared.set(p.seq, { view: p.view, digest: p.digest });
    }
    return { from: m.from, view: m.view, envelope, checkpoint: { seq: m.checkpoint.seq, digest: m.checkpoint.digest, proof }, prepared };
  }
}
