import { describe, expect, it } from 'vitest';
import { createNode, definePlugin } from '../index.js';

describe('ctx.metrics.counterFrom / gaugeFrom', () => {
  it('reads the values at each scrape, drops pairs that are gone, and refuses a name registered twice', async () => {
    const totals = new Map<string, number>([['udp', 3]]);
    let depth = 7;
    const plugin = definePlugin({
      name: '@acme/scraped',
      version: '1.0.0',
      setup(ctx) {
        ctx.metrics.counterFrom({ name: 'acme_queries_total', help: 'Queries by transport', labelNames: ['transport'] }, () =>
          [...totals].map(([transport, n]) => [{ transport }, n] as const),
        );
        ctx.metrics.gaugeFrom({ name: 'acme_queue_depth', help: 'Queue depth' }, () => [[{}, depth]]);
        expect(() => ctx.metrics.gaugeFrom({ name: 'acme_queue_depth', help: 'again' }, () => [])).toThrow(/already registered/);
      },
    });
    const node = createNode({ plugins: [plugin] });
    await node.start();
    try {
      let text = await node.metrics.metrics();
      expect(text).toMatch(/acme_queries_total\{transport="udp"[^}]*\} 3\n/);
      expect(text).toMatch(/acme_queue_depth(\{[^}]*\})? 7\n/);
      totals.set('udp', 5).set('tcp', 1);
      depth = 2;
      text = await node.metrics.metrics();
      expect(text).toMatch(/acme_queries_total\{transport="udp"[^}]*\} 5\n/);
      expect(text).toMatch(/acme_queries_total\{transport="tcp"[^}]*\} 1\n/);
      expect(text).toMatch(/acme_queue_depth(\{[^}]*\})? 2\n/);
      totals.delete('tcp');
      expect(await node.metrics.metrics()).not.toContain('transport="tcp"');
    } finally {
      await node.stop();
    }
  });
});
