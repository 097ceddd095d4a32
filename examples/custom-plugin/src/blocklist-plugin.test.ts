import { createNode, dnsQueryHook, type DnsQueryEvent } from '@hypermesh/runtime';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { blocklistPlugin, blocklistRef } from './index.js';

const query = (name: string): DnsQueryEvent => ({
  client: '192.0.2.7',
  clientPort: 53000,
  transport: 'udp',
  id: 1,
  question: { name, type: 'A' },
  size: 40,
  receivedAt: 0,
});

// Testing a plugin: assemble a node with it, start it, then drive its hooks and services the way
// the DNS server and other plugins would.
describe('blocklist plugin', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => stop?.());

  async function start(config: unknown) {
    const node = createNode({
      logger: pino({ level: 'silent' }),
      plugins: [blocklistPlugin],
      config: { '@hypermesh/example-custom-plugin': config },
    });
    await node.start();
    stop = () => node.stop();
    return node;
  }

  it('refuses blocked domains and names below them, lets others through', async () => {
    const node = await start({ domains: ['ads.example'] });
    expect(node.hooks.callSync(dnsQueryHook, query('ads.example'))).toEqual({ action: 'refuse', reason: "'ads.example' is on the blocklist" });
    expect(node.hooks.callSync(dnsQueryHook, query('tracker.ads.example'))?.action).toBe('refuse');
    expect(node.hooks.callSync(dnsQueryHook, query('example'))).toBeUndefined();
    expect(node.hooks.callSync(dnsQueryHook, query('notads.example'))).toBeUndefined();
  });

  it('is changed at runtime through its service', async () => {
    const node = await start({ action: 'drop' });
    const blocklist = node.get(blocklistRef);
    blocklist.add('Evil.Example.');
    expect(blocklist.list()).toEqual(['evil.example']);
    expect(node.hooks.callSync(dnsQueryHook, query('www.evil.example'))?.action).toBe('drop');
    blocklist.remove('evil.example');
    expect(node.hooks.callSync(dnsQueryHook, query('www.evil.example'))).toBeUndefined();
  });

  it('counts what it refused and reports health', async () => {
    const node = await start({ domains: ['a.example'] });
    node.hooks.callSync(dnsQueryHook, query('a.example'));
    expect(await node.metrics.metrics()).toContain('hypermesh_example_blocklist_refused_total{node="node-1"} 1');
    expect((await node.health()).plugins[0]).toMatchObject({ status: 'ok', detail: '1 domains blocked' });
  });

  it('rejects a bad config with the path of the problem', () => {
    expect(() =>
      createNode({ logger: pino({ level: 'silent' }), plugins: [blocklistPlugin], config: { '@hypermesh/example-custom-plugin': { domains: ['Bad Domain'] } } }),
    ).toThrowError("config['@hypermesh/example-custom-plugin'].domains[0]: must be a lower-case domain name");
  });
});
