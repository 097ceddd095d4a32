// The main job (`npm start`): assembles a node from the plugins that exist today and prints what
// it is made of. It grows into the 4-node reference cluster as the subsystem plugins land.
import { blocklistPlugin, blocklistRef } from '@hypermesh/example-custom-plugin';
import { createNode, dnsQueryHook, type NodeDescription } from '@hypermesh/runtime';

function printDescription(d: NodeDescription): void {
  console.log(`node ${d.nodeId} — ${d.runtime.name}@${d.runtime.version} — ${d.state}`);
  console.log('\nplugins (boot order):');
  for (const p of d.plugins) console.log(`  ${p.name}@${p.version}  [${p.state}]  provides: ${p.provides.join(', ') || '-'}`);
  console.log('\nservices:');
  for (const s of d.services) console.log(`  ${s.id}@${s.version}  provided by ${s.provider}${s.consumers.length ? `, used by ${s.consumers.join(', ')}` : ''}`);
  console.log('\nhooks:');
  for (const h of d.hooks) {
    console.log(`  ${h.id} (${h.kind}), ${h.calls} calls`);
    for (const t of h.taps) console.log(`    ${t.order.padEnd(6)} ${t.name} — ${t.plugin}`);
  }
}

async function main(): Promise<void> {
  const node = createNode({
    id: 'node-1',
    plugins: [blocklistPlugin],
    config: { '@hypermesh/example-custom-plugin': { domains: ['ads.example'] } },
  });
  await node.start();
  node.get(blocklistRef).add('tracker.example');
  // Drive the dns.query hook the way the DNS server does, so describe() shows live counts.
  for (const name of ['www.hypermesh.io', 'x.ads.example', 'tracker.example']) {
    const verdict = node.hooks.callSync(dnsQueryHook, {
      client: '127.0.0.1',
      clientPort: 0,
      transport: 'internal',
      id: 0,
      question: { name, type: 'A' },
      size: 0,
      receivedAt: Date.now(),
    });
    console.log(`dns.query ${name} → ${verdict ? `${verdict.action} (${verdict.reason})` : 'pass'}`);
  }
  console.log();
  printDescription(node.describe());
  const health = await node.health();
  console.log(`\nhealth: ${health.status}`);
  await node.stop();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
