import { resolve } from 'node:path';
import type { LogLine, Placement, WorkloadStatus } from '@hypermesh/runtime';
import type { Command } from '../cli/command.js';
import { table } from '../cli/output.js';
import { readWorkloadFile } from '../workload/workload-file.js';

const namespaceOption = { namespace: { type: 'string', short: 'n' } } as const;
const namespaceOf = (values: Readonly<Record<string, unknown>>) => (values.namespace as string | undefined) ?? 'default';

/** `hypermesh deploy FILE`. */
export const deployCommand: Command = {
  name: 'deploy',
  usage: 'hypermesh deploy FILE [--namespace NS]',
  summary: 'Deploy the workload spec(s) in a YAML or JSON file',
  details: 'FILE holds one spec, several YAML documents separated by ---, or a JSON array. Each is validated locally (every problem with its path) before anything is sent, then deployed in order; the answer is its placement, agreed through consensus.',
  options: namespaceOption,
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = resolve(ctx.cwd, ctx.positionals[0]!);
    const specs = await readWorkloadFile(file);
    const client = ctx.client();
    const placements: Placement[] = [];
    for (const spec of specs) {
      const withNamespace = ctx.values.namespace === undefined ? spec : { ...spec, namespace: ctx.values.namespace as string };
      ctx.out.progress(`deploying ${withNamespace.namespace ?? 'default'}/${spec.name}`);
      const { placement } = await client.request<{ placement: Placement }>('POST', '/v1/workloads', withNamespace);
      ctx.out.done(`${placement.namespace}/${placement.workload} placed on ${placement.node} (sequence ${placement.sequence})`);
      placements.push(placement);
    }
    ctx.out.result({ placements }, () => table(['NAMESPACE', 'NAME', 'NODE', 'SEQUENCE'], placements.map((p) => [p.namespace, p.workload, p.node, String(p.sequence)])));
  },
};

/** `hypermesh ps`. */
export const psCommand: Command = {
  name: 'ps',
  usage: 'hypermesh ps [--namespace NS]',
  summary: 'List workloads: phase, node, restarts, address',
  options: namespaceOption,
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const { workloads } = await ctx.client().get<{ workloads: WorkloadStatus[] }>('/v1/workloads', { namespace: ctx.values.namespace as string | undefined });
    ctx.out.result({ workloads }, () =>
      workloads.length === 0
        ? 'no workloads'
        : table(
            ['NAMESPACE', 'NAME', 'PHASE', 'NODE', 'RESTARTS', 'ADDRESS', 'REASON'],
            workloads.map((w) => [w.namespace, w.name, w.phase, w.node ?? '-', String(w.restarts), w.address ?? '-', w.reason ?? '']),
          ),
    );
  },
};

/** `hypermesh logs NAME`. */
export const logsCommand: Command = {
  name: 'logs',
  usage: 'hypermesh logs NAME [--namespace NS] [--tail N]',
  summary: "Print a workload's captured output",
  options: { ...namespaceOption, tail: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const answer = await ctx.client().get<{ lines: readonly LogLine[] }>(`/v1/workloads/${encodeURIComponent(name)}/logs`, {
      namespace: namespaceOf(ctx.values),
      tail: ctx.values.tail as string | undefined,
    });
    ctx.out.result(answer, () => answer.lines.map(formatLogLine));
  },
};

/** One captured line as `logs` prints it: output as written; stderr and the agent's own events marked. */
export function formatLogLine(line: LogLine): string {
  return line.stream === 'stdout' ? line.text : `[${line.stream}] ${line.text}`;
}

/** `hypermesh rm NAME`. */
export const rmCommand: Command = {
  name: 'rm',
  usage: 'hypermesh rm NAME [--namespace NS]',
  summary: 'Stop and remove a workload',
  options: namespaceOption,
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const namespace = namespaceOf(ctx.values);
    ctx.out.progress(`removing ${namespace}/${name}`);
    const answer = await ctx.client().request<{ removed: { name: string; namespace: string } }>(
      'DELETE',
      `/v1/workloads/${encodeURIComponent(name)}?namespace=${encodeURIComponent(namespace)}`,
    );
    ctx.out.result(answer, () => `removed ${answer.removed.namespace}/${answer.removed.name}`);
  },
};
