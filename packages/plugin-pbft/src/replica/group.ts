/**
 * The replica group: ids in replica-index order, n, f and the quorum sizes. With n = 3f+1 the
 * quorum is 2f+1; for other n it is ⌈(n+f+1)/2⌉, the smallest size whose pairwise intersections
 * still hold f+1 replicas (so at least one correct one).
 */
export class ReplicaGroup {
  /** Number of replicas. */
  readonly n: number;
  /** Byzantine replicas tolerated: ⌊(n−1)/3⌋. */
  readonly f: number;
  /** Replicas that make a certificate (2f+1 when n = 3f+1). */
  readonly quorum: number;
  /** f+1: enough to include one correct replica. */
  readonly weak: number;
  private readonly index = new Map<string, number>();

  constructor(readonly ids: readonly string[]) {
    this.n = ids.length;
    this.f = Math.floor((this.n - 1) / 3);
    this.quorum = Math.ceil((this.n + this.f + 1) / 2);
    this.weak = this.f + 1;
    ids.forEach((id, i) => this.index.set(id, i));
  }

  /** True when `id` is a replica. */
  has(id: string): boolean {
    return this.index.has(id);
  }

  /** The replica index of `id` (−1 when it is not a replica). */
  indexOf(id: string): number {
    return this.index.get(id) ?? -1;
  }

  /** The primary of view `view`: replica `view mod n`. */
  primary(view: number): string {
    return this.ids[view % this.n]!;
  }
}
