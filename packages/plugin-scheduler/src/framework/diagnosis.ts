import type { SchedulingStatus } from '@hypermesh/runtime';
import { formatStatus } from './status.js';

/** A node (or, for a preFilter refusal, the whole workload) that a plugin refused. */
export interface Rejection {
  readonly node?: string;
  readonly status: SchedulingStatus;
}

/** The status behind the most common refusal (ties: alphabetical), which a rejection is attributed to. */
export function mainRejection(rejections: readonly Rejection[]): SchedulingStatus | undefined {
  const counts = new Map<string, { n: number; status: SchedulingStatus }>();
  for (const r of rejections) {
    const text = formatStatus(r.status);
    const entry = counts.get(text);
    if (entry === undefined) counts.set(text, { n: 1, status: r.status });
    else entry.n++;
  }
  let best: [string, { n: number; status: SchedulingStatus }] | undefined;
  for (const entry of counts) if (best === undefined || entry[1].n > best[1].n || (entry[1].n === best[1].n && entry[0] < best[0])) best = entry;
  return best?.[1].status;
}

/**
 * Why a workload was not placed, in one sentence that names every refusing plugin and how many
 * nodes each refused, most common first (Kubernetes' "0/5 nodes are available: …"):
 * `0/5 nodes are available: 3 × resource-fit: insufficient memory; 2 × taint-toleration: …`.
 */
export function describeDiagnosis(evaluated: number, rejections: readonly Rejection[]): string {
  const counts = new Map<string, number>();
  for (const r of rejections) {
    const text = formatStatus(r.status);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([text, n]) => (rejections.length === 1 && rejections[0]!.node === undefined ? text : `${n} × ${text}`));
  const nodeLevel = rejections.some((r) => r.node !== undefined);
  return nodeLevel ? `0/${evaluated} nodes are available: ${parts.join('; ')}` : parts.join('; ');
}
