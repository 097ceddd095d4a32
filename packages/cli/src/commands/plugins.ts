import type { NodeDescription } from '@hypermesh/runtime';
import type { Command } from '../cli/command.js';
import { table } from '../cli/output.js';

/** Renders `node.describe()` for people. */
export function renderDescription(d: NodeDescription): string[] {
  const out = [`node ${d.nodeId} — ${d.runtime.name}@${d.runtime.version} — ${d.state}`, ''];
  out.push(
    ...table(
      ['PLUGIN', 'VERSION', 'STATE', 'PROVIDES', 'USES'],
      d.plugins.map((p) => [
        p.name,
        p.version,
        p.state,
        p.provides.join(', ') || '-',
        [...p.uses.required, ...p.uses.optional.map((s) => `${s}?`)].join(', ') || '-',
      ]),
    ),
  );
  out.push('', 'services:');
  for (const s of d.services) {
    out.push(`  ${s.id}@${s.version} (${s.scope}) — ${s.provider}${s.consumers.length > 0 ? `; used by ${s.consumers.join(', ')}` : ''}`);
  }
  out.push('', 'hooks:');
  if (d.hooks.length === 0) out.push('  (none)');
  for (const h of d.hooks) {
    out.push(`  ${h.id} (${h.kind}), ${h.calls} calls`);
    for (const t of h.taps) out.push(`    ${t.order.padEnd(6)} ${t.name} — ${t.plugin}`);
  }
  return out;
}

/** `hypermesh plugins`. */
export const pluginsCommand: Command = {
  name: 'plugins',
  usage: 'hypermesh plugins',
  summary: 'Loaded plugins (versions, state, services, hooks) of the node answering the API',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const description = await ctx.client().get<NodeDescription>('/v1/plugins');
    ctx.out.result(description, () => renderDescription(description));
  },
};
