import type { ConsensusStatus, SchedulableNode } from '@hypermesh/runtime';
import type { Command } from '../cli/command.js';
import { formatBytes, table } from '../cli/output.js';

/** What `GET /v1/status` answers (see the gateway's status operation). */
export interface StatusAnswer {
  readonly node: { id: string; state?: string; health?: string; runtime?: { name: string; version: string }; plugins?: { name: string; status: string; detail?: string }[] };
  readonly consensus: ConsensusStatus | null;
  readonly nodes: SchedulableNode[] | null;
  readonly workloads: { total: number; byPhase: Record<string, number> } | null;
  readonly dns: { domain: string; records: number; queries: number; cacheHits: number; hitRate: number; cacheEntries: number } | null;
  readonly analytics: {
    recentThreats: number;
    bySeverity: Record<string, number>;
    byKind: Record<string, number>;
    topTalkers: { client: string; queries: number }[];
    model: { classifier: string; trainingSamples: number };
  } | null;
  readonly unavailable: { service: string; provider: string }[];
}

const counts = (byKey: Record<string, number>) =>
  Object.entries(byKey)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The node table: every replica consensus knows, joined with the scheduler's view. */
function nodeRows(status: StatusAnswer): string[][] {
  const ids = new Set<string>([...(status.consensus?.replicas.map((r) => r.id) ?? []), ...(status.nodes?.map((n) => n.id) ?? [])]);
  return [...ids].sort().map((id) => {
    const replica = status.consensus?.replicas.find((r) => r.id === id);
    const node = status.nodes?.find((n) => n.id === id);
    const role = status.consensus === null ? '-' : status.consensus.primary === id ? 'primary' : 'backup';
    return [
      id,
      role,
      replica?.state ?? '-',
      replica === undefined ? '-' : replica.reputation.toFixed(2),
      node === undefined ? '-' : node.ready ? 'yes' : 'no',
      node === undefined ? '-' : `${node.allocated.cpuMillis}/${node.capacity.cpuMillis}m`,
      node === undefined ? '-' : `${formatBytes(node.allocated.memoryBytes)}/${formatBytes(node.capacity.memoryBytes)}`,
    ];
  });
}

/** Renders the status answer for people. */
export function renderStatus(api: string, s: StatusAnswer): string[] {
  const lines: string[] = [];
  lines.push(`cluster at ${api} — answered by node ${s.node.id}${s.node.health === undefined ? '' : ` (${s.node.health})`}`);
  if (s.consensus !== null) {
    const c = s.consensus;
    lines.push(
      `consensus: view ${c.view}, primary ${c.primary}${c.viewChangeInProgress ? ' (view change in progress)' : ''}, n=${c.n} f=${c.f}, executed ${c.lastExecuted}, stable checkpoint ${c.stableCheckpoint}`,
    );
  }
  const rows = nodeRows(s);
  if (rows.length > 0) {
    lines.push('', ...table(['NODE', 'ROLE', 'STATE', 'REPUTATION', 'READY', 'CPU', 'MEMORY'], rows), '');
  }
  if (s.workloads !== null) lines.push(`workloads: ${s.workloads.total}${s.workloads.total > 0 ? ` (${counts(s.workloads.byPhase)})` : ''}`);
  if (s.dns !== null) {
    lines.push(`dns: ${s.dns.domain} — ${s.dns.records} records, ${s.dns.queries} queries, cache hit rate ${(s.dns.hitRate * 100).toFixed(1)}%`);
  }
  if (s.analytics !== null) {
    const a = s.analytics;
    const top = a.topTalkers[0];
    lines.push(
      `analytics: ${a.recentThreats} recent threats${a.recentThreats > 0 ? ` (${counts(a.bySeverity)})` : ''}; ${top === undefined ? 'no traffic yet' : `top talker ${top.client} (${top.queries} queries)`}; model ${a.model.classifier}`,
    );
  }
  const plugins = s.node.plugins ?? [];
  if (plugins.length > 0) {
    lines.push(`plugins on ${s.node.id}:`);
    const width = Math.max(...plugins.map((p) => p.name.length));
    for (const p of plugins) lines.push(`  ${p.name.padEnd(width)}  ${p.status.padEnd(8)}  ${p.detail ?? ''}`.trimEnd());
  }
  for (const u of s.unavailable) lines.push(`not available: ${u.service} (load ${u.provider})`);
  return lines;
}

/** `hypermesh status`. */
export const statusCommand: Command = {
  name: 'status',
  usage: 'hypermesh status',
  summary: 'Nodes, view, primary, reputation, workloads, DNS and analytics figures',
  details: 'Services whose plugin is not loaded are listed as "not available" rather than failing.',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const client = ctx.client();
    const status = await client.get<StatusAnswer>('/v1/status');
    ctx.out.result(status, () => renderStatus(client.api, status));
  },
};
