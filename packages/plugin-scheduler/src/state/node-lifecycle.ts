import type { SchedulableNode } from '@hypermesh/runtime';
import type { TrustReport } from './cluster-state.js';

/** A node's agreed trust, from the reports of the other nodes' fault detectors. */
export interface AgreedTrust {
  readonly reputation: number;
  readonly trust: SchedulableNode['trust'];
}

const TRUST_RANK: Record<SchedulableNode['trust'], number> = { active: 0, suspected: 1, isolated: 2 };

/**
 * Agrees on a node's trust from reports of distinct reporters, so that no f Byzantine reporters
 * can move an honest node (f = ⌊(n − 1) / 3⌋ for n registered nodes):
 * - the node is `isolated` (or `suspected`) when at least f + 1 reporters say so or worse;
 * - its reputation is the (f + 1)-th lowest reported value — at least one honest reporter saw it
 *   that low — and 1 while fewer than f + 1 reporters reported.
 * A node's reports about itself are not counted.
 */
export function agreeTrust(node: string, reports: ReadonlyMap<string, TrustReport> | undefined, nodeCount: number): AgreedTrust {
  const f = Math.floor(Math.max(0, nodeCount - 1) / 3);
  const need = f + 1;
  const values: number[] = [];
  const ranks: number[] = [];
  for (const [reporter, report] of reports ?? []) {
    if (reporter === node) continue;
    values.push(report.reputation);
    ranks.push(TRUST_RANK[report.trust]);
  }
  if (values.length < need) return { reputation: 1, trust: 'active' };
  values.sort((a, b) => a - b);
  ranks.sort((a, b) => b - a);
  // the need-th worst rank: at least `need` reporters say this or worse
  const rank = ranks[need - 1]!;
  return { reputation: values[need - 1]!, trust: rank === 2 ? 'isolated' : rank === 1 ? 'suspected' : 'active' };
}

/** How long a node has been silent, in words for reasons ("no heartbeat for 6.2 s"). */
export const silence = (now: number, last: number): string => `no heartbeat for ${((now - last) / 1000).toFixed(1)} s`;
