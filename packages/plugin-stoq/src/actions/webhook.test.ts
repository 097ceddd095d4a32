import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type ThreatEvent } from '@hypermesh/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookSink, type DeliveryOutcome } from './webhook.js';

const threat: ThreatEvent = {
  id: 'n1-1',
  kind: 'tunnel',
  severity: 'high',
  subject: { domain: 'exfil.example' },
  score: 0.9,
  reasons: [{ feature: 'tunnel_names', value: 12, threshold: 5, weight: 1, explanation: 'names that look like encoded data' }],
  action: 'block',
  detectedAt: 1,
  expiresAt: 300_001,
};

describe('webhook alerts', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A local HTTP server on port 0 that answers with the given statuses in turn. */
  async function receiver(statuses: number[]) {
    const bodies: unknown[] = [];
    let attempts = 0;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        attempts++;
        const status = statuses.shift() ?? 200;
        if (status === 200) bodies.push({ contentType: req.headers['content-type'], method: req.method, json: JSON.parse(body) });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/alerts`;
    return { url, bodies, attempts: () => attempts };
  }

  function sink(url: string, retries = 3) {
    const outcomes: [DeliveryOutcome, string][] = [];
    const webhook = new WebhookSink({ url, retries, backoffMs: 10, timeoutMs: 2000 }, systemClock, (outcome, _alert, detail) => outcomes.push([outcome, detail]));
    const settled = (n: number) =>
      new Promise<void>((resolve) => {
        const poll = () => (outcomes.length >= n ? resolve() : setTimeout(poll, 5));
        poll();
      });
    return { webhook, outcomes, settled };
  }

  it('POSTs the alert as JSON, retrying 5xx with backoff until it is delivered', async () => {
    const r = await receiver([500, 503]);
    const s = sink(r.url);
    s.webhook.send({ source: '@hypermesh/plugin-stoq', node: 'n1', threat });
    await s.settled(1);
    expect(s.outcomes).toEqual([['delivered', 'after 3 attempt(s)']]);
    expect(r.attempts()).toBe(3);
    expect(r.bodies).toEqual([{ contentType: 'application/json', method: 'POST', json: { source: '@hypermesh/plugin-stoq', node: 'n1', threat } }]);
  });

  it('gives up after its retries, and does not retry a 4xx refusal', async () => {
    const r = await receiver([500, 500, 500, 400]);
    const s = sink(r.url, 2);
    s.webhook.send({ source: '@hypermesh/plugin-stoq', node: 'n1', threat });
    await s.settled(1);
    expect(s.outcomes[0]![0]).toBe('failed');
    expect(s.outcomes[0]![1]).toMatch(/answered HTTP 500/);
    expect(r.attempts()).toBe(3);
    s.webhook.send({ source: '@hypermesh/plugin-stoq', node: 'n1', threat });
    await s.settled(2);
    expect(s.outcomes[1]).toEqual(['failed', `${r.url} answered HTTP 400`]);
    expect(r.attempts()).toBe(4);
  });

  it('reports an unreachable receiver and drops what is queued when closed', async () => {
    const r = await receiver([]);
    const url = r.url;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const s = sink(url, 1);
    s.webhook.send({ source: '@hypermesh/plugin-stoq', node: 'n1', threat });
    await s.settled(1);
    expect(s.outcomes[0]![0]).toBe('failed');
    s.webhook.send({ source: '@hypermesh/plugin-stoq', node: 'n1', threat });
    s.webhook.send({ source: '@hypermesh/plugin-stoq', node: 'n1', threat });
    s.webhook.close();
    await s.settled(3);
    expect(s.outcomes.slice(1).map((o) => o[0])).toContain('dropped');
  });
});
